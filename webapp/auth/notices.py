"""Telling staff: a line on their own pages (the start page and the estate's overview) until they
mark it read, as owners are told on theirs (webapp/owners/notifications.py)."""

from __future__ import annotations

from sqlalchemy import select

from webapp.auth.models import EstateRole, StaffNotice, StaffUser
from webapp.core.db import db, utcnow
from webapp.core.roles import Role


def notify_staff(estate_id: int, roles: tuple[Role, ...], *, kind: str, zh: str, en: str, url: str | None) -> list[str]:
    """A line for every active holder of one of ``roles`` in the estate (the caller commits, with
    what it is about); returns their account names."""
    people = list(
        db.session.scalars(
            select(StaffUser)
            .join(EstateRole, EstateRole.user_id == StaffUser.id)
            .where(EstateRole.estate_id == estate_id, EstateRole.role.in_(roles), StaffUser.active.is_(True))
            .order_by(StaffUser.id)
        )
    )
    for user in people:
        db.session.add(StaffNotice(user_id=user.id, estate_id=estate_id, kind=kind, zh=zh, en=en, url=url))
    db.session.flush()
    return [p.username for p in people]


def notify_role(estate_id: int, role: Role, *, kind: str, zh: str, en: str, url: str | None) -> int:
    """A line for every active holder of ``role`` in the estate; returns how many (the caller commits)."""
    return len(notify_staff(estate_id, (role,), kind=kind, zh=zh, en=en, url=url))


def unread(user, estate_id: int | None = None) -> list[StaffNotice]:
    """The user's unread lines, newest first (of one estate when given)."""
    query = select(StaffNotice).where(StaffNotice.user_id == user.id, StaffNotice.read_at.is_(None))
    if estate_id is not None:
        query = query.where(StaffNotice.estate_id == estate_id)
    return list(db.session.scalars(query.order_by(StaffNotice.created_at.desc(), StaffNotice.id.desc()).limit(20)))


def mark_read(user, notice_id: int) -> bool:
    """Mark one of the user's own lines read; False when it is not theirs (or no such line)."""
    notice = db.session.get(StaffNotice, notice_id)
    if notice is None or notice.user_id != user.id:
        return False
    if notice.read_at is None:
        notice.read_at = utcnow()
        db.session.flush()
    return True
