"""Inspections of an estate by its supervisors, rectification notices (整改通知) and follow-ups,
each the canonical JSON its inspector signed in the browser (crypto/inspection.py), and the firm's
written answers to them.

A document's truth is its signed bytes (``document``, with ``kid``, ``jwk`` and ``sig``); the
other columns repeat what it says so that pages and the ranking job can ask the database."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.core.db import UTCDateTime, db, utcnow


class InspectionForm(db.Model):
    """A scoring sheet (《检查考核表》) the district publishes: its canonical JSON and digest."""

    __tablename__ = "inspection_forms"
    __table_args__ = (UniqueConstraint("code", "version", name="uq_inspection_form_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    definition: Mapped[str] = mapped_column(Text)  # canonical JSON of the form
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))


class _Signed:
    """The columns of a document signed by an inspector's device key."""

    kid: Mapped[str] = mapped_column(String(64))
    jwk: Mapped[dict] = mapped_column(JSON)
    sig: Mapped[str] = mapped_column(Text)
    document: Mapped[str] = mapped_column(Text)  # the canonical JSON that was signed
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Inspection(_Signed, db.Model):
    __tablename__ = "inspections"

    id: Mapped[int] = mapped_column(primary_key=True)
    estate_id: Mapped[int] = mapped_column(ForeignKey("estates.id", ondelete="CASCADE"), index=True)
    firm_id: Mapped[int | None] = mapped_column(ForeignKey("firms.id", ondelete="RESTRICT"), index=True)
    form_id: Mapped[int] = mapped_column(ForeignKey("inspection_forms.id", ondelete="RESTRICT"))
    inspector_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    inspected_on: Mapped[date] = mapped_column(Date, index=True)
    score: Mapped[str] = mapped_column(String(60))  # "p/q" on 0–100

    estate = relationship("Estate")
    firm = relationship("Firm")
    form = relationship("InspectionForm")
    inspector = relationship("StaffUser")
    notices = relationship("RectificationNotice", back_populates="inspection", order_by="RectificationNotice.id")


class RectificationNotice(_Signed, db.Model):
    __tablename__ = "rectification_notices"
    __table_args__ = (
        CheckConstraint("state IN ('open', 'rectified')", name="state_valid"),
        CheckConstraint("deadline > issued_on", name="deadline_after_issue"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    estate_id: Mapped[int] = mapped_column(ForeignKey("estates.id", ondelete="CASCADE"), index=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id", ondelete="RESTRICT"), index=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspections.id", ondelete="CASCADE"), index=True)
    inspector_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    issued_on: Mapped[date] = mapped_column(Date)
    deadline: Mapped[date] = mapped_column(Date)
    items: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(10), default="open")

    estate = relationship("Estate")
    firm = relationship("Firm")
    inspector = relationship("StaffUser")
    inspection = relationship("Inspection", back_populates="notices")
    followups = relationship("FollowUp", back_populates="notice", order_by="FollowUp.id")


class FollowUp(_Signed, db.Model):
    """A follow-up inspection: each item of a notice rectified or not."""

    __tablename__ = "rectification_followups"

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("rectification_notices.id", ondelete="CASCADE"), index=True)
    estate_id: Mapped[int] = mapped_column(ForeignKey("estates.id", ondelete="CASCADE"), index=True)
    inspector_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    inspected_on: Mapped[date] = mapped_column(Date)
    rectified: Mapped[int] = mapped_column(Integer)

    notice = relationship("RectificationNotice", back_populates="followups")
    inspector = relationship("StaffUser")


class FirmAnswer(db.Model):
    """The firm's answer in writing to an inspection or a notice."""

    __tablename__ = "firm_answers"
    __table_args__ = (CheckConstraint("(inspection_id IS NULL) <> (notice_id IS NULL)", name="one_subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    estate_id: Mapped[int] = mapped_column(ForeignKey("estates.id", ondelete="CASCADE"), index=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id", ondelete="CASCADE"), index=True)
    firm_user_id: Mapped[int | None] = mapped_column(ForeignKey("firm_users.id", ondelete="SET NULL"))
    inspection_id: Mapped[int | None] = mapped_column(ForeignKey("inspections.id", ondelete="CASCADE"), index=True)
    notice_id: Mapped[int | None] = mapped_column(ForeignKey("rectification_notices.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author = relationship("FirmUser")
