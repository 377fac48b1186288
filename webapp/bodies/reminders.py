"""The reminder of a term's end (换届): the estate's supervisors are told, months ahead (the
estate's ``term_reminder_months``), that the organising body's term is ending.

Run by the clock the application already has: the sequencer's pass (webapp/voting/sequencer.py)
calls :func:`run_if_due`, which looks at most once every ``OWNERSVOTE_REMINDERS_EVERY`` seconds
(ten minutes by default).  Each term is reminded once (``reminded_at``), in the transaction that
writes the supervisors' lines and the audit event; a new term is a new record, reminded in its turn.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime

from flask import current_app
from sqlalchemy import select

from webapp.audit.operations import record
from webapp.auth.notices import notify_role
from webapp.bodies.models import OrganisingBody
from webapp.bodies.operations import current_body, display_name, reminder_due_on, today_in
from webapp.core import db as database
from webapp.core.db import db
from webapp.core.roles import Role
from webapp.estates.models import Estate

log = logging.getLogger("ownersvote.reminders")
_last = {"at": None}


def send_due(now: datetime | None = None) -> int:
    """Remind the supervisors of every estate whose current term is within its reminder months of
    its end and has not been reminded; returns how many terms were reminded (the caller commits)."""
    now = now or database.db_now()
    sent = 0
    candidates = db.session.scalars(
        select(OrganisingBody).where(OrganisingBody.term_end.is_not(None), OrganisingBody.reminded_at.is_(None))
    )
    for body in list(candidates):
        estate = db.session.get(Estate, body.estate_id)
        if current_body(estate) is not body:
            continue  # superseded by a newer term: that one is reminded in its turn
        today = today_in(estate, now)
        due = reminder_due_on(body, estate)
        if due is None or today < due:
            continue
        name = display_name(body, estate)
        end = body.term_end.isoformat()
        left = (body.term_end - today).days
        if left >= 0:
            zh = f"换届提醒：{name}任期将于 {end} 届满（还有 {left} 天）。请指导组织换届选举，选出后登记新一届组织机构。"
            en = (
                f"Next term (换届): the term of {name} at {estate.name} ends on {end} ({left} days from now). "
                "Guide the election of the next term and record the new body once chosen."
            )
        else:
            zh = f"换届提醒：{name}任期已于 {end} 届满，尚未登记新一届。请尽快指导组织换届。"
            en = f"Next term (换届): the term of {name} at {estate.name} ended on {end} and no new term is recorded. Guide the election soon."
        told = notify_role(estate.id, Role.supervisor, kind="term", zh=zh, en=en, url=f"/e/{estate.slug}/organising-body")
        body.reminded_at = now
        record("body.term_reminder", actor="clock", estate_id=estate.id, obj=body, term_end=end, supervisors=told)
        sent += 1
    db.session.flush()
    return sent


def every() -> float:
    return float(current_app.config.get("OWNERSVOTE_REMINDERS_EVERY", 600))


def run_if_due() -> int:
    """:func:`send_due` when the last look was long enough ago (in this process); commits what it
    sent.  Called on every pass of the sequencer's clock, so it must be cheap when not due."""
    moment = time.monotonic()
    if _last["at"] is not None and moment - _last["at"] < every():
        return 0
    _last["at"] = moment
    try:
        sent = send_due()
        db.session.commit()
        return sent
    except Exception:  # the reminders must never stop the ballots' clock
        db.session.rollback()
        log.exception("term reminders failed")
        return 0
