"""The estate's home page for its staff and its list of voting members: both show the registry's
roster (members by the statute's counting rules, with their area and units)."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_babel import gettext as _
from sqlalchemy import func, select

from webapp.core.db import db
from webapp.core.roles import Role
from webapp.estates.access import estate_view
from webapp.estates.models import Estate
from webapp.registry.models import Building, Unit
from webapp.registry.operations import estate_roster

bp = Blueprint("roster", __name__)
PAGE_SIZE = 50


@bp.get("/e/<slug>/")
@estate_view(Role.organiser, Role.supervisor)
def dashboard(estate: Estate):
    roster, _owners = estate_roster(estate)
    unit_count = db.session.scalar(select(func.count(Unit.id)).where(Unit.estate_id == estate.id))
    building_count = db.session.scalar(select(func.count(Building.id)).where(Building.estate_id == estate.id))
    return render_template(
        "registry/dashboard.html",
        estate=estate,
        roster=roster,
        unit_count=unit_count,
        building_count=building_count,
    )


@bp.get("/e/<slug>/members")
@estate_view(Role.organiser, Role.supervisor)
def members(estate: Estate):
    roster, owners = estate_roster(estate)
    query = (request.args.get("q") or "").strip()
    rows = list(roster.members)
    if query:

        def matches(member) -> bool:
            owner = owners.get(member.id)
            name = owner.display_name if owner else _("Developer (unsold and undelivered units)")
            return query in name or any(query in unit for unit in member.units)

        rows = [m for m in rows if matches(m)]
    try:
        page = max(1, int(request.args.get("page", "1")))
    except ValueError:
        abort(404)
    pages = max(1, (len(rows) + PAGE_SIZE - 1) // PAGE_SIZE)
    page = min(page, pages)
    shown = rows[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    return render_template(
        "registry/members.html",
        estate=estate,
        roster=roster,
        members=shown,
        owners=owners,
        query=query,
        page=page,
        pages=pages,
        matched=len(rows),
    )
