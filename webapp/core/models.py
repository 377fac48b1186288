"""Tables the plumbing owns: server-side sessions and one-time challenges."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from webapp.core.db import UTCDateTime, db, utcnow


class ServerSession(db.Model):
    """A browser session's state; ``id`` is SHA-256 of the id in the cookie, never the id."""

    __tablename__ = "server_sessions"

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class DeviceChallenge(db.Model):
    """A one-time challenge for a proof of possession (a device key signs it).  Stored as a
    hash, spent by an atomic update, expired after a few minutes."""

    __tablename__ = "device_challenges"

    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[str] = mapped_column(String(20))
    challenge_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
