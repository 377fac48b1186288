"""The server's Ed25519 signing key and the installation's key set.

The key signs notices, tree heads of the ballot logs, paper ballots it records, tallies, audit
checkpoints and evaluation forms and results; its key id is published (every notice and bundle
names it) so that anyone can pin it when verifying.

Production reads the 32-byte secret from ``OWNERSVOTE_SERVER_KEY`` (base64url); development
generates one into ``instance/server_key`` on first use.  The key never reaches a browser.

**The key set** (table ``server_keys``, :class:`webapp.core.models.InstallationKey`): every key
the installation has signed with, its public JWK, key id and validity period ``[not_before,
retired_at)`` from the database's clock.  A key is added, then activated, later retired (``ownersvote
server-key add/activate/retire``, webapp/audit/serverkeys.py); while machines change over, two keys
may be active at once, each process signing with its own.  Every signature is made through
:func:`signing_key`, which checks in the signing transaction that the configured key is in the set
and valid at the signed object's own time, and every server signature the app checks is looked up
by its ``kid`` in the set (:func:`key_set`).  The installation's first key is recorded at its first
start (valid from the start), once the installation's signed objects are found to name it
(:func:`register_first_key_check`).
"""

from __future__ import annotations

import base64
import os
import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from crypto.errors import FormatError
from crypto.keys import Signer, ed25519_from_seed
from crypto.serverkeys import KeySet, ServerKey, key_record
from webapp.core import db as database
from webapp.core.db import db
from webapp.core.instance import local_secret
from webapp.core.models import InstallationKey

#: The start of the installation's first key's period: nothing was signed before it.
FROM_THE_START = datetime(1970, 1, 1, tzinfo=UTC)


class ServerKeyError(RuntimeError):
    pass


class KeyNotUsable(ServerKeyError):
    """The configured key may not sign now: it is not in the installation's key set, not active
    yet, or retired.  Nothing is signed; a request answers 503 with the reason."""

    def __init__(self, zh: str, en: str):
        super().__init__(en)
        self.zh, self.en = zh, en


def _decode(text: str) -> bytes:
    raw = base64.urlsafe_b64decode(text.strip() + "=" * (-len(text.strip()) % 4))
    if len(raw) != 32:
        raise ServerKeyError(
            'OWNERSVOTE_SERVER_KEY must be 32 bytes, base64url (python -c "import secrets,base64; '
            'print(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())")'
        )
    return raw


def load_seed(production: bool) -> bytes:
    configured = os.environ.get("OWNERSVOTE_SERVER_KEY")
    if configured:
        return _decode(configured)
    if production:
        raise ServerKeyError("production mode needs OWNERSVOTE_SERVER_KEY (the server's Ed25519 signing key)")
    return _decode(local_secret("server_key", lambda: base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()))


def signer() -> Signer:
    """The app's configured server key (loaded once per app): its key id and public key.  Sign
    only through :func:`signing_key`, which checks the key set first."""
    app = current_app
    found = app.extensions.get("ownersvote_server_key")
    if found is None:
        found = ed25519_from_seed(load_seed(app.config.get("OWNERSVOTE_ENV") == "production"))
        app.extensions["ownersvote_server_key"] = found
    return found


def ms(value: datetime) -> int:
    return int(value.timestamp() * 1000)


def _ms(at: datetime | int | None) -> int:
    if at is None:
        return ms(database.db_now())
    return at if isinstance(at, int) else ms(at)


# --- the installation's first key -------------------------------------------------------------

# Whether the installation's signed objects name the configured key (a higher package knows
# them: webapp/voting/health.py registers the question).  None when they do or there are none.
_first_key_check: list[Callable[[str], str | None]] = []


def register_first_key_check(check: Callable[[str], str | None]) -> None:
    _first_key_check[:] = [check]


def record_first_key(key: Signer) -> str | None:
    """When the key set is empty: record ``key`` as the installation's first key, valid from the
    start, if the installation's signed objects name it (or there are none).  Returns what is
    wrong instead, recording nothing.  In the caller's transaction."""
    if db.session.scalar(select(InstallationKey.id).limit(1)) is not None:
        return None
    problem = _first_key_check[0](key.kid) if _first_key_check else None
    if problem:
        return problem
    try:
        with db.session.begin_nested():
            db.session.add(InstallationKey(kid=key.kid, jwk=key.jwk, added_at=database.db_now(), not_before=FROM_THE_START))
    except IntegrityError:  # another process recorded it at the same moment
        pass
    return None


# --- signing ----------------------------------------------------------------------------------


