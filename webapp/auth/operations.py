from __future__ import annotations

from sqlalchemy import select

from webapp.audit.operations import record
from webapp.auth.models import EstateRole, Role, StaffUser
from webapp.auth.passwords import check_password, hash_password
from webapp.core.db import db
from webapp.estates.models import Estate
from webapp.core.errors_base import UserError


class StaffError(UserError):
    pass


def find_staff(username: str) -> StaffUser | None:
    return db.session.scalar(select(StaffUser).where(StaffUser.username == username.strip().lower()))


def authenticate(username: str, password: str) -> StaffUser | None:
    user = find_staff(username)
    ok = check_password(user.password_hash if user else None, password)
    return user if ok and user is not None and user.active else None


def create_staff(username: str, display_name: str, password: str, *, admin: bool = False, actor=None) -> StaffUser:
    username = username.strip().lower()
    if not username:
        raise StaffError("用户名不能为空", "username is required")
    if find_staff(username):
        raise StaffError(f"用户名 {username} 已存在", f"username {username} already exists")
    try:
        password_hash = hash_password(password)
    except ValueError as exc:
        raise StaffError("密码至少需要 10 个字符", str(exc)) from exc
    user = StaffUser(username=username, display_name=display_name.strip() or username, password_hash=password_hash, is_platform_admin=admin)
    db.session.add(user)
    db.session.flush()
    record("staff.create", actor=actor, obj=user, username=username, platform_admin=admin)
    return user


def assign_role(user: StaffUser, estate: Estate, role: Role, *, actor=None) -> EstateRole:
    existing = user.role_in(estate.id)
    if existing is not None and existing != role:
        # SPEC 1: an organiser can never certify, so one person never holds both roles.
        raise StaffError(
            f"{user.username} 已是本小区的{'组织者' if existing is Role.organiser else '监督员'}，不能兼任",
            f"{user.username} is already {existing.value} of this estate and cannot hold both roles",
        )
    if existing == role:
        return next(r for r in user.roles if r.estate_id == estate.id)
    grant = EstateRole(user=user, estate_id=estate.id, role=role)
    db.session.add(grant)
    db.session.flush()
    record("staff.role.grant", actor=actor, estate_id=estate.id, obj=user, username=user.username, role=role.value)
    return grant


def revoke_role(user: StaffUser, estate: Estate, *, actor=None) -> None:
    for grant in list(user.roles):
        if grant.estate_id == estate.id:
            user.roles.remove(grant)
            record("staff.role.revoke", actor=actor, estate_id=estate.id, obj=user, username=user.username, role=grant.role.value)
    db.session.flush()
