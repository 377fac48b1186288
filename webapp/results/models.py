"""The tally of an assembly, its certifications by supervisors, and owners' objections."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from webapp.core.db import UTCDateTime, db, utcnow


class TallyRecord(db.Model):
    """The tally document computed from the sealed log and the frozen roll alone, with the
    server's signed statement of what it computed it from (and the audit chain's head)."""

    __tablename__ = "tallies"

    id: Mapped[int] = mapped_column(primary_key=True)
    assembly_id: Mapped[int] = mapped_column(ForeignKey("assemblies.id", ondelete="CASCADE"), unique=True)
    document: Mapped[dict] = mapped_column(JSON)
    sha256: Mapped[str] = mapped_column(String(64))  # crypto.roll.tally_digest: what supervisors certify
    statement: Mapped[dict] = mapped_column(JSON)  # signed by the server key
    log_size: Mapped[int] = mapped_column(Integer)
    log_root: Mapped[str] = mapped_column(String(64))
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    computed_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    # The published audit bundle, stored by its SHA-256 (the same bytes for download and export).
    bundle_sha256: Mapped[str | None] = mapped_column(String(64))
    bundle_size: Mapped[int | None] = mapped_column(Integer)


class Certification(db.Model):
    """One supervisor's signature, made in their own browser, over the certification payload."""

    __tablename__ = "certifications"
    __table_args__ = (UniqueConstraint("assembly_id", "staff_user_id"), UniqueConstraint("assembly_id", "kid"))

    id: Mapped[int] = mapped_column(primary_key=True)
    assembly_id: Mapped[int] = mapped_column(ForeignKey("assemblies.id", ondelete="CASCADE"), index=True)
    staff_user_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="RESTRICT"))
    kid: Mapped[str] = mapped_column(String(64))
    jwk: Mapped[dict] = mapped_column(JSON)
    sig: Mapped[str] = mapped_column(String(200))
    payload: Mapped[dict] = mapped_column(JSON)
    declared_not_voted: Mapped[bool] = mapped_column(default=False, server_default=false())
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Objection(db.Model):
    """An owner's objection (异议) to a published result, and the supervisors' written answer.
    Public without the owner's name."""

    __tablename__ = "objections"

    id: Mapped[int] = mapped_column(primary_key=True)
    assembly_id: Mapped[int] = mapped_column(ForeignKey("assemblies.id", ondelete="CASCADE"), index=True)
    estate_id: Mapped[int] = mapped_column(ForeignKey("estates.id", ondelete="CASCADE"), index=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registrations.id", ondelete="RESTRICT"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