def _row_for(kid: str) -> tuple[datetime | None, datetime | None] | None:
    """(not_before, retired_at) of a key of the set, its row locked until the transaction ends
    (PostgreSQL: FOR KEY SHARE, so that a retirement, which takes FOR UPDATE, waits for what is
    being signed and takes its time after it)."""
    query = select(InstallationKey.not_before, InstallationKey.retired_at).where(InstallationKey.kid == kid)
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(key_share=True)
    row = db.session.execute(query).first()
    return None if row is None else (row.not_before, row.retired_at)


def usable_at(kid: str, period: tuple[datetime | None, datetime | None] | None, at: int) -> None:
    """Raise :class:`KeyNotUsable` unless the key of that ``period`` (None: not in the set) is
    valid at ``at`` (ms)."""
    if period is None:
        raise KeyNotUsable(
            f"服务器签名密钥 {kid} 不在本系统的密钥集中",
            f"the configured server key {kid} is not in the installation's key set (ownersvote server-key list)",
        )
    not_before, retired_at = period
    if not_before is None:
        raise KeyNotUsable(
            f"服务器签名密钥 {kid} 已添加但尚未启用",
            f"the configured server key {kid} was added but is not active yet (ownersvote server-key activate {kid})",
        )
    if at < ms(not_before):
        raise KeyNotUsable(
            f"服务器签名密钥 {kid} 在 {not_before:%Y-%m-%d %H:%M:%S} UTC 才启用，不能签署更早的内容",
            f"the configured server key {kid} is active only from {not_before:%Y-%m-%d %H:%M:%S} UTC, not for anything dated before",
        )
    if retired_at is not None and at >= ms(retired_at):
        raise KeyNotUsable(
            f"服务器签名密钥 {kid} 已于 {retired_at:%Y-%m-%d %H:%M:%S} UTC 停用：请用本系统当前的密钥重新启动这台服务器",
            f"the configured server key {kid} was retired at {retired_at:%Y-%m-%d %H:%M:%S} UTC: restart this server with the "
            "installation's active key",
        )


def signing_key(at: datetime | int | None = None) -> Signer:
    """The configured key, to sign an object dated ``at`` (a datetime or ms; the database's
    clock when None), once the key set says the key is valid then.  The key's row stays locked
    until the caller's transaction ends.  :class:`KeyNotUsable` otherwise."""
    key = signer()
    when = _ms(at)
    period = _row_for(key.kid)
    if period is None:
        problem = record_first_key(key)
        if problem:
            raise KeyNotUsable("服务器签名密钥不是本系统的密钥", problem)
        period = _row_for(key.kid)
    usable_at(key.kid, period, when)
    return key


# --- verifying --------------------------------------------------------------------------------


def _server_key(row: InstallationKey) -> ServerKey | None:
    if row.not_before is None:
        return None  # added, never active: it signed nothing
    return ServerKey(row.kid, row.jwk, ms(row.not_before), None if row.retired_at is None else ms(row.retired_at))


def key_set() -> KeySet:
    """Every key of the installation that has been active, with its period: what a server
    signature the app checks is looked up in, by its ``kid``, at the object's own time."""
    rows = db.session.scalars(select(InstallationKey).order_by(InstallationKey.id))
    return KeySet.of(k for k in (_server_key(r) for r in rows) if k is not None)


def installation_jwk(document: Any, at: Any = None) -> dict[str, str]:
    """The public key a server-signed document names by its ``kid``, when that is a key of this
    installation (valid at ``at``, ms, when the document has a time of its own) and the document
    carries that very key as its ``server``.  :class:`CryptoError` otherwise."""
    if not isinstance(document, dict):
        raise FormatError("a signed document is a JSON object")
    kid = document.get("kid")
    keys = key_set()
    jwk = keys.key(kid).jwk if at is None else keys.jwk_at(kid, at)
    if document.get("server") != jwk:
        raise FormatError(f"the document carries another key than the installation's key {kid}")
    return jwk


def key_records(kids: set[str]) -> list[dict]:
    """The bundle's ``log.server_keys``: the keys named, with their periods (key-id order)."""
    keys = key_set().keys
    return sorted((key_record(keys[k].jwk, keys[k].not_before, keys[k].retired_at) for k in kids if k in keys), key=lambda r: r["kid"])


def public_jwk_of(kid: str) -> dict | None:
    """The public key a signed object names, if it is a key of the installation."""
    return db.session.scalar(select(InstallationKey.jwk).where(InstallationKey.kid == kid))


def active_keys(now: datetime | None = None) -> list[InstallationKey]:
    """The keys that may sign now (more than one while machines change over)."""
    now = now or database.db_now()
    rows = db.session.scalars(select(InstallationKey).where(InstallationKey.not_before.is_not(None)).order_by(InstallationKey.not_before))
    return [r for r in rows if r.not_before <= now and (r.retired_at is None or now < r.retired_at)]
