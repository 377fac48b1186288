"""The district's pool of firms (优势资源库) and the two-way matching of estates without a firm
(无物业小区) with the firms of the pool.

A firm of the register (webapp/firms) is in the pool while it has an open term: each term says
the day it entered and why, and, once closed, the day it left and why; terms are never deleted
(the history is the record the district answers for).  An interest is one side's wish to work
with the other, an estate's (marked by its organisers) or a firm's (marked by a platform admin
acting for it); a match is when both sides wish it."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.core.db import UTCDateTime, db, utcnow

SIDES = ("estate", "firm")


class PoolTerm(db.Model):
    """A firm's time in the pool: from ``entered_on`` (for ``entered_reason``) until ``left_on``
    (for ``left_reason``), or still in it while ``left_on`` is empty.  One open term per firm."""

    __tablename__ = "pool_terms"
    __table_args__ = (
        CheckConstraint("left_on IS NULL OR left_on >= entered_on", name="left_after_entered"),
        CheckConstraint("(left_on IS NULL) = (left_reason IS NULL)", name="left_with_reason"),
        Index(
            "uq_pool_terms_open",
            "firm_id",
            unique=True,
            sqlite_where=text("left_on IS NULL"),
            postgresql_where=text("left_on IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id", ondelete="CASCADE"), index=True)
    entered_on: Mapped[date] = mapped_column(Date)
    entered_reason: Mapped[str] = mapped_column(String(500))
    left_on: Mapped[date | None] = mapped_column(Date)
    left_reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    firm = relationship("Firm")


class Interest(db.Model):
    """One side's interest in the other: an estate without a firm in a firm of the pool
    (``side == "estate"``), or a firm of the pool in such an estate (``side == "firm"``)."""

    __tablename__ = "pool_interests"
    __table_args__ = (
        UniqueConstraint("estate_id", "firm_id", "side", name="uq_pool_interest"),
        CheckConstraint("side IN ('estate', 'firm')", name="side_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    estate_id: Mapped[int] = mapped_column(ForeignKey("estates.id", ondelete="CASCADE"), index=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id", ondelete="CASCADE"), index=True)
    side: Mapped[str] = mapped_column(String(6))
    marked_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    estate = relationship("Estate")
    firm = relationship("Firm")
