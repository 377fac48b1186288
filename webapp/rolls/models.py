"""The frozen electoral roll (docs/bundle-format.md): voting members, pseudonymous, with their keys, and the
supervisors' signatures on its Merkle root."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.core.db import UTCDateTime, db, utcnow


class Roll(db.Model):
    __tablename__ = "rolls"
    __table_args__ = (
        UniqueConstraint("estate_id", "seq"),
        CheckConstraint("state IN ('signing', 'certified')", name="state_valid"),
        CheckConstraint("required_signatures >= 1", name="required_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    estate_id: Mapped[int] = mapped_column(ForeignKey("estates.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    frozen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    frozen_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    root: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    total_area_centi: Mapped[int] = mapped_column(Integer)
    total_heads: Mapped[int] = mapped_column(Integer)
    required_signatures: Mapped[int] = mapped_column(Integer)
    # The exact payload supervisors sign (crypto.roll.roll_payload), kept as signed.
    payload: Mapped[dict] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(10), default="signing")

    entries: Mapped[list[RollEntry]] = relationship(order_by="RollEntry.position", cascade="all, delete-orphan")
    signatures: Mapped[list[RollSignature]] = relationship(order_by="RollSignature.signed_at", cascade="all, delete-orphan")


class RollEntry(db.Model):
    __tablename__ = "roll_entries"
    __table_args__ = (UniqueConstraint("roll_id", "member"), UniqueConstraint("roll_id", "position"))

    id: Mapped[int] = mapped_column(primary_key=True)
    roll_id: Mapped[int] = mapped_column(ForeignKey("rolls.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    member: Mapped[str] = mapped_column(String(24))  # the pseudonym, public
    # Which voting member it is (``owner:<id>`` / ``developer``): shown only to supervisors and
    # to the owner concerned.
    member_ref: Mapped[str] = mapped_column(String(40))
    area_centi: Mapped[int] = mapped_column(Integer)
    heads: Mapped[int] = mapped_column(Integer)
    entry: Mapped[dict] = mapped_column(JSON)  # the canonical leaf content (crypto.roll.roll_entry)


class RollSignature(db.Model):
    __tablename__ = "roll_signatures"
    __table_args__ = (UniqueConstraint("roll_id", "staff_user_id"), UniqueConstraint("roll_id", "kid"))

    id: Mapped[int] = mapped_column(primary_key=True)
    roll_id: Mapped[int] = mapped_column(ForeignKey("rolls.id", ondelete="CASCADE"), index=True)
    staff_user_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="RESTRICT"))
    kid: Mapped[str] = mapped_column(String(64))
    jwk: Mapped[dict] = mapped_column(JSON)
    sig: Mapped[str] = mapped_column(String(200))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    staff_user = relationship("StaffUser")


class RollSupplement(db.Model):
    """A member's new voting key added to an assembly's frozen roll (and the old one revoked)
    until the close, once the roll's supervisors signed it (crypto.supplement)."""

    __tablename__ = "roll_supplements"
    __table_args__ = (
        UniqueConstraint("assembly_id", "seq"),
        CheckConstraint("state IN ('signing', 'certified', 'void')", name="state_valid"),
        CheckConstraint("required_signatures >= 1", name="required_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    roll_id: Mapped[int] = mapped_column(ForeignKey("rolls.id", ondelete="CASCADE"), index=True)
    assembly_id: Mapped[int] = mapped_column(ForeignKey("assemblies.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    member: Mapped[str] = mapped_column(String(24))  # the pseudonym on the roll
    member_ref: Mapped[str] = mapped_column(String(40))  # which voting member (supervisors only)
    required_signatures: Mapped[int] = mapped_column(Integer)
    # The exact payload supervisors sign (crypto.supplement.supplement_payload), kept as signed.
    payload: Mapped[dict] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(10), default="signing")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    certified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The ballot log's size when the last required signature came: the supplement's "from".
    log_from: Mapped[int | None] = mapped_column(Integer)

    signatures: Mapped[list[RollSupplementSignature]] = relationship(
        order_by="RollSupplementSignature.signed_at", cascade="all, delete-orphan"
    )
    assembly = relationship("Assembly")


class RollSupplementSignature(db.Model):
    __tablename__ = "roll_supplement_signatures"
    __table_args__ = (UniqueConstraint("supplement_id", "staff_user_id"), UniqueConstraint("supplement_id", "kid"))

    id: Mapped[int] = mapped_column(primary_key=True)
    supplement_id: Mapped[int] = mapped_column(ForeignKey("roll_supplements.id", ondelete="CASCADE"), index=True)
    staff_user_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="RESTRICT"))
    kid: Mapped[str] = mapped_column(String(64))
    jwk: Mapped[dict] = mapped_column(JSON)
    sig: Mapped[str] = mapped_column(String(200))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    staff_user = relationship("StaffUser")
