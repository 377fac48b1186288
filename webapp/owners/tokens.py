"""Secrets printed on QR letters.

The token in the QR code carries 256 bits, so an unkeyed SHA-256 is enough to store it.  The
short code people type carries 60 bits (12 Crockford base-32 characters); it is stored with a
keyed hash so that a copy of the database alone cannot be used to search for codes.
"""

from __future__ import annotations

import hashlib
import re
import secrets

from webapp.core.identity import keyed_hash

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{43}$")


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_code() -> str:
    raw = "".join(secrets.choice(CROCKFORD) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def normalize_code(text: str) -> str:
    """What people type: any case, spaces or dashes, and the letters Crockford maps (O→0, I/L→1)."""
    cleaned = re.sub(r"[\s\-]", "", text).upper().translate(str.maketrans("OIL", "011"))
    return cleaned if len(cleaned) == 12 and all(c in CROCKFORD for c in cleaned) else ""


def code_hash(pii_key: str, code: str) -> str:
    return keyed_hash(pii_key, normalize_code(code), purpose="letter-code")
