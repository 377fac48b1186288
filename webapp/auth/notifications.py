"""Telling an estate's staff what they must act on: a line on the estate's overview for each
organiser or supervisor named by role (owners have theirs in webapp.owners.notifications)."""

from __future__ import annotations

from sqlalchemy import insert, select

from webapp.auth.models import EstateRole, StaffNotification, StaffUser
from webapp.core.db import db, utcnow
from webapp.core.roles import Role


def notify_staff(estate_id: int, roles: tuple[Role, ...], *, kind: str, zh: str, en: str, url: str | None) -> list[str]:
    """A line for every active staff member holding one of ``roles`` in the estate (the caller
    commits, with what it is about); returns their account names."""
    people = list(
        db.session.scalars(
            select(StaffUser)
            .join(EstateRole, EstateRole.user_id == StaffUser.id)
            .where(EstateRole.estate_id == estate_id, EstateRole.role.in_(roles), StaffUser.active.is_(True))
            .order_by(StaffUser.id)
        )
    )
    now = utcnow()
    if people:
        db.session.execute(
            insert(StaffNotification),
            [
                {"staff_user_id": p.id, "estate_id": estate_id, "kind": kind, "text_zh": zh, "text_en": en, "url": url, "created_at": now}
                for p in people
            ],
        )
    return [p.username for p in people]


def recent_for(user, estate_id: int, limit: int = 10) -> list[StaffNotification]:
    """The staff member's newest lines for the estate, newest first."""
    return list(
        db.session.scalars(
            select(StaffNotification)
            .where(StaffNotification.staff_user_id == user.id, StaffNotification.estate_id == estate_id)
            .order_by(StaffNotification.created_at.desc(), StaffNotification.id.desc())
            .limit(limit)
        )
    )
