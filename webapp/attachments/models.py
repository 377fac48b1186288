"""An attached file, described; its bytes live in the file store under their SHA-256."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from webapp.core.db import UTCDateTime, db, utcnow

# What a file belongs to decides who may read it (see webapp.attachments.access).
KINDS = ("item", "candidate", "photo", "bidder", "plan", "proxy", "paper", "nomination", "objection", "inspection", "followup", "answer")


class Attachment(db.Model):
    __tablename__ = "attachments"
    __table_args__ = (
        CheckConstraint("size > 0", name="not_empty"),
        CheckConstraint(
            "kind IN ('item', 'candidate', 'photo', 'bidder', 'plan', 'proxy', 'paper', 'nomination', 'objection', 'inspection', "
            "'followup', 'answer')",
            name="kind_valid",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    estate_id: Mapped[int] = mapped_column(ForeignKey("estates.id", ondelete="CASCADE"), index=True)
    assembly_id: Mapped[int | None] = mapped_column(ForeignKey("assemblies.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(12))
    # The row it belongs to, by kind (an item, a candidate, a bidder, a proxy, …).
    owner_id: Mapped[int | None] = mapped_column(Integer, index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    uploaded_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
