"""QR invitation letters and owners' registrations (their device keys: webapp.devices)."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.core.db import UTCDateTime, db, utcnow
from webapp.core.roles import OWNER
from webapp.devices.models import DeviceKey


class Invitation(db.Model):
    """One QR letter for one unit.  The 256-bit token and the short typed code are stored only as
    hashes; a letter is single use, expires, and re-issuing one voids the previous letter."""

    __tablename__ = "invitations"
    __table_args__ = (CheckConstraint("state IN ('active', 'used', 'void')", name="state_valid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    estate_id: Mapped[int] = mapped_column(ForeignKey("estates.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    state: Mapped[str] = mapped_column(String(8), default="active")
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    void_reason: Mapped[str | None] = mapped_column(Text)
    # Wrong identity answers given with this letter; past the limit the letter is locked.
    failed_checks: Mapped[int] = mapped_column(Integer, default=0)
    # A proxy's own letter (for the person an owner authorised), rather than an owner's.
    proxy_id: Mapped[int | None] = mapped_column(ForeignKey("proxies.id", ondelete="CASCADE"), index=True)

    unit = relationship("Unit")


class Registration(UserMixin, db.Model):
    """An owner (or a co-owner) who came in through a letter: the logged-in identity of owners.

    ``member_ref`` names the voting member it speaks for (``owner:<id>`` or ``developer``) once
    approved; only the member's voting representative gets ``can_vote``.
    """

    __tablename__ = "registrations"
    __table_args__ = (
        CheckConstraint("state IN ('approved', 'pending', 'rejected', 'superseded')", name="state_valid"),
        CheckConstraint("NOT can_vote OR state = 'approved'", name="vote_only_when_approved"),
    )
    kind = OWNER  # webapp.core.roles.user_kind

    id: Mapped[int] = mapped_column(primary_key=True)
    estate_id: Mapped[int] = mapped_column(ForeignKey("estates.id", ondelete="CASCADE"), index=True)
    invitation_id: Mapped[int] = mapped_column(ForeignKey("invitations.id", ondelete="CASCADE"), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("owners.id", ondelete="SET NULL"), index=True)
    holder_id: Mapped[int | None] = mapped_column(ForeignKey("owner_holders.id", ondelete="SET NULL"), index=True)
    member_ref: Mapped[str | None] = mapped_column(String(40), index=True)
    entered_name: Mapped[str] = mapped_column(String(200))
    tail_matched: Mapped[bool] = mapped_column(default=False)
    phone_verified: Mapped[bool] = mapped_column(default=False)
    note: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(12))
    can_vote: Mapped[bool] = mapped_column(default=False)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A proxy's registration: votes for the owner's member in one assembly, never as an owner.
    proxy_id: Mapped[int | None] = mapped_column(ForeignKey("proxies.id", ondelete="CASCADE"), index=True)
    # A mobile number the owner gave for notices (opt-in), encrypted with a key derived from the
    # PII key; shown masked.  Never the registry's number, which exists only as a keyed hash.
    notify_phone_enc: Mapped[str | None] = mapped_column(Text)
    notify_phone_masked: Mapped[str | None] = mapped_column(String(16))

    unit = relationship("Unit")
    owner = relationship("Owner")
    holder = relationship("OwnerHolder")
    estate = relationship("Estate")
    keys: Mapped[list[DeviceKey]] = relationship(back_populates="registration", order_by="DeviceKey.created_at")

    def get_id(self) -> str:
        return f"owner:{self.id}"

    @property
    def is_active(self) -> bool:
        # A pending or rejected owner may still sign in to read the supervisors' answer.
        return self.state != "superseded"


class SmsCode(db.Model):
    """A six-digit code texted to the registry's number during registration.

    Only a keyed hash of the code is kept, with its tries, on the server: nothing about it
    travels in the cookie.  One row per sending; a new sending replaces the old code."""

    __tablename__ = "sms_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    invitation_id: Mapped[int] = mapped_column(ForeignKey("invitations.id", ondelete="CASCADE"), index=True)
    holder_id: Mapped[int] = mapped_column(ForeignKey("owner_holders.id", ondelete="CASCADE"))
    code_hash: Mapped[str] = mapped_column(String(64))
    phone_masked: Mapped[str] = mapped_column(String(32))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    state: Mapped[str] = mapped_column(String(10), default="sent")  # sent | used | replaced | spent


class Notification(db.Model):
    """Something an owner should see on their page (a notice published, a result, a decision)."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registrations.id", ondelete="CASCADE"), index=True)
    estate_id: Mapped[int] = mapped_column(ForeignKey("estates.id", ondelete="CASCADE"), index=True)
    assembly_id: Mapped[int | None] = mapped_column(ForeignKey("assemblies.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    text_zh: Mapped[str] = mapped_column(Text)
    text_en: Mapped[str] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
