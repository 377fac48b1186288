"""The installation's server key set as its operator changes it (``ownersvote server-key add,
activate, retire``; docs/deployment.md, "Rotating the server key").

A key is **added** with its public part only (the secret stays in the machines' environment
files), **activated** (it may sign from that moment, by the database's clock), and the old key
**retired** (it signs nothing dated from that moment on) once every machine runs with the new
one.  Two keys may be active while machines change over.  Each change is an event in the
platform's audit chain, anchored at once.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from crypto.errors import KeyFormatError
from crypto.keys import jwk_thumbprint, public_jwk
from webapp.audit.operations import record
from webapp.core import db as database
from webapp.core.db import db
from webapp.core.errors_base import UserError
from webapp.core.models import InstallationKey
from webapp.core.serverkey import active_keys


class KeySetError(UserError):
    pass


def keys() -> list[InstallationKey]:
    return list(db.session.scalars(select(InstallationKey).order_by(InstallationKey.id)))


def state_of(key: InstallationKey, now=None) -> str:
    """``added`` (not active yet), ``active`` or ``retired``."""
    now = now or database.db_now()
    if key.retired_at is not None and key.retired_at <= now:
        return "retired"
    return "active" if key.not_before is not None and key.not_before <= now else "added"


def _locked(kid: str) -> InstallationKey:
    """The key's row, locked for update (PostgreSQL: it waits for every signature being made with
    the key, which hold it shared until they commit)."""
    query = select(InstallationKey).where(InstallationKey.kid == kid)
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    found = db.session.execute(query.execution_options(populate_existing=True)).scalar_one_or_none()
    if found is None:
        raise KeySetError(f"密钥集中没有密钥 {kid}", f"there is no key {kid} in the installation's key set (ownersvote server-key list)")
    return found


def add_key(jwk: dict, *, actor) -> InstallationKey:
    """A new key's public part, not active yet."""
    try:
        normal = public_jwk(jwk)
    except KeyFormatError as exc:
        raise KeySetError(f"不是有效的公钥：{exc}", f"not a valid public key: {exc}") from None
    if normal["kty"] != "OKP":
        raise KeySetError("服务器密钥必须是 Ed25519 密钥", "a server key is an Ed25519 key")
    kid = jwk_thumbprint(normal)
    if db.session.scalar(select(InstallationKey.id).where(InstallationKey.kid == kid)) is not None:
        raise KeySetError(f"密钥 {kid} 已在密钥集中", f"the key {kid} is already in the key set")
    key = InstallationKey(kid=kid, jwk=normal, added_at=database.db_now())
    db.session.add(key)
    db.session.flush()
    record("server_key.add", actor=actor, kid=kid)
    return key


def activate_key(kid: str, *, actor) -> InstallationKey:
    """The key may sign from now on (the database's clock, read once the row is locked)."""
    key = _locked(kid)
    if key.retired_at is not None:
        raise KeySetError(
            f"密钥 {kid} 已停用，不能再启用：请添加新的密钥", f"the key {kid} was retired and never comes back: add a new key"
        )
    if key.not_before is not None:
        raise KeySetError(f"密钥 {kid} 已经启用", f"the key {kid} is already active (since {key.not_before:%Y-%m-%d %H:%M:%S} UTC)")
    key.not_before = database.db_now()
    db.session.flush()
    # After the activation: its checkpoint may be signed by this very key.
    record("server_key.activate", actor=actor, kid=kid, since=key.not_before.isoformat())
    return key


def retire_key(kid: str, *, actor) -> InstallationKey:
    """The key signs nothing dated from now on.  Never the installation's last active key: its
    successor is activated first (and every machine restarted with it)."""
    key = _locked(kid)
    if key.retired_at is not None:
        raise KeySetError(f"密钥 {kid} 已经停用", f"the key {kid} is already retired")
    others = [k for k in active_keys() if k.kid != kid]
    if key.not_before is not None and not others:
        raise KeySetError(
            f"密钥 {kid} 是唯一启用的密钥，停用后将无法签名：请先添加并启用新的密钥",
            f"the key {kid} is the only active key, and nothing could be signed without it: add and activate its successor first",
        )
    # Before the retirement: its checkpoint may be signed by this very key, dated before it.
    event = record("server_key.retire", actor=actor, kid=kid)
    key.retired_at = max(database.db_now(), event.at + timedelta(milliseconds=1))
    if key.not_before is not None and key.retired_at <= key.not_before:
        key.retired_at = key.not_before + timedelta(milliseconds=1)
    db.session.flush()
    return key
