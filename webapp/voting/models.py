"""The ballot log of an assembly, as crypto models it: the compact frontier in one row, the
complete-subtree nodes in a table (written once, never updated), every accepted ballot with its
leaf, and every signed tree head."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.core.db import UTCDateTime, db, utcnow


class BallotLog(db.Model):
    __tablename__ = "ballot_logs"

    assembly_id: Mapped[int] = mapped_column(ForeignKey("assemblies.id", ondelete="CASCADE"), primary_key=True)
    frontier: Mapped[bytes] = mapped_column(LargeBinary)  # crypto.merkle.TreeState.to_bytes()
    size: Mapped[int] = mapped_column(Integer, default=0)
    heads: Mapped[int] = mapped_column(Integer, default=0)  # tree heads signed so far (the next one's n)
    sealed: Mapped[bool] = mapped_column(default=False, server_default=false())


class LogNode(db.Model):
    """The hash of the complete subtree over leaves [idx·2^level, (idx+1)·2^level)."""

    __tablename__ = "log_nodes"

    assembly_id: Mapped[int] = mapped_column(ForeignKey("assemblies.id", ondelete="CASCADE"), primary_key=True)
    level: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary)


class Ballot(db.Model):
    """An accepted ballot: durable the moment its row commits; a leaf once the sequencer has put
    it under a signed tree head (``leaf_index``)."""

    __tablename__ = "ballots"
    __table_args__ = (
        UniqueConstraint("assembly_id", "leaf_hash"),
        UniqueConstraint("assembly_id", "member", "version"),
        UniqueConstraint("assembly_id", "leaf_index"),
        CheckConstraint("channel IN ('online', 'paper')", name="channel_valid"),
        CheckConstraint("signer IN ('owner', 'proxy', 'server')", name="signer_valid"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assembly_id: Mapped[int] = mapped_column(ForeignKey("assemblies.id", ondelete="CASCADE"), index=True)
    member: Mapped[str] = mapped_column(String(24))
    version: Mapped[int] = mapped_column(Integer, default=1)
    channel: Mapped[str] = mapped_column(String(8))
    signer: Mapped[str] = mapped_column(String(8))
    kid: Mapped[str] = mapped_column(String(64))
    # The log entry exactly as hashed: canonical JSON of {kind, ballot, kid, sig}.
    entry: Mapped[str] = mapped_column(Text)
    leaf_hash: Mapped[str] = mapped_column(String(64))
    leaf_index: Mapped[int | None] = mapped_column(Integer)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The signed promise of inclusion the ballot was answered with (crypto.promise); none for
    # ballots loaded in bulk, which are integrated at once.
    promise: Mapped[dict | None] = mapped_column(JSON)
    registration_id: Mapped[int | None] = mapped_column(ForeignKey("registrations.id", ondelete="SET NULL"))


class TreeHead(db.Model):
    __tablename__ = "tree_heads"
    __table_args__ = (UniqueConstraint("assembly_id", "n"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assembly_id: Mapped[int] = mapped_column(ForeignKey("assemblies.id", ondelete="CASCADE"), index=True)
    n: Mapped[int] = mapped_column(Integer)
    size: Mapped[int] = mapped_column(Integer)
    root: Mapped[str] = mapped_column(String(64))
    timestamp: Mapped[int] = mapped_column(BigInteger)
    final: Mapped[bool] = mapped_column(default=False, server_default=false())
    document: Mapped[dict] = mapped_column(JSON)  # the signed tree head as signed


class PaperSheet(db.Model):
    """A printed ballot sheet for one member, and what became of it: entered twice, cast, or
    sent to the supervisors when the two entries differ."""

    __tablename__ = "paper_sheets"
    __table_args__ = (
        UniqueConstraint("assembly_id", "serial"),
        CheckConstraint("state IN ('printed', 'entered', 'cast', 'disputed', 'refused')", name="state_valid"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assembly_id: Mapped[int] = mapped_column(ForeignKey("assemblies.id", ondelete="CASCADE"), index=True)
    member: Mapped[str] = mapped_column(String(24), index=True)
    serial: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(10), default="printed")
    ballot_id: Mapped[int | None] = mapped_column(ForeignKey("ballots.id", ondelete="SET NULL"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PaperEntry(db.Model):
    """One organiser's independent entry of a returned sheet, with the scan's SHA-256."""

    __tablename__ = "paper_entries"
    __table_args__ = (UniqueConstraint("sheet_id", "entered_by_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sheet_id: Mapped[int] = mapped_column(ForeignKey("paper_sheets.id", ondelete="CASCADE"), index=True)
    entered_by_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="RESTRICT"))
    choices: Mapped[dict] = mapped_column(JSON)
    scan_id: Mapped[int] = mapped_column(ForeignKey("attachments.id", ondelete="RESTRICT"))
    scan_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    scan = relationship("Attachment", foreign_keys=[scan_id])


class BallotInspection(db.Model):
    """A supervisor looked at a member's ballot (also in the audit log)."""

    __tablename__ = "ballot_inspections"

    id: Mapped[int] = mapped_column(primary_key=True)
    assembly_id: Mapped[int] = mapped_column(ForeignKey("assemblies.id", ondelete="CASCADE"), index=True)
    member: Mapped[str] = mapped_column(String(24))
    staff_user_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="RESTRICT"))
    reason: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
