"""What the owner's own page shows, gathered in one place (no request needed)."""
from __future__ import annotations

from sqlalchemy import select

from webapp.core.db import db
from webapp.owners.models import DeviceKey, Registration
from webapp.registry.models import Unit
from webapp.registry.operations import estate_roster
from webapp.rolls.models import Roll, RollEntry


def owner_page_context(registration: Registration) -> dict:
    estate = registration.estate
    roster, _owners = estate_roster(estate)
    member = next((m for m in roster.members if m.id == registration.member_ref), None)
    units = []
    if registration.owner_id is not None:
        units = list(db.session.scalars(select(Unit).where(Unit.owner_id == registration.owner_id)))
    keys = list(
        db.session.scalars(
            select(DeviceKey)
            .join(Registration, DeviceKey.registration_id == Registration.id)
            .where(Registration.holder_id == registration.holder_id if registration.holder_id else Registration.id == registration.id)
            .order_by(DeviceKey.created_at)
        )
    )
    roll = db.session.scalar(select(Roll).where(Roll.estate_id == estate.id).order_by(Roll.seq.desc()).limit(1))
    entry = None
    if roll is not None and registration.member_ref:
        entry = db.session.scalar(select(RollEntry).where(RollEntry.roll_id == roll.id, RollEntry.member_ref == registration.member_ref))
    return {
        "registration": registration,
        "estate": estate,
        "member": member,
        "units": units,
        "keys": keys,
        "roster": roster,
        "roll": roll,
        "roll_entry": entry,
    }
