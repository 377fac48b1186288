"""Adding and revoking device keys.  A key is stored only after its proof of possession was
verified (webapp.devices.proof); each change is audited."""

from __future__ import annotations

from sqlalchemy import select

from crypto import keys as ckeys
from crypto.errors import KeyFormatError
from webapp.audit.operations import record
from webapp.core.db import db, utcnow
from webapp.core.errors_base import UserError
from webapp.devices.models import DeviceKey


class DeviceKeyError(UserError):
    pass


def add_device_key(*, jwk: dict, label: str | None, registration=None, staff=None, estate_id: int | None = None) -> DeviceKey:
    """Store a browser's public key after its proof of possession was verified.  A registration
    gets one key: a second phone means a new letter (which revokes the first key)."""
    if registration is not None and any(k.state in ("active", "pending") for k in registration.keys):
        raise DeviceKeyError(
            "这次登记已经有设备密钥了；换手机请向监督员申请新的告知书",
            "this registration already has a device key: for another phone, ask the supervisors for a new letter",
        )
    try:
        public = ckeys.public_jwk(jwk)
        kid = ckeys.jwk_thumbprint(public)
    except KeyFormatError as exc:
        raise DeviceKeyError("设备密钥格式不正确", f"malformed device key: {exc}") from exc
    if db.session.scalar(select(DeviceKey.id).where(DeviceKey.kid == kid)) is not None:
        raise DeviceKeyError("这个设备密钥已经登记过", "this device key is already registered")
    alg = "Ed25519" if public.get("crv") == "Ed25519" else "ES256"
    if registration is not None:
        state = "active" if registration.state == "approved" else "pending"
        key = DeviceKey(estate_id=registration.estate_id, registration=registration, kid=kid, jwk=public, alg=alg, label=label, state=state)
    else:
        key = DeviceKey(estate_id=estate_id, staff_user_id=staff.id, kid=kid, jwk=public, alg=alg, label=label, state="active")
    db.session.add(key)
    db.session.flush()
    record(
        "device_key.add",
        actor=staff or "owner",
        estate_id=key.estate_id,
        obj=key,
        kid=kid,
        state=key.state,
        registration=registration.id if registration else None,
    )
    return key


def revoke_key(key: DeviceKey, *, actor, reason: str) -> None:
    if key.state == "revoked":
        return
    key.state, key.revoked_at, key.revoked_reason = "revoked", utcnow(), reason.strip() or "revoked"
    db.session.flush()
    record("device_key.revoke", actor=actor, estate_id=key.estate_id, obj=key, kid=key.kid, reason=key.revoked_reason)


def staff_keys(user) -> list[DeviceKey]:
    return list(db.session.scalars(select(DeviceKey).where(DeviceKey.staff_user_id == user.id).order_by(DeviceKey.created_at)))


def revoke_staff_keys(user, *, actor, reason: str, key_id: int | None = None) -> list[DeviceKey]:
    """A platform admin revokes a staff member's signing keys: the one named, or every key not
    yet revoked.  A written reason is required; each key's revocation is audited."""
    reason = (reason or "").strip()
    if not reason:
        raise DeviceKeyError("请写明撤销理由", "a written reason is required")
    keys = [k for k in staff_keys(user) if k.state != "revoked" and (key_id is None or k.id == key_id)]
    if key_id is not None and not keys:
        raise DeviceKeyError("这个密钥不存在或已撤销", "no such key, or it is already revoked")
    for key in keys:
        revoke_key(key, actor=actor, reason=reason)
    return keys


def active_key(kid: str) -> DeviceKey | None:
    return db.session.scalar(select(DeviceKey).where(DeviceKey.kid == kid, DeviceKey.state == "active"))
