"""The demo's own page: take the phone of a demo owner who has not voted yet.

Only when ``ownersvote demo`` serves the app (``OWNERSVOTE_DEMO``), never in production: the
page hands the browser a demo owner's private key to import (in real life the key is made in the
owner's browser and never leaves it)."""

from __future__ import annotations

import json

from flask import Blueprint, abort, current_app, render_template
from sqlalchemy import select

from webapp.assemblies.models import Assembly
from webapp.core.db import db
from webapp.demo.setup import DEMO_SLUG, demo_voters
from webapp.estates.operations import get_estate
from webapp.voting.models import Ballot

bp = Blueprint("demo", __name__)


@bp.get("/demo/voters")
def voters():
    if not current_app.config.get("OWNERSVOTE_DEMO") or current_app.config.get("OWNERSVOTE_ENV") == "production":
        abort(404)

    estate = get_estate(DEMO_SLUG)
    if estate is None:
        abort(404)
    assembly = db.session.scalar(
        select(Assembly).where(Assembly.estate_id == estate.id, Assembly.state == "voting").order_by(Assembly.id.desc())
    )
    voted = set(db.session.scalars(select(Ballot.kid).where(Ballot.assembly_id == assembly.id))) if assembly else set()
    people = [{**v, "voted": v["kid"] in voted, "jwk_json": json.dumps(v["jwk"])} for v in demo_voters()]
    return render_template("demo/voters.html", estate=estate, assembly=assembly, people=people)
