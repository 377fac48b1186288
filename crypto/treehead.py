"""Signed tree heads, receipts and tracking codes.

A **signed tree head** (STH) is a JSON object::

    {"type": "ownersvote-sth", "v": 2, "log": LOG_ID, "n": ORDINAL, "size": N, "root": HEX,
     "timestamp": MILLISECONDS_SINCE_EPOCH, "notice": HEX, "audit": {"seq": S, "hash": HEX} | null,
     "final": BOOL, "kid": SERVER_KID, "sig": B64URL}

``n`` numbers the log's tree heads 0, 1, 2, … so that a dropped or repeated one shows;
``notice`` is the digest of the assembly's notice (crypto.notice); ``audit`` is the head of the
estate's audit chain when the head was signed (an anchor: deleting audit events after it shows);
``final`` marks the one head signed at the close, which covers every ballot.

signed by the server's Ed25519 key over the canonical JSON of every member except ``kid`` and
``sig`` (the same rule for every signed object in OwnersVote: the signature covers the payload;
``kid`` only says which key to try, and the verifier checks it is the key it expects).

A **receipt** is what a voter keeps::

    {"type": "ownersvote-receipt", "v": 3, "log": LOG_ID, "index": I, "leaf_hash": HEX,
     "code": "ABCD-EFGH-JKLM", "sth": {STH}, "inclusion": [HEX, …], "promise": {PROMISE}}

``promise`` is the signed promise of inclusion the server answered the ballot with at once
(crypto.promise); version 2 receipts, from before promises, have no ``promise`` and stay valid.

``code`` is the tracking code: Crockford base32 of the leaf hash's first 60 bits, grouped by
four; short enough to read over the phone, long enough never to repeat within an assembly.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .encoding import hex_decode
from .errors import EncodingError, FormatError, SignatureInvalid
from .keys import Signer
from .merkle import verify_inclusion
from .promise import Promise, parse_promise
from .signed import sign_object, signed_payload, verify_object

__all__ = ["sign_object", "signed_payload", "verify_object"]  # where the other signed objects import them from

STH_TYPE = "ownersvote-sth"
RECEIPT_TYPE = "ownersvote-receipt"
RECEIPT_VERSION = 3
RECEIPT_VERSIONS = (2, 3)  # 2: before promises
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_CROCKFORD_READ = {c: i for i, c in enumerate(_CROCKFORD)}
_CROCKFORD_READ.update({"O": 0, "I": 1, "L": 1})


def now_ms() -> int:
    return time.time_ns() // 1_000_000


# --- tree heads ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TreeHead:
    log: str
    size: int
    root: bytes
    timestamp: int
    kid: str
    sig: str
    n: int = 0
    notice: str = ""
    audit: tuple[int, str] | None = None
    final: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "type": STH_TYPE,
            "v": STH_VERSION,
            "log": self.log,
            "n": self.n,
            "size": self.size,
            "root": self.root.hex(),
            "timestamp": self.timestamp,
            "notice": self.notice,
            "audit": None if self.audit is None else {"seq": self.audit[0], "hash": self.audit[1]},
            "final": self.final,
            "kid": self.kid,
            "sig": self.sig,
        }


STH_VERSION = 2
_STH_MEMBERS = {"type", "v", "log", "n", "size", "root", "timestamp", "notice", "audit", "final", "kid", "sig"}


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def parse_tree_head(obj: Any) -> TreeHead:
    """Check an STH's shape (not its signature) and return it typed."""
    if not isinstance(obj, dict):
        raise FormatError("a signed tree head is a JSON object")
    extra = set(obj) - _STH_MEMBERS
    missing = _STH_MEMBERS - set(obj)
    if extra or missing:
        raise FormatError(f"signed tree head members: missing {sorted(missing)}, unexpected {sorted(extra)}")
    if obj["type"] != STH_TYPE or obj["v"] != STH_VERSION:
        raise FormatError(f"not a version-{STH_VERSION} {STH_TYPE}")
    if not isinstance(obj["log"], str) or not _is_int(obj["size"]) or obj["size"] < 0:
        raise FormatError("signed tree head: log must be a string and size a non-negative integer")
    if not _is_int(obj["n"]) or obj["n"] < 0:
        raise FormatError("signed tree head: n must be a non-negative integer")
    if not _is_int(obj["timestamp"]) or obj["timestamp"] < 0:
        raise FormatError("signed tree head: timestamp must be milliseconds since the epoch")
    if not isinstance(obj["kid"], str) or not isinstance(obj["sig"], str):
        raise FormatError("signed tree head: kid and sig must be strings")
    if not isinstance(obj["final"], bool):
        raise FormatError("signed tree head: final must be true or false")
    audit = obj["audit"]
    if audit is not None and (
        not isinstance(audit, dict) or set(audit) != {"seq", "hash"} or not _is_int(audit["seq"]) or audit["seq"] < 0
    ):
        raise FormatError("signed tree head: audit must be {seq, hash} or null")
    try:
        root = hex_decode(obj["root"], what="tree head root")
        hex_decode(obj["notice"], what="tree head notice digest")
        if audit is not None:
            hex_decode(audit["hash"], what="tree head audit hash")
    except EncodingError as exc:
        raise FormatError(str(exc)) from exc
    return TreeHead(
        obj["log"],
        obj["size"],
        root,
        obj["timestamp"],
        obj["kid"],
        obj["sig"],
        obj["n"],
        obj["notice"],
        None if audit is None else (audit["seq"], audit["hash"]),
        obj["final"],
    )


