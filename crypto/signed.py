"""The one rule for every object the server or a supervisor signs: the signature covers the
canonical JSON of every member but ``kid`` and ``sig``; ``kid`` only says which key to try."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .canonical import canonical_json
from .errors import FormatError, SignatureInvalid
from .keys import Signer, jwk_thumbprint, verify


def signed_payload(obj: Mapping[str, Any]) -> bytes:
    """The bytes a signed object's signature covers: canonical JSON without ``kid`` and ``sig``."""
    return canonical_json({k: v for k, v in obj.items() if k not in ("kid", "sig")})


def sign_object(signer: Signer, payload: Mapping[str, Any]) -> dict[str, Any]:
    """``payload`` plus ``kid`` and ``sig`` (see :func:`signed_payload`)."""
    if "kid" in payload or "sig" in payload:
        raise FormatError("a payload to sign must not already carry kid or sig")
    return {**payload, "kid": signer.kid, "sig": signer.sign_b64(signed_payload(payload))}


def verify_object(obj: Mapping[str, Any], jwk: Mapping[str, Any]) -> None:
    """Raise :class:`SignatureInvalid` unless ``obj`` is signed by ``jwk`` (and says so in ``kid``)."""
    if obj.get("kid") != jwk_thumbprint(jwk):
        raise SignatureInvalid(f"signed by key {obj.get('kid')!r}, not the expected key {jwk_thumbprint(jwk)}")
    sig = obj.get("sig")
    if not isinstance(sig, str):
        raise SignatureInvalid("signature is missing")
    verify(jwk, signed_payload(obj), sig)
