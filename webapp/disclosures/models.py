"""An estate's open accounts (三公开, 收支公示): each publication a signed document, versioned.

A ``Disclosure`` is one series — the fee standard, the complaint channels, or one kind of statement
for one period — and each ``DisclosureVersion`` one signed publication of it.  The truth is the
signed document (``document``, canonical JSON, crypto/disclosure.py); pages render from it after
checking it."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.core.db import UTCDateTime, db, utcnow


class Disclosure(db.Model):
    __tablename__ = "disclosures"
    __table_args__ = (
        UniqueConstraint("estate_id", "series", name="uq_disclosure_series"),
        CheckConstraint("kind IN ('fees', 'complaints', 'revenue', 'statement', 'fund')", name="kind_valid"),
        CheckConstraint("period_until IS NULL OR period_from IS NULL OR period_until >= period_from", name="period_in_order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    estate_id: Mapped[int] = mapped_column(ForeignKey("estates.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    # "fees", "complaints", or the kind and its period ("statement:2026-01-01:2026-03-31").
    series: Mapped[str] = mapped_column(String(60))
    period_from: Mapped[date | None] = mapped_column(Date)
    period_until: Mapped[date | None] = mapped_column(Date)
    title: Mapped[str] = mapped_column(String(200))  # the latest version's
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    versions: Mapped[list[DisclosureVersion]] = relationship(
        back_populates="disclosure", order_by="DisclosureVersion.version", cascade="all, delete-orphan"
    )

    @property
    def latest(self) -> DisclosureVersion | None:
        return self.versions[-1] if self.versions else None


class DisclosureVersion(db.Model):
    __tablename__ = "disclosure_versions"
    __table_args__ = (UniqueConstraint("disclosure_id", "version", name="uq_disclosure_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    disclosure_id: Mapped[int] = mapped_column(ForeignKey("disclosures.id", ondelete="CASCADE"), index=True)
    estate_id: Mapped[int] = mapped_column(ForeignKey("estates.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    document: Mapped[str] = mapped_column(Text)  # the canonical JSON of the signed publication
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))

    disclosure: Mapped[Disclosure] = relationship(back_populates="versions")