def sign_tree_head(
    signer: Signer,
    log_id: str,
    size: int,
    root: bytes,
    timestamp: int | None = None,
    *,
    n: int,
    notice: str,
    audit: tuple[int, str] | None = None,
    final: bool = False,
) -> dict[str, Any]:
    payload = {
        "type": STH_TYPE,
        "v": STH_VERSION,
        "log": log_id,
        "n": n,
        "size": size,
        "root": root.hex(),
        "timestamp": now_ms() if timestamp is None else timestamp,
        "notice": notice,
        "audit": None if audit is None else {"seq": audit[0], "hash": audit[1]},
        "final": final,
    }
    return sign_object(signer, payload)


def verify_tree_head(obj: Any, server_jwk: Mapping[str, Any], log_id: str | None = None) -> TreeHead:
    """Check shape, log id and the server's signature; return the typed tree head."""
    sth = parse_tree_head(obj)
    if log_id is not None and sth.log != log_id:
        raise FormatError(f"tree head is for log {sth.log!r}, not {log_id!r}")
    verify_object(obj, server_jwk)
    return sth


# --- tracking codes --------------------------------------------------------------------------


def tracking_code(leaf: bytes) -> str:
    """``ABCD-EFGH-JKLM``: Crockford base32 of the first 60 bits of the leaf hash."""
    if len(leaf) != 32:
        raise FormatError("a leaf hash is 32 bytes")
    bits = int.from_bytes(leaf[:8], "big") >> 4
    chars = "".join(_CROCKFORD[(bits >> (5 * (11 - i))) & 31] for i in range(12))
    return f"{chars[0:4]}-{chars[4:8]}-{chars[8:12]}"


def normalize_tracking_code(text: str) -> str:
    """Read a code as a person typed it: any case, O for 0, I/L for 1, spaces and dashes anywhere."""
    cleaned = "".join(ch for ch in text.upper() if ch not in " -")
    if len(cleaned) != 12 or any(ch not in _CROCKFORD_READ for ch in cleaned):
        raise FormatError("a tracking code is 12 letters and digits, like ABCD-EFGH-JKLM")
    canon = "".join(_CROCKFORD[_CROCKFORD_READ[ch]] for ch in cleaned)
    return f"{canon[0:4]}-{canon[4:8]}-{canon[8:12]}"


# --- receipts --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Receipt:
    log: str
    index: int
    leaf_hash: bytes
    code: str
    sth: TreeHead
    inclusion: tuple[bytes, ...]
    promise: Promise | None = None


