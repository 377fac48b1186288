"""The server's key set: every Ed25519 key the installation has signed with, each with its
validity period (docs/bundle-format.md §8).

An installation starts with one key and may introduce a new one and retire the old one (a key
rotation).  Every object the server signs names its key by ``kid`` (RFC 7638 thumbprint); a
signature counts only when that key is in the set **and** the object's own time lies in the
key's period ``[not_before, retired_at)`` (milliseconds since the epoch; ``retired_at`` null for
a key still in use).  So a tree head timestamped after the old key's retirement but signed with
it is refused, while heads before the rotation (old key) and after it (new key) all verify.

Which time is an object's own: a tree head's ``timestamp``, a notice's ``published_at``, an audit
checkpoint's ``at``, a tally statement's ``computed_at``.  A paper ballot carries no time: it was
signed between the opening and the tree head that first covers it, so its key must be valid at
some instant of that interval (:meth:`ServerKey.valid_during`).

A bundle lists its keys as ``{"kid", "jwk", "not_before", "retired_at"}`` (:func:`key_record`),
in key-id order.  The periods are the installation's record (its database); compare them, like
the key ids, with what the installation published.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .errors import FormatError, KeyFormatError, SignatureInvalid
from .keys import jwk_thumbprint, public_jwk
from .treehead import verify_object

KEY_MEMBERS = frozenset({"kid", "jwk", "not_before", "retired_at"})


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _when(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


@dataclass(frozen=True)
class ServerKey:
    """One key of the set and its period ``[not_before, retired_at)`` (ms since the epoch)."""

    kid: str
    jwk: dict[str, str]
    not_before: int = 0
    retired_at: int | None = None

    def valid_at(self, ms: int) -> bool:
        return self.not_before <= ms and (self.retired_at is None or ms < self.retired_at)

    def valid_during(self, first: int, last: int) -> bool:
        """Whether the key was valid at some instant of ``[first, last]``."""
        return self.not_before <= last and (self.retired_at is None or self.retired_at > first) and first <= last

    def period(self) -> str:
        until = "in use" if self.retired_at is None else f"retired {_when(self.retired_at)}"
        return f"from {_when(self.not_before)}, {until}"

    def outside(self, ms: int) -> str:
        """Why ``ms`` is not in the period (for a failure message)."""
        if ms < self.not_before:
            return f"key {self.kid} is valid only from {_when(self.not_before)}, and this was signed {_when(ms)}"
        return f"key {self.kid} was retired {_when(self.retired_at or 0)}, and this was signed {_when(ms)}, after its retirement"


def key_record(jwk: Mapping[str, Any], not_before: int, retired_at: int | None) -> dict[str, Any]:
    """A server key as a bundle lists it."""
    normal = public_jwk(jwk)
    return {"kid": jwk_thumbprint(normal), "jwk": normal, "not_before": not_before, "retired_at": retired_at}


def parse_key(record: Any) -> ServerKey:
    """One listed key, checked: members, thumbprint, an Ed25519 JWK with only its required members,
    a period whose end (if any) comes after its start."""
    if not isinstance(record, dict) or set(record) != KEY_MEMBERS:
        got = sorted(record) if isinstance(record, dict) else []
        raise FormatError(f"a server key is {{kid, jwk, not_before, retired_at}}, not {got}")
    try:
        jwk = public_jwk(record["jwk"])
    except KeyFormatError as exc:
        raise FormatError(f"jwk: {exc}") from exc
    if jwk != record["jwk"]:
        raise FormatError("the JWK must carry only its required members")
    if jwk["kty"] != "OKP":
        raise FormatError("a server key must be Ed25519")
    if jwk_thumbprint(jwk) != record["kid"]:
        raise FormatError(f"kid {record['kid']!r} is not the thumbprint of its key ({jwk_thumbprint(jwk)})")
    not_before, retired_at = record["not_before"], record["retired_at"]
    if not _is_int(not_before) or not_before < 0:
        raise FormatError("not_before must be milliseconds since the epoch (an integer)")
    if retired_at is not None and (not _is_int(retired_at) or retired_at <= not_before):
        raise FormatError("retired_at must be null or an integer later than not_before")
    return ServerKey(record["kid"], jwk, not_before, retired_at)


@dataclass(frozen=True)
class KeySet:
    """The keys a verifier trusts, by key id."""

    keys: Mapping[str, ServerKey]

    @classmethod
    def of(cls, keys: Iterable[ServerKey]) -> KeySet:
        return cls({k.kid: k for k in keys})

    def __contains__(self, kid: object) -> bool:
        return kid in self.keys

    def key(self, kid: Any) -> ServerKey:
        """The key named ``kid``; :class:`SignatureInvalid` if the set has none."""
        found = self.keys.get(kid) if isinstance(kid, str) else None
        if found is None:
            known = ", ".join(sorted(self.keys)) or "none"
            raise SignatureInvalid(f"signed by key {kid!r}, which is not a server key ({known})")
        return found

    def jwk_at(self, kid: Any, ms: Any) -> dict[str, str]:
        """The public key named ``kid`` if it was valid at ``ms``; :class:`SignatureInvalid` otherwise."""
        key = self.key(kid)
        if not _is_int(ms):
            raise SignatureInvalid("the signed object's time is not an integer")
        if not key.valid_at(ms):
            raise SignatureInvalid(key.outside(ms))
        return key.jwk


def verify_signed_at(obj: Mapping[str, Any], keys: KeySet, ms: Any) -> None:
    """Raise :class:`SignatureInvalid` unless ``obj`` is signed by the key its ``kid`` names, a key
    of the set valid at ``ms`` (the object's own time)."""
    verify_object(obj, keys.jwk_at(obj.get("kid"), ms))
