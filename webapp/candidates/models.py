"""A candidate in an election (选举业主委员会委员): nominated online or on paper, committed in
writing, vetted by the supervisors, withdrawn or on the published list."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.core.db import UTCDateTime, db, utcnow

STATES = ("awaiting_consent", "submitted", "approved", "rejected", "withdrawn", "declined")


class Candidate(db.Model):
    __tablename__ = "candidates"
    __table_args__ = (
        UniqueConstraint("item_id", "holder_id"),
        CheckConstraint("state IN ('awaiting_consent', 'submitted', 'approved', 'rejected', 'withdrawn', 'declined')", name="state_valid"),
        CheckConstraint("nominated_by IN ('self', 'owner', 'paper')", name="nominated_by_valid"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    estate_id: Mapped[int] = mapped_column(ForeignKey("estates.id", ondelete="CASCADE"), index=True)
    assembly_id: Mapped[int] = mapped_column(ForeignKey("assemblies.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("agenda_items.id", ondelete="CASCADE"), index=True)
    # The person (a holder of an owner of record) and, when online, their registration.
    holder_id: Mapped[int] = mapped_column(ForeignKey("owner_holders.id", ondelete="RESTRICT"))
    registration_id: Mapped[int | None] = mapped_column(ForeignKey("registrations.id", ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(String(200))
    units: Mapped[str] = mapped_column(String(400))
    statement: Mapped[str | None] = mapped_column(Text)
    photo_id: Mapped[int | None] = mapped_column(ForeignKey("attachments.id", ondelete="SET NULL"))
    # Declared by the candidate, for the supervisors' composition overview only.
    party_member: Mapped[bool] = mapped_column(default=False, server_default=false())
    nominated_by: Mapped[str] = mapped_column(String(8))
    nominator_registration_id: Mapped[int | None] = mapped_column(ForeignKey("registrations.id", ondelete="SET NULL"))
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    # The written commitment (书面承诺): signed on the candidate's device (kid + signature over
    # the commitment's canonical text), or a scan of the signed paper for paper nominations.
    commitment_sha256: Mapped[str | None] = mapped_column(String(64))
    commitment_kid: Mapped[str | None] = mapped_column(String(64))
    commitment_sig: Mapped[str | None] = mapped_column(String(200))
    commitment_scan_id: Mapped[int | None] = mapped_column(ForeignKey("attachments.id", ondelete="SET NULL"))
    committed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(16))
    decision_reason: Mapped[str | None] = mapped_column(Text)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    item = relationship("AgendaItem")
    holder = relationship("OwnerHolder")
    photo = relationship("Attachment", foreign_keys=[photo_id])
    commitment_scan = relationship("Attachment", foreign_keys=[commitment_scan_id])

    @property
    def ballot_id(self) -> str:
        return f"c{self.id}"
