"""The district's register of property-service firms (物业服务企业) and the estates each serves."""

from __future__ import annotations

from datetime import date, datetime

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.core.db import UTCDateTime, db, utcnow
from webapp.core.roles import FIRM


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
    accounts = relationship("FirmUser", back_populates="firm", order_by="FirmUser.username")


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


class FirmUser(UserMixin, db.Model):
    """A login of a firm's staff: sees its estates' published evaluation results, inspections and
    rectification notices, and answers them; never anything about owners (webapp/core/roles.py)."""

    __tablename__ = "firm_users"
    __table_args__ = (CheckConstraint("display_name <> ''", name="display_name_not_empty"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id", ondelete="CASCADE"), index=True)
    username: Mapped[str] = mapped_column(String(120), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))

    firm = relationship("Firm", back_populates="accounts")

    kind = FIRM  # webapp.core.roles.user_kind
    # Asked of any signed-in user by pages low in the house: a firm's login is neither.
    is_platform_admin = False

    def get_id(self) -> str:
        return f"firm:{self.id}:{self.session_epoch}"

    @property
    def is_active(self) -> bool:
        return self.active

    def role_in(self, estate_id: int) -> None:
        return None
