"""The estate's audit log, for the people who answer for it: supervisors and platform admins."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from sqlalchemy import func, select

from webapp.audit import labels
from webapp.audit.models import AuditEvent
from webapp.audit.operations import PLATFORM_CHAIN, check_chain
from webapp.auth.models import StaffUser
from webapp.core.db import db
from webapp.core.roles import Role, admin_required
from webapp.estates.access import estate_view
from webapp.estates.models import Estate
from webapp.oversight.integrity import check_estate

bp = Blueprint("oversight", __name__)
PAGE_SIZE = 100


@bp.get("/e/<slug>/audit")
@estate_view(Role.supervisor)
def log(estate: Estate):
    return _page(estate.id, estate=estate)


@bp.get("/admin/audit")
@admin_required
def platform_log():
    """The platform's own chain: staff accounts created, disabled, enabled, logins, staff keys."""
    return _page(None, estate=None)


def _page(estate_id: int | None, *, estate: Estate | None):
    chain = estate_id if estate_id is not None else PLATFORM_CHAIN
    total = db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.chain == chain)) or 0
    try:
        page = max(1, int(request.args.get("page", "1")))
    except ValueError:
        page = 1
    pages = max(1, (total + PAGE_SIZE - 1) // PAGE_SIZE)
    page = min(page, pages)
    events = list(
        db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.chain == chain)
            .order_by(AuditEvent.seq.desc())
            .offset((page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE)
        )
    )
    actor_ids = {e.actor_id for e in events if e.actor_id is not None}
    staff = {u.id: u for u in db.session.scalars(select(StaffUser).where(StaffUser.id.in_(actor_ids)))} if actor_ids else {}
    return render_template(
        "oversight/log.html",
        estate=estate,
        events=events,
        problems=check_chain(estate_id),
        total=total,
        page=page,
        pages=pages,
        staff=staff,
        labels=labels,
    )


@bp.get("/e/<slug>/integrity")
@estate_view(Role.supervisor)
def integrity(estate: Estate):
    """The same checks as ``ownersvote check``, for the people who answer for the estate."""

    return render_template("oversight/integrity.html", estate=estate, report=check_estate(estate))
