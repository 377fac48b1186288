"""The body that organises an estate's assemblies (业主委员会, 筹备组 or 物管会), term by term.

A new term is a new row: the rows of an estate are its history, and the body in force on a day is
the latest whose term had begun by then (``webapp.bodies.operations.body_on``)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.core.db import UTCDateTime, db, utcnow

# committee: 业主委员会; preparatory: 首次业主大会筹备组; management: 物业管理委员会 (物管会,
# formed by the sub-district where no committee can be, 北京市物业管理条例 Arts. 52–60).
BODY_KINDS = ("committee", "preparatory", "management")


class OrganisingBody(db.Model):
    __tablename__ = "organising_bodies"
    __table_args__ = (
        CheckConstraint("kind IN ('committee', 'preparatory', 'management')", name="kind_valid"),
        CheckConstraint("term_end IS NULL OR term_end >= term_start", name="term_in_order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    estate_id: Mapped[int] = mapped_column(ForeignKey("estates.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    # The name as printed, when it says more than the kind (第三届业主委员会); else from the kind.
    title: Mapped[str | None] = mapped_column(String(200))
    # [{"name": ..., "post": ...}] in the order the body lists them (主任 first).
    members: Mapped[list] = mapped_column(JSON, default=list)
    term_start: Mapped[date] = mapped_column(Date)
    term_end: Mapped[date | None] = mapped_column(Date)
    # What it rests on: the filing (备案) or the sub-district's decision, as recorded.
    basis: Mapped[str | None] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    # When the supervisors were reminded that the term is ending (换届), once per term.
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    estate = relationship("Estate")
