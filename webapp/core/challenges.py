"""Proof of possession for device keys: the server hands out a one-time challenge, the browser
signs the exact message it was given, the server verifies with ``crypto``.

The challenge lives in the signed session cookie, bound to its purpose and to this site's
origin, and is taken out on first use, so a signature can be neither replayed nor reused for
another purpose or another site."""
from __future__ import annotations

import secrets
import time

from flask import session

from crypto.canonical import canonical_json
from crypto.errors import CryptoError
from crypto.keys import verify
from webapp.core.errors_base import UserError

TTL_SECONDS = 300
PURPOSES = ("register", "signin", "staff-key")


class ProofError(UserError):
    pass


def message(purpose: str, challenge: str, origin: str) -> str:
    return canonical_json({"type": "ownersvote-device-proof", "purpose": purpose, "challenge": challenge, "origin": origin}).decode()


def issue(purpose: str, origin: str) -> dict:
    if purpose not in PURPOSES:
        raise ProofError("未知用途", f"unknown purpose {purpose!r}")
    challenge = secrets.token_urlsafe(32)
    session[f"challenge:{purpose}"] = {"c": challenge, "exp": int(time.time()) + TTL_SECONDS}
    return {"purpose": purpose, "challenge": challenge, "message": message(purpose, challenge, origin)}


def verify_proof(purpose: str, jwk: dict, signature: str, origin: str) -> None:
    stored = session.pop(f"challenge:{purpose}", None)
    if not stored or stored.get("exp", 0) < time.time():
        raise ProofError("验证已过期，请重试", "the challenge expired or was already used: try again")
    try:
        verify(jwk, message(purpose, stored["c"], origin).encode(), signature)
    except (CryptoError, ValueError) as exc:
        raise ProofError("设备签名无效", f"the device signature does not verify: {exc}") from exc
