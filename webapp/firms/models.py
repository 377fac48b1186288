"""The district's register of property-service firms (物业服务企业) and the estates each serves."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.core.db import UTCDateTime, db, utcnow


class Firm(db.Model):
    __tablename__ = "firms"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    contact_name: Mapped[str | None] = mapped_column(String(100))
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    address: Mapped[str | None] = mapped_column(String(300))
    # What the district's pool (优势资源库, webapp/pool) keeps of the firm: its qualifications and notes.
    qualifications: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    services = relationship("FirmEstate", back_populates="firm", order_by="FirmEstate.since.desc()")


class FirmEstate(db.Model):
    """A firm serves an estate from ``since`` (until ``until``, when it left)."""

    __tablename__ = "firm_estates"
    __table_args__ = (UniqueConstraint("firm_id", "estate_id", "since", name="uq_firm_estate_since"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id", ondelete="CASCADE"), index=True)
    estate_id: Mapped[int] = mapped_column(ForeignKey("estates.id", ondelete="CASCADE"), index=True)
    since: Mapped[date] = mapped_column(Date)
    until: Mapped[date | None] = mapped_column(Date)

    firm = relationship("Firm", back_populates="services")
    estate = relationship("Estate")
