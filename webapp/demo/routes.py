"""The demo's own page: take the phone of a demo owner who has not voted yet; and, on the home
page, the demo's way in (its voters, its assemblies, its results).

Only when ``ownersvote demo`` serves the app (``OWNERSVOTE_DEMO``), never in production: the
page hands the browser a demo owner's private key to import (in real life the key is made in the
owner's browser and never leaves it)."""

from __future__ import annotations

import json
from datetime import timedelta

from flask import Blueprint, abort, current_app, render_template, request
from sqlalchemy import select

from webapp.assemblies.lifecycle import advance_estate
from webapp.assemblies.models import Assembly
from webapp.core.db import db, db_now, utcnow
from webapp.demo.setup import DEMO_SLUG, demo_voters
from webapp.estates.operations import get_estate
from webapp.evaluations.models import Evaluation
from webapp.evaluations.operations import phase
from webapp.petitions.models import Petition
from webapp.voting.models import Ballot

bp = Blueprint("demo", __name__)

#: What a visitor needs to take a phone, read two items and sign: an assembly closing sooner than
#: this is not offered first (the demo's short assembly closes minutes after the demo is built).
ROOM_TO_VOTE = timedelta(minutes=2)


def demo_mode() -> bool:
    return bool(current_app.config.get("OWNERSVOTE_DEMO")) and current_app.config.get("OWNERSVOTE_ENV") != "production"


def _assemblies(estate) -> list[Assembly]:
    """The demo estate's assemblies, the one closing first first."""
    return list(db.session.scalars(select(Assembly).where(Assembly.estate_id == estate.id).order_by(Assembly.closes_at, Assembly.id)))


@bp.app_context_processor
def _demo_links():
    """On the home page in demo mode: where to vote, the assemblies and the results."""
    if not demo_mode() or request.endpoint != "estates.index":
        return {}
    estate = get_estate(DEMO_SLUG)
    if estate is None:
        return {}
    evaluations = list(db.session.scalars(select(Evaluation).where(Evaluation.estate_id == estate.id).order_by(Evaluation.closes.desc())))
    return {"demo": {"estate": estate, "assemblies": _assemblies(estate), "evaluations": evaluations}}


@bp.get("/demo/voters")
def voters():
    if not demo_mode():
        abort(404)

    estate = get_estate(DEMO_SLUG)
    if estate is None:
        abort(404)
    if advance_estate(estate):  # an assembly that has just closed is not offered
        db.session.commit()
    open_now = [a for a in _assemblies(estate) if a.state == "voting"]
    now = db_now()
    roomy = [a for a in open_now if a.closes_at - now >= ROOM_TO_VOTE]
    chosen = request.args.get("a", type=int)
    assembly = next((a for a in open_now if a.id == chosen), (roomy or open_now or [None])[0])
    voted = set(db.session.scalars(select(Ballot.kid).where(Ballot.assembly_id == assembly.id))) if assembly else set()
    people = [{**v, "voted": v["kid"] in voted, "jwk_json": json.dumps(v["jwk"])} for v in demo_voters()]
    return render_template(
        "demo/voters.html",
        estate=estate,
        assembly=assembly,
        others=[a for a in open_now if a is not assembly],
        closing_now=assembly is not None and assembly not in roomy,
        people=people,
        petition=db.session.scalar(
            select(Petition).where(Petition.estate_id == estate.id, Petition.state == "open").order_by(Petition.seq.desc()).limit(1)
        ),
        evaluation_open=any(
            phase(e, utcnow()) == "open" for e in db.session.scalars(select(Evaluation).where(Evaluation.estate_id == estate.id))
        ),
    )
