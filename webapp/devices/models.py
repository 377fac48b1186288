"""Device keys: public keys made in a browser, of owners (who sign ballots with them) and of staff
(who sign rolls and tallies)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.core.db import UTCDateTime, db, utcnow


class DeviceKey(db.Model):
    """A public key made by a browser (never the private key), for an owner or a staff member.

    ``pending`` keys belong to registrations waiting for a supervisor; only ``active`` keys sign
    in, go on a roll, or sign anything."""

    __tablename__ = "device_keys"
    __table_args__ = (
        CheckConstraint("(registration_id IS NULL) <> (staff_user_id IS NULL)", name="one_holder"),
        CheckConstraint("state IN ('active', 'pending', 'revoked')", name="state_valid"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    estate_id: Mapped[int | None] = mapped_column(ForeignKey("estates.id", ondelete="CASCADE"), index=True)
    registration_id: Mapped[int | None] = mapped_column(ForeignKey("registrations.id", ondelete="CASCADE"), index=True)
    staff_user_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"), index=True)
    kid: Mapped[str] = mapped_column(String(64), unique=True)
    jwk: Mapped[dict] = mapped_column(JSON)
    alg: Mapped[str] = mapped_column(String(16))
    label: Mapped[str | None] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_reason: Mapped[str | None] = mapped_column(Text)

    # The owner's registration, named as a string: owners stand above devices and import it.
    registration = relationship("Registration", back_populates="keys")
