"""Back-off for wrong passwords, by account *and* address.

Counting failures per account alone lets anyone lock a staff member out by typing wrong
passwords for their username.  Here the account's failures count only against the address they
came from: after ``FREE_FAILURES`` wrong passwords from one address, that address waits before
its next try for that account, twice as long each time, up to ``MAX_WAIT``; the right password
from any other address still works.  (Every address is also limited across all accounts by the
rate limiter on the login route.)  Kept in the database, so the back-off holds across processes
and restarts without Redis; the key is a hash, so the table names no username or address.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import delete

from webapp.auth.models import LoginThrottle
from webapp.core.db import db, utcnow

FREE_FAILURES = 5
BASE_WAIT = timedelta(seconds=30)
MAX_WAIT = timedelta(minutes=30)
FORGET_AFTER = timedelta(days=1)


def _key(username: str, address: str) -> str:
    return hashlib.sha256(f"{username.strip().lower()}\x00{address}".encode()).hexdigest()


def retry_at(username: str, address: str, now: datetime | None = None) -> datetime | None:
    """When this address may try this account again; None if it may now."""
    now = now or utcnow()
    row = db.session.get(LoginThrottle, _key(username, address))
    if row is None or row.blocked_until is None or row.blocked_until <= now:
        return None
    return row.blocked_until


def failed(username: str, address: str, now: datetime | None = None) -> datetime | None:
    """Count a wrong password; return when the next try is allowed (None: at once)."""
    now = now or utcnow()
    # Rows of failures a day old no longer count: drop them as new ones come, so that the table
    # holds at most a day of wrong passwords however many addresses have tried.
    forget_old(now)
    key = _key(username, address)
    row = db.session.get(LoginThrottle, key)
    if row is None or row.last_failure < now - FORGET_AFTER:
        if row is None:
            row = LoginThrottle(key=key, failures=0)
            db.session.add(row)
        row.failures = 0
    row.failures += 1
    row.last_failure = now
    extra = row.failures - FREE_FAILURES
    row.blocked_until = now + min(BASE_WAIT * (2**extra), MAX_WAIT) if extra >= 0 else None
    db.session.flush()
    return row.blocked_until


def succeeded(username: str, address: str) -> None:
    db.session.execute(delete(LoginThrottle).where(LoginThrottle.key == _key(username, address)))


def forget_old(now: datetime | None = None) -> None:
    now = now or utcnow()
    db.session.execute(delete(LoginThrottle).where(LoginThrottle.last_failure < now - FORGET_AFTER))