def make_receipt(
    sth: Mapping[str, Any], index: int, leaf: bytes, inclusion: list[bytes], promise: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """A receipt for the leaf at ``index``, proven against the signed tree head ``sth``, with the
    promise the ballot was answered with (a version 2 receipt when there is none: a ballot
    loaded in bulk, or accepted before promises)."""
    head = parse_tree_head(sth)
    extra = {} if promise is None else {"promise": dict(promise)}
    return {
        "type": RECEIPT_TYPE,
        "v": RECEIPT_VERSION if promise is not None else 2,
        "log": head.log,
        "index": index,
        "leaf_hash": leaf.hex(),
        "code": tracking_code(leaf),
        "sth": dict(sth),
        "inclusion": [h.hex() for h in inclusion],
        **extra,
    }


def parse_receipt(obj: Any) -> Receipt:
    if not isinstance(obj, dict):
        raise FormatError("a receipt is a JSON object")
    if obj.get("type") != RECEIPT_TYPE or obj.get("v") not in RECEIPT_VERSIONS:
        raise FormatError(f"not a version-{RECEIPT_VERSION} {RECEIPT_TYPE}")
    expected = {"type", "v", "log", "index", "leaf_hash", "code", "sth", "inclusion"} | ({"promise"} if obj["v"] >= 3 else set())
    if set(obj) != expected:
        raise FormatError(f"receipt members must be {sorted(expected)}")
    if not isinstance(obj["log"], str) or not _is_int(obj["index"]) or obj["index"] < 0:
        raise FormatError("receipt: log must be a string and index a non-negative integer")
    if not isinstance(obj["inclusion"], list):
        raise FormatError("receipt: inclusion must be a list of hashes")
    try:
        leaf = hex_decode(obj["leaf_hash"], what="receipt leaf_hash")
        proof = tuple(hex_decode(x, what="inclusion proof element") for x in obj["inclusion"])
    except EncodingError as exc:
        raise FormatError(str(exc)) from exc
    if not isinstance(obj["code"], str):
        raise FormatError("receipt: code must be a string")
    promise = parse_promise(obj["promise"]) if "promise" in obj else None
    if promise is not None and (promise.leaf_hash != leaf or promise.log != obj["log"]):
        raise FormatError("receipt: its promise is for another leaf or log")
    return Receipt(obj["log"], obj["index"], leaf, obj["code"], parse_tree_head(obj["sth"]), proof, promise)


def verify_receipt(
    obj: Any, server_jwk: Mapping[str, Any], log_id: str | None = None, *, promise_jwk: Mapping[str, Any] | None = None
) -> Receipt:
    """Check a receipt on its own: tracking code, tree-head signature, inclusion proof.
    ``promise_jwk`` checks its promise when another key signed it (a key rotated between the
    ballot's acceptance and its tree head); ``server_jwk`` otherwise.

    Raises :class:`FormatError`, :class:`SignatureInvalid` or :class:`ProofInvalid`.  Whether
    the tree head is consistent with a later one is a separate check (the verifier makes it
    against the whole log).
    """
    receipt = parse_receipt(obj)
    if receipt.log != receipt.sth.log:
        raise FormatError("receipt names a different log than its tree head")
    if log_id is not None and receipt.log != log_id:
        raise FormatError(f"receipt is for log {receipt.log!r}, not {log_id!r}")
    if normalize_tracking_code(receipt.code) != tracking_code(receipt.leaf_hash):
        raise FormatError("receipt tracking code does not match its leaf hash")
    verify_tree_head(obj["sth"], server_jwk, receipt.log)
    if receipt.promise is not None:
        try:
            verify_object(obj["promise"], server_jwk if promise_jwk is None else promise_jwk)
        except SignatureInvalid as exc:
            raise SignatureInvalid(f"the receipt's promise: {exc}") from exc
    verify_inclusion(receipt.index, receipt.sth.size, receipt.leaf_hash, list(receipt.inclusion), receipt.sth.root)
    return receipt
