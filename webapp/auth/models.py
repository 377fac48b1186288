"""Staff accounts: platform admins, and organisers or supervisors of an estate."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, Enum, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.core.db import UTCDateTime, db, utcnow
from webapp.core.roles import STAFF, Role


class StaffUser(UserMixin, db.Model):
    __tablename__ = "staff_users"
    # The name owners read on the public roll and in the audit log: a real name, never empty.
    __table_args__ = (CheckConstraint("display_name <> ''", name="display_name_not_empty"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(120), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    is_platform_admin: Mapped[bool] = mapped_column(default=False)
    # Keyed hash of the staff member's identity number, when recorded: lets the app see that a
    # supervisor is also an owner who voted (who may then certify only where the estate allows).
    id_hash: Mapped[str | None] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Raised when the password changes: sessions signed in before it no longer load.
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    disabled_reason: Mapped[str | None] = mapped_column(Text)

    roles: Mapped[list[EstateRole]] = relationship(back_populates="user", cascade="all, delete-orphan")

    kind = STAFF  # webapp.core.roles.user_kind

    def get_id(self) -> str:
        # The epoch is part of the id the session keeps, so that changing the password ends every
        # other session of the account (the user loader compares it).
        return f"staff:{self.id}:{self.session_epoch}"

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def role_in(self, estate_id: int) -> Role | None:
        return next((r.role for r in self.roles if r.estate_id == estate_id), None)


class EstateRole(db.Model):
    """One role per user and estate: separation of duties (docs/architecture.md) means an organiser of an
    estate can never also be its supervisor, so the database allows only one row."""

    __tablename__ = "estate_roles"
    __table_args__ = (UniqueConstraint("user_id", "estate_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"), index=True)
    estate_id: Mapped[int] = mapped_column(ForeignKey("estates.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(
        Enum(Role, native_enum=False, length=20, validate_strings=True, values_callable=lambda e: [m.value for m in e])
    )

    user: Mapped[StaffUser] = relationship(back_populates="roles")


class LoginThrottle(db.Model):
    """Wrong staff passwords per (account, address), for the back-off in ``auth.throttle``."""

    __tablename__ = "login_throttles"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    last_failure: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    blocked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class StaffNotice(db.Model):
    """A line on a staff member's own pages (the start page, the estate's overview): what the
    application tells them without their asking, e.g. that the organising body's term is ending.
    Kept in both languages, like an owner's notification."""

    __tablename__ = "staff_notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"), index=True)
    estate_id: Mapped[int | None] = mapped_column(ForeignKey("estates.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    zh: Mapped[str] = mapped_column(Text)
    en: Mapped[str] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
