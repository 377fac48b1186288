"""A letter of proxy (委托书): one owner authorises one person for one named assembly."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.core.db import UTCDateTime, db, utcnow


class Proxy(db.Model):
    __tablename__ = "proxies"
    __table_args__ = (CheckConstraint("state IN ('pending', 'approved', 'rejected', 'withdrawn')", name="state_valid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    estate_id: Mapped[int] = mapped_column(ForeignKey("estates.id", ondelete="CASCADE"), index=True)
    assembly_id: Mapped[int] = mapped_column(ForeignKey("assemblies.id", ondelete="CASCADE"), index=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("owners.id", ondelete="RESTRICT"))
    member_ref: Mapped[str] = mapped_column(String(40))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"))
    proxy_name: Mapped[str] = mapped_column(String(200))
    # The proxy's identity number is never stored: its last six characters, keyed-hashed (to
    # check the proxy at registration and to count how many owners one person represents).
    proxy_tail_hash: Mapped[str] = mapped_column(String(64), index=True)
    proxy_tail_masked: Mapped[str] = mapped_column(String(16))
    scope: Mapped[str] = mapped_column(Text)
    signed_on: Mapped[date] = mapped_column(Date)
    scan_id: Mapped[int] = mapped_column(ForeignKey("attachments.id", ondelete="RESTRICT"))
    scan_sha256: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(10), default="pending")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reason: Mapped[str | None] = mapped_column(Text)

    unit = relationship("Unit")
    owner = relationship("Owner")
    scan = relationship("Attachment", foreign_keys=[scan_id])
