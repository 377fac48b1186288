"""Wrong-password back-off rows are kept a day at most: each new failure prunes older ones, so
the table cannot grow without bound however many addresses try."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select


def test_a_new_failure_prunes_failures_older_than_a_day(db_session, app):
    from webapp.auth import throttle
    from webapp.auth.models import LoginThrottle
    from webapp.core.db import utcnow

    now = utcnow()
    with app.test_request_context():
        for n, age in enumerate((timedelta(days=2), timedelta(days=3), timedelta(hours=25), timedelta(hours=23))):
            db_session.add(LoginThrottle(key=f"{n:064x}", failures=3, last_failure=now - age))
        db_session.flush()
        throttle.failed("org-b", "203.0.113.7", now=now)
        left = db_session.scalar(select(func.count()).select_from(LoginThrottle))
    assert left == 2  # the two of the last day stay; the three of two days ago are gone
