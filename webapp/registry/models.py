"""Buildings, units and owners of record (SPC interpretation Art. 8–9; docs/tally-format.md).

Areas are integer hundredths of a square metre.  Identity and phone numbers are never stored in
clear: only keyed hashes (HMAC with the server's PII key) and a masked form for display.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, Enum, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.core.db import UTCDateTime, db, utcnow


class AreaBasis(enum.Enum):
    registered = "registered"  # 不动产登记簿
    surveyed = "surveyed"  # 实测面积
    contract = "contract"  # 合同面积


class UnitStatus(enum.Enum):
    delivered = "delivered"  # 已交付
    unsold = "unsold"  # 未售
    undelivered = "undelivered"  # 已售未交付


class OwnerKind(enum.Enum):
    person = "person"
    co_owners = "co_owners"
    organisation = "organisation"


def _enum(cls):
    return Enum(cls, native_enum=False, length=20, validate_strings=True, values_callable=lambda e: [m.value for m in e])


class Building(db.Model):
    __tablename__ = "buildings"
    __table_args__ = (UniqueConstraint("estate_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    estate_id: Mapped[int] = mapped_column(ForeignKey("estates.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(64))

    units: Mapped[list[Unit]] = relationship(back_populates="building", order_by="Unit.number")


class Owner(db.Model):
    """An owner of record: one person, a set of co-owners, or an organisation.

    ``identity_key`` is the sorted set of the holders' identity hashes: two registry rows with the
    same set of identity numbers are the same owner of record, whatever the order of names.
    """

    __tablename__ = "owners"
    __table_args__ = (UniqueConstraint("estate_id", "identity_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    estate_id: Mapped[int] = mapped_column(ForeignKey("estates.id", ondelete="CASCADE"), index=True)
    kind: Mapped[OwnerKind] = mapped_column(_enum(OwnerKind))
    identity_key: Mapped[str] = mapped_column(String(64))
    display_name: Mapped[str] = mapped_column(String(400))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    holders: Mapped[list[OwnerHolder]] = relationship(back_populates="owner", order_by="OwnerHolder.position", cascade="all, delete-orphan")
    units: Mapped[list[Unit]] = relationship(back_populates="owner")

    @property
    def representative(self) -> OwnerHolder | None:
        return next((h for h in self.holders if h.is_representative), None)


class OwnerHolder(db.Model):
    """One natural or legal person behind an owner of record (a co-owner, or the sole owner)."""

    __tablename__ = "owner_holders"
    __table_args__ = (
        UniqueConstraint("owner_id", "position"),
        UniqueConstraint("owner_id", "id_hash"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("owners.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    id_hash: Mapped[str] = mapped_column(String(64), index=True)
    # Keyed hash of the last six characters, for the owner's identity check at registration.
    id_tail_hash: Mapped[str] = mapped_column(String(64))
    id_masked: Mapped[str] = mapped_column(String(32))
    phone_hash: Mapped[str | None] = mapped_column(String(64))
    phone_masked: Mapped[str | None] = mapped_column(String(32))
    # Co-owners name one of them to vote (one of them votes); the others may see but not cast.
    is_representative: Mapped[bool] = mapped_column(default=False)

    owner: Mapped[Owner] = relationship(back_populates="holders")


class Unit(db.Model):
    __tablename__ = "units"
    __table_args__ = (
        UniqueConstraint("building_id", "number"),
        CheckConstraint("area_centi > 0", name="area_positive"),
        CheckConstraint("status = 'unsold' OR owner_id IS NOT NULL", name="owner_unless_unsold"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    estate_id: Mapped[int] = mapped_column(ForeignKey("estates.id", ondelete="CASCADE"), index=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("buildings.id", ondelete="CASCADE"), index=True)
    number: Mapped[str] = mapped_column(String(64))
    area_centi: Mapped[int] = mapped_column(Integer)
    area_basis: Mapped[AreaBasis] = mapped_column(_enum(AreaBasis), default=AreaBasis.registered)
    status: Mapped[UnitStatus] = mapped_column(_enum(UnitStatus), default=UnitStatus.delivered)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("owners.id", ondelete="RESTRICT"), index=True)

    building: Mapped[Building] = relationship(back_populates="units")
    owner: Mapped[Owner | None] = relationship(back_populates="units")
    estate = relationship("Estate")

    @property
    def label(self) -> str:
        return f"{self.building.name}-{self.number}"


class RegistryImport(db.Model):
    """An uploaded registry between preview and apply.  It keeps the validated plan (hashes and
    masked numbers only, never the file itself, which holds identity numbers in clear) and the
    fingerprint of the registry the preview was computed against."""

    __tablename__ = "registry_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    estate_id: Mapped[int] = mapped_column(ForeignKey("estates.id", ondelete="CASCADE"), index=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    filename: Mapped[str] = mapped_column(String(255))
    file_sha256: Mapped[str] = mapped_column(String(64))
    base_fingerprint: Mapped[str] = mapped_column(String(64))
    plan: Mapped[dict] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(16), default="pending")  # pending | applied | discarded
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
