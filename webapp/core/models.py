"""Tables the plumbing owns: server-side sessions, one-time challenges and the server's key set."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, LargeBinary, String
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


class InstallationKey(db.Model):
    """A server signing key of the installation (public part only) and its validity period
    ``[not_before, retired_at)``, both from the database's clock (webapp.core.serverkey).

    Added, a key is not in use yet (``not_before`` null); activated, it signs from ``not_before``;
    retired, it signs nothing from ``retired_at`` on.  The installation's first key is recorded at
    its first start, valid from the start (the epoch): nothing was signed before it."""

    __tablename__ = "server_keys"
    __table_args__ = (CheckConstraint("retired_at IS NULL OR not_before IS NULL OR retired_at > not_before", name="period_valid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kid: Mapped[str] = mapped_column(String(64), unique=True)
    jwk: Mapped[dict] = mapped_column(JSON)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)
    not_before: Mapped[datetime | None] = mapped_column(UTCDateTime)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
