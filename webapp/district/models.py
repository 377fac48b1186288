"""Where an estate sits (district 区, sub-district 街道) and which of them a staff member oversees."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.auth.models import StaffUser
from webapp.core.db import UTCDateTime, db, utcnow
from webapp.estates.models import Estate


class EstateArea(db.Model):
    """An estate's district and sub-district, as the platform records them."""

    __tablename__ = "estate_areas"
    __table_args__ = (
        CheckConstraint("district <> '' AND sub_district <> ''", name="names_not_empty"),
        Index("ix_estate_areas_district", "district", "sub_district"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    estate_id: Mapped[int] = mapped_column(ForeignKey("estates.id", ondelete="CASCADE"), unique=True)
    district: Mapped[str] = mapped_column(String(100))
    sub_district: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    estate: Mapped[Estate] = relationship()


class StaffArea(db.Model):
    """The part of the platform a district's or sub-district's staff member oversees: a whole
    district (``sub_district`` NULL) or one sub-district of it."""

    __tablename__ = "staff_areas"
    __table_args__ = (CheckConstraint("district <> '' AND (sub_district IS NULL OR sub_district <> '')", name="names_not_empty"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_user_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"), unique=True)
    district: Mapped[str] = mapped_column(String(100))
    sub_district: Mapped[str | None] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[StaffUser] = relationship()
