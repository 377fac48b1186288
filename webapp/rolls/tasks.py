"""What of the rolls waits for a supervisor (webapp.estates.tasks): a frozen roll they have not
signed, and supplements (keys made after a roll froze) waiting for their signature."""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import exists, select

from webapp.core.db import db
from webapp.core.roles import Role
from webapp.estates.models import Estate
from webapp.estates.tasks import Task
from webapp.rolls.models import Roll, RollSignature, RollSupplementSignature
from webapp.rolls.operations import pending_supplements


def waiting(estate: Estate, user, role: Role) -> list[Task]:
    if role is not Role.supervisor:
        return []
    signed = exists().where(RollSignature.roll_id == Roll.id, RollSignature.staff_user_id == user.id)
    rolls = db.session.scalars(select(Roll.seq).where(Roll.estate_id == estate.id, Roll.state == "signing", ~signed).order_by(Roll.seq))
    tasks = [
        Task(_("Roll no. %(seq)d waits for your signature", seq=seq), url_for("rolls.sign", slug=estate.slug, seq=seq)) for seq in rolls
    ]
    supplements = pending_supplements(estate)
    if supplements:
        mine = set(
            db.session.scalars(
                select(RollSupplementSignature.supplement_id).where(
                    RollSupplementSignature.staff_user_id == user.id,
                    RollSupplementSignature.supplement_id.in_([s.id for s in supplements]),
                )
            )
        )
        unsigned = sum(1 for s in supplements if s.id not in mine)
        if unsigned:
            tasks.append(
                Task(
                    _("Keys made after the roll froze, waiting for your signature: %(num)d", num=unsigned),
                    url_for("rolls.supplements", slug=estate.slug),
                )
            )
    return tasks
