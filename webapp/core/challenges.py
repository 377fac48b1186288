"""Proof of possession for device keys: the server hands out a one-time challenge, the browser
signs the exact message it was given, the server verifies with ``crypto``.

A challenge is a server-side record (its hash, purpose and expiry) that the session points to;
the browser echoes the challenge with its signature.  It is spent by one atomic update, so the
same signature is accepted once, even when two copies of a request arrive together, and it is
bound to its purpose and to this site's origin, so it cannot be reused for another purpose or
on another site."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import session
from sqlalchemy import delete, update

from crypto.canonical import canonical_json
from crypto.errors import CryptoError
from crypto.keys import verify
from webapp.core.db import db, utcnow
from webapp.core.errors_base import UserError
from webapp.core.models import DeviceChallenge

TTL = timedelta(minutes=5)
PURPOSES = ("register", "signin", "staff-key", "commitment", "certify")


class ProofError(UserError):
    pass


EXPIRED = ("验证已过期或已使用，请重试", "the challenge expired or was already used: try again")


def message(purpose: str, challenge: str, origin: str) -> str:
    return canonical_json({"type": "ownersvote-device-proof", "purpose": purpose, "challenge": challenge, "origin": origin}).decode()


def _hash(challenge: str) -> str:
    return hashlib.sha256(challenge.encode()).hexdigest()


def issue(purpose: str, origin: str) -> dict:
    """A new challenge for this session and purpose (replacing an unspent one)."""
    if purpose not in PURPOSES:
        raise ProofError("未知用途", f"unknown purpose {purpose!r}")
    now = utcnow()
    db.session.execute(delete(DeviceChallenge).where(DeviceChallenge.expires_at < now - TTL))
    challenge = secrets.token_urlsafe(32)
    record = DeviceChallenge(purpose=purpose, challenge_hash=_hash(challenge), created_at=now, expires_at=now + TTL)
    db.session.add(record)
    db.session.flush()
    session[f"challenge:{purpose}"] = record.id
    return {"purpose": purpose, "challenge": challenge, "message": message(purpose, challenge, origin)}


def spend(purpose: str, challenge: object) -> str:
    """Spend this session's challenge for ``purpose`` if ``challenge`` is it; return it.

    The update is the whole check: unspent, unexpired, this purpose, this hash, this session's
    record.  Of two requests carrying the same challenge, exactly one updates a row."""
    record_id = session.pop(f"challenge:{purpose}", None)
    if not isinstance(challenge, str) or not isinstance(record_id, int) or len(challenge) > 100:
        raise ProofError(*EXPIRED)
    now = utcnow()
    spent = db.session.execute(
        update(DeviceChallenge)
        .where(
            DeviceChallenge.id == record_id,
            DeviceChallenge.purpose == purpose,
            DeviceChallenge.challenge_hash == _hash(challenge),
            DeviceChallenge.used_at.is_(None),
            DeviceChallenge.expires_at > now,
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if spent != 1:
        raise ProofError(*EXPIRED)
    return challenge


def verify_proof(purpose: str, jwk: dict, signature: object, origin: str, challenge: object) -> None:
    """Spend the challenge and check the device's signature over its message."""
    spent = spend(purpose, challenge)
    if not isinstance(signature, str):
        raise ProofError("设备签名无效", "the device signature is missing")
    try:
        verify(jwk, message(purpose, spent, origin).encode(), signature)
    except (CryptoError, ValueError, TypeError) as exc:
        raise ProofError("设备签名无效", f"the device signature does not verify: {exc}") from exc
