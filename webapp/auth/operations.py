from __future__ import annotations

from sqlalchemy import select

from webapp.audit.operations import record
from webapp.auth.models import EstateRole, StaffUser
from webapp.auth.passwords import check_password, hash_password
from webapp.core import identity
from webapp.core.db import db, utcnow
from webapp.core.errors_base import UserError
from webapp.core.roles import Role
from webapp.estates.models import Estate


class StaffError(UserError):
    pass


def find_staff(username: str) -> StaffUser | None:
    return db.session.scalar(select(StaffUser).where(StaffUser.username == username.strip().lower()))


def authenticate(username: str, password: str) -> StaffUser | None:
    """The account, if the password is right (disabled accounts too: the caller refuses them
    with their own message, which only someone who knows the password gets to read)."""
    user = find_staff(username)
    ok = check_password(user.password_hash if user else None, password)
    return user if ok and user is not None else None


def create_staff(username: str, display_name: str, password: str, *, admin: bool = False, actor=None) -> StaffUser:
    username = username.strip().lower()
    display_name = (display_name or "").strip()
    if not username:
        raise StaffError("用户名不能为空", "username is required")
    if not display_name:
        # Owners read this name on the public roll and in the audit log: never the username.
        raise StaffError("请填写真实姓名（业主会在公示的名册上看到）", "a real name is required: owners read it on the public roll")
    if find_staff(username):
        raise StaffError(f"用户名 {username} 已存在", f"username {username} already exists")
    try:
        password_hash = hash_password(password)
    except ValueError as exc:
        raise StaffError("密码至少需要 10 个字符", str(exc)) from exc
    user = StaffUser(username=username, display_name=display_name, password_hash=password_hash, is_platform_admin=admin)
    db.session.add(user)
    db.session.flush()
    record("staff.create", actor=actor, obj=user, username=username, platform_admin=admin)
    return user


def set_staff_identity(user: StaffUser, id_number: str, *, pii_key: str, actor) -> None:
    """Record a staff member's identity number as the registry keeps owners' (a keyed hash, never
    the number), so that a supervisor who is also an owner and voted in an assembly is known
    when certifying it (a supervisor who voted may certify only if the estate allows: docs/architecture.md, who may do what)."""

    number = identity.normalize_id(id_number or "")
    if not identity.is_resident_id(number):
        why_zh, why_en = identity.id_problem(number)
        raise StaffError(f"身份证号无效：{why_zh}", f"the identity number is not valid: {why_en}")
    user.id_hash = identity.keyed_hash(pii_key, number, purpose="id")
    record("staff.identity", actor=actor, obj=user, username=user.username)


def assign_role(user: StaffUser, estate: Estate, role: Role, *, actor=None) -> EstateRole:
    existing = user.role_in(estate.id)
    if existing is not None and existing != role:
        # Separation of duties (docs/architecture.md, who may do what): an organiser can never certify, so one person never holds both roles.
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


def disable_staff(user: StaffUser, *, actor: StaffUser, reason: str) -> None:
    """A platform admin disables an account: its sessions end at once (the user loader no longer
    loads it) and its password no longer logs in.  Its keys stay as they are; revoke them apart."""
    reason = (reason or "").strip()
    if not reason:
        raise StaffError("请写明停用理由", "a written reason is required")
    if user.id == actor.id:
        raise StaffError("不能停用自己的账号", "you cannot disable your own account")
    if not user.active:
        raise StaffError("该账号已经停用", "this account is already disabled")
    user.active, user.disabled_at, user.disabled_reason = False, utcnow(), reason
    db.session.flush()
    record("staff.disable", actor=actor, obj=user, username=user.username, reason=reason)


def enable_staff(user: StaffUser, *, actor: StaffUser, reason: str) -> None:
    reason = (reason or "").strip()
    if not reason:
        raise StaffError("请写明恢复理由", "a written reason is required")
    if user.active:
        raise StaffError("该账号没有停用", "this account is not disabled")
    user.active, user.disabled_at, user.disabled_reason = True, None, None
    db.session.flush()
    record("staff.enable", actor=actor, obj=user, username=user.username, reason=reason)


def change_password(user: StaffUser, current: str, new: str) -> None:
    """A staff member changes their own password: the current one is required, and every other
    session of the account ends (the caller rotates the current session's id)."""
    if not check_password(user.password_hash, current or ""):
        raise StaffError("当前密码不正确", "the current password is wrong")
    if new == current:
        raise StaffError("新密码不能与当前密码相同", "the new password must differ from the current one")
    try:
        user.password_hash = hash_password(new or "")
    except ValueError as exc:
        raise StaffError("新密码至少需要 10 个字符", str(exc)) from exc
    user.session_epoch += 1
    db.session.flush()
    record("staff.password", actor=user, obj=user, username=user.username)
