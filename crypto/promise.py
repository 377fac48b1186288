"""The promise of inclusion: what the server answers a ballot with at once (RFC 6962's signed
certificate timestamp, for a ballot).

A **promise** is a JSON object::

    {"type": "ownersvote-promise", "v": 1, "log": LOG_ID, "leaf_hash": HEX,
     "accepted": MILLISECONDS_SINCE_EPOCH, "deadline": MILLISECONDS_SINCE_EPOCH,
     "kid": SERVER_KID, "sig": B64URL}

signed by the server's key like a tree head (over every member but ``kid`` and ``sig``).
``accepted`` is the database's clock when the ballot's row was committed; ``deadline`` is the
latest time by which a signed tree head will cover the leaf (the maximum merge delay after
``accepted``).  A promise whose leaf is not in the final tree, or whose first covering tree
head is later than its deadline, is evidence against the server: the voter holds the server's
own signature on it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .encoding import hex_decode
from .errors import EncodingError, FormatError
from .keys import Signer
from .signed import sign_object, verify_object

PROMISE_TYPE = "ownersvote-promise"
PROMISE_VERSION = 1
_MEMBERS = {"type", "v", "log", "leaf_hash", "accepted", "deadline", "kid", "sig"}


@dataclass(frozen=True)
class Promise:
    log: str
    leaf_hash: bytes
    accepted: int
    deadline: int
    kid: str


def _is_ms(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def make_promise(signer: Signer, log_id: str, leaf: bytes, accepted: int, deadline: int) -> dict[str, Any]:
    if deadline < accepted:
        raise FormatError("a promise's deadline cannot come before its acceptance")
    payload = {
        "type": PROMISE_TYPE,
        "v": PROMISE_VERSION,
        "log": log_id,
        "leaf_hash": leaf.hex(),
        "accepted": accepted,
        "deadline": deadline,
    }
    return sign_object(signer, payload)


def parse_promise(obj: Any) -> Promise:
    """Check a promise's shape (not its signature) and return it typed."""
    if not isinstance(obj, dict):
        raise FormatError("a promise is a JSON object")
    if set(obj) != _MEMBERS:
        raise FormatError(f"promise members: missing {sorted(_MEMBERS - set(obj))}, unexpected {sorted(set(obj) - _MEMBERS)}")
    if obj["type"] != PROMISE_TYPE or obj["v"] != PROMISE_VERSION:
        raise FormatError(f"not a version-{PROMISE_VERSION} {PROMISE_TYPE}")
    if not isinstance(obj["log"], str) or not isinstance(obj["kid"], str) or not isinstance(obj["sig"], str):
        raise FormatError("promise: log, kid and sig must be strings")
    if not _is_ms(obj["accepted"]) or not _is_ms(obj["deadline"]) or obj["deadline"] < obj["accepted"]:
        raise FormatError("promise: accepted and deadline must be milliseconds since the epoch, deadline not before accepted")
    try:
        leaf = hex_decode(obj["leaf_hash"], what="promise leaf_hash")
    except EncodingError as exc:
        raise FormatError(str(exc)) from exc
    if len(leaf) != 32:
        raise FormatError("promise: leaf_hash must be a SHA-256 hash")
    return Promise(obj["log"], leaf, obj["accepted"], obj["deadline"], obj["kid"])


def verify_promise(obj: Any, server_jwk: Mapping[str, Any], log_id: str | None = None) -> Promise:
    """Shape, log id and the server's signature; raises FormatError or SignatureInvalid."""
    promise = parse_promise(obj)
    if log_id is not None and promise.log != log_id:
        raise FormatError(f"promise is for log {promise.log!r}, not {log_id!r}")
    verify_object(obj, server_jwk)
    return promise
