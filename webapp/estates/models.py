"""The estate (小区): the scope of every other object."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from webapp.core.db import UTCDateTime, db, utcnow


class Estate(db.Model):
    __tablename__ = "estates"
    __table_args__ = (
        CheckConstraint("slug <> ''", name="slug_not_empty"),
        CheckConstraint("roll_signatures_required >= 1", name="roll_signatures_positive"),
        CheckConstraint("letter_valid_days BETWEEN 1 AND 365", name="letter_validity_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    # The estate's own counting rule (SPEC 2: rules of procedure may differ from the SPC
    # default); shown on every result where set.
    counting_rule: Mapped[str | None] = mapped_column(Text)
    roll_signatures_required: Mapped[int] = mapped_column(Integer, default=1)
    # Registration options (issue: owner onboarding).
    sms_required: Mapped[bool] = mapped_column(default=False, server_default=false())
    letter_valid_days: Mapped[int] = mapped_column(Integer, default=30, server_default="30")
    help_text: Mapped[str | None] = mapped_column(Text)
    organiser_label: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<Estate {self.slug}>"
