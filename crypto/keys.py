"""Public keys as JWK, key ids as RFC 7638 thumbprints, and signatures.

Two algorithms, chosen by the JWK itself:

* **Ed25519** (RFC 8032, JWK per RFC 8037: ``{"kty":"OKP","crv":"Ed25519","x":…}``) for the
  server's log key and for supervisors' tools;
* **ECDSA P-256 with SHA-256** (``{"kty":"EC","crv":"P-256","x":…,"y":…}``) for keys made by
  browsers with WebCrypto.  Signatures are the raw IEEE P1363 form ``r‖s`` (64 bytes) that
  WebCrypto produces, not DER; DER or any other length is refused.

A key id (``kid``) is the RFC 7638 JWK thumbprint: base64url(SHA-256(canonical required
members)).  :func:`verify` raises :class:`SignatureInvalid` on every failure and returns
``None`` otherwise: there is no boolean to forget to test.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

from .encoding import b64url_decode, b64url_encode
from .errors import EncodingError, KeyFormatError, SignatureInvalid

ED25519 = "Ed25519"
P256 = "P-256"
# Order of the P-256 group: r and s must lie in [1, n-1] (SEC 1 §4.1.4).
P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
SIGNATURE_LENGTH = 64  # both algorithms

# Members that define each key type, in the order RFC 7638 §3.2 puts them (lexicographic).
_REQUIRED = {"OKP": ("crv", "kty", "x"), "EC": ("crv", "kty", "x", "y"), "RSA": ("e", "kty", "n")}
# Members that would make a JWK a private key: never accepted where a public key is expected.
_PRIVATE = ("d", "p", "q", "dp", "dq", "qi", "oth", "k")
_PRIVATE_SET = frozenset(_PRIVATE)
# Printable ASCII but the quote and the backslash: what a JWK's required members may hold.
_JWK_CHARACTERS = re.compile(r"[\x20\x21\x23-\x5b\x5d-\x7e]*")
_JWK_TEMPLATE = {kty: "{" + ",".join(f'"{name}":"%s"' for name in names) + "}" for kty, names in _REQUIRED.items()}

PublicKey = ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey
PrivateKey = ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey


#: Thumbprints already computed, by the members they depend on (all plain strings): the verifier
#: asks for each roll key's id three times (its own key map, the supplements, the roll check in
#: a worker process, which inherits this table when it forks).
_THUMBPRINTS: dict[tuple[Any, ...], str] = {}


def jwk_thumbprint(jwk: Mapping[str, Any]) -> str:
    """RFC 7638 thumbprint (SHA-256, base64url): the key id used everywhere in OwnersVote.

    Only the required members count, so ``ext``/``key_ops`` added by WebCrypto or a ``kid``
    never change a key's identity.  (RSA is accepted here only so the RFC's own example can be
    checked; RSA keys cannot sign anything in OwnersVote.)
    """
    if not isinstance(jwk, dict):
        raise KeyFormatError("a JWK must be a JSON object")
    kty = jwk.get("kty")
    if kty not in _REQUIRED:
        raise KeyFormatError(f"unsupported JWK key type {kty!r}")
    values = tuple(map(jwk.get, _REQUIRED[kty]))
    plain = set(map(type, values)) == {str}
    if plain and (kid := _THUMBPRINTS.get(values)) is not None:
        return kid
    # Every required member is base64url or a short ASCII name: JSON-escaping is never needed,
    # so the template gives exactly the RFC 7638 / RFC 8785 serialisation.  One match over all
    # of them for the usual key; a refused one is named by the loop below.
    if not (plain and _JWK_CHARACTERS.fullmatch("".join(map(str, values)))):
        for name, value in zip(_REQUIRED[kty], values, strict=True):
            if not isinstance(value, str):
                raise KeyFormatError(f"JWK member {name!r} is missing or not a string")
            if '"' in value or "\\" in value or not value.isascii() or not value.isprintable():
                raise KeyFormatError(f"JWK member {name!r} has characters no JWK uses")
    kid = b64url_encode(hashlib.sha256((_JWK_TEMPLATE[kty] % values).encode("ascii")).digest())
    if plain and len(_THUMBPRINTS) < 1_000_000:  # a verifier holds at most a roll's worth of keys
        _THUMBPRINTS[values] = kid
    return kid


def jwk_json(jwk: Mapping[str, str]) -> str:
    """The canonical JSON text of a JWK that public_jwk reduced (its required members only, each
    base64url or a fixed name: nothing to escape) — what its thumbprint hashes, and how a roll
    entry's canonical bytes spell it."""
    kty = jwk["kty"]
    return _JWK_TEMPLATE[kty] % tuple(map(jwk.get, _REQUIRED[kty]))


def public_jwk(jwk: Mapping[str, Any]) -> dict[str, str]:
    """Validate a public JWK and return it reduced to its required members (what rolls store).

    Raises :class:`KeyFormatError` for private keys, unsupported curves, wrong lengths and
    points not on the curve.
    """
    if not isinstance(jwk, dict):
        raise KeyFormatError("a JWK must be a JSON object")
    for name in _PRIVATE:
        if name in jwk:
            raise KeyFormatError(f"JWK carries private key material ({name!r}); only public keys travel")
    kty, crv = jwk.get("kty"), jwk.get("crv")
    if kty == "OKP" and crv == ED25519:
        out: dict[str, str] = {"crv": ED25519, "kty": "OKP"}
    elif kty == "EC" and crv == P256:
        out = {"crv": P256, "kty": "EC"}
    else:
        raise KeyFormatError(f"unsupported key: kty={kty!r} crv={crv!r} (Ed25519 or P-256 only)")
    for name in ("x", "y") if kty == "EC" else ("x",):
        value = jwk.get(name)
        if not isinstance(value, str):
            raise KeyFormatError(f"JWK member {name!r} is missing or not a string")
        out[name] = value
    _key_of(out)  # validates lengths and the curve point (and keeps the key for verify)
    return out


def _load_public(jwk: Mapping[str, str]) -> PublicKey:
    try:
        if jwk["kty"] == "OKP":
            return ed25519.Ed25519PublicKey.from_public_bytes(b64url_decode(jwk["x"], 32, "JWK x"))
        x = b64url_decode(jwk["x"], 32, "JWK x")
        y = b64url_decode(jwk["y"], 32, "JWK y")
        return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b"\x04" + x + y)
    except (EncodingError, TypeError) as exc:
        raise KeyFormatError(f"malformed JWK: {exc}") from exc
    except ValueError as exc:
        raise KeyFormatError(f"JWK is not a valid {jwk['crv']} public key: {exc}") from exc


#: Keys already loaded, by (kty, crv, x, y).  One table for both ways in (public_jwk, which
#: checks a roll's keys, and load_public_key, which verify uses): the verifier checks a member's
#: key on the roll and then that member's ballot, and a second table of a few thousand keys
#: made it build every key twice.  Bounded: a verifier holds at most a roll's worth of keys.
_LOADED: dict[tuple[Any, ...], PublicKey] = {}


def _key_of(jwk: Mapping[str, str]) -> PublicKey:
    """The key for a JWK already reduced by public_jwk (its required members, all strings)."""
    ident = (jwk["kty"], jwk["crv"], jwk["x"], jwk.get("y"))
    key = _LOADED.get(ident)
    if key is None:
        key = _load_public(jwk)
        if len(_LOADED) < 1_000_000:
            _LOADED[ident] = key
    return key


def load_public_key(jwk: Mapping[str, Any]) -> PublicKey:
    """The ``cryptography`` public-key object for a JWK (validated once, then cached per key)."""
    if not isinstance(jwk, dict):
        raise KeyFormatError("a JWK must be a JSON object")
    key = _LOADED.get((jwk.get("kty"), jwk.get("crv"), jwk.get("x"), jwk.get("y")))
    if key is None or not _PRIVATE_SET.isdisjoint(jwk):
        key = _key_of(public_jwk(jwk))
    return key


def p1363_to_der(signature: bytes) -> bytes:
    """Raw ``r‖s`` (64 bytes, as WebCrypto signs) → DER, refusing anything else."""
    if len(signature) != SIGNATURE_LENGTH:
        raise SignatureInvalid(f"a P-256 signature is 64 raw bytes r‖s, not {len(signature)} bytes (DER is refused)")
    r = int.from_bytes(signature[:32], "big")
    s = int.from_bytes(signature[32:], "big")
    if not (0 < r < P256_ORDER and 0 < s < P256_ORDER):
        raise SignatureInvalid("P-256 signature values r, s are out of range")
    return encode_dss_signature(r, s)


def der_to_p1363(der: bytes) -> bytes:
    r, s = decode_dss_signature(der)
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


_ECDSA_SHA256 = ec.ECDSA(hashes.SHA256())  # a description of the algorithm, no state: made once


def verify(jwk: Mapping[str, Any], message: bytes, signature: bytes | str) -> None:
    """Verify ``signature`` (bytes, or base64url text) over ``message`` with the key ``jwk``.

    Returns ``None``; raises :class:`SignatureInvalid` if the signature is malformed or wrong,
    :class:`KeyFormatError` if the key is.
    """
    key = load_public_key(jwk)
    if isinstance(signature, str):
        try:
            signature = b64url_decode(signature, what="signature")
        except EncodingError as exc:
            raise SignatureInvalid(str(exc)) from exc
    if not isinstance(signature, (bytes, bytearray)):
        raise SignatureInvalid("signature must be bytes or base64url text")
    signature = bytes(signature)
    try:
        if isinstance(key, ed25519.Ed25519PublicKey):
            if len(signature) != SIGNATURE_LENGTH:
                raise SignatureInvalid(f"an Ed25519 signature is 64 bytes, not {len(signature)}")
            key.verify(signature, message)
        else:
            key.verify(p1363_to_der(signature), message, _ECDSA_SHA256)
    except InvalidSignature as exc:
        raise SignatureInvalid("signature does not verify") from exc


# --- signing -------------------------------------------------------------------------------
# The server and supervisors' tools sign with Ed25519; P-256 signing exists to simulate
# browsers in tests and synthetic bundles.  Private keys never appear in a bundle.


@dataclass(frozen=True)
class Signer:
    """A private key with its public JWK and key id.  ``sign`` returns raw signature bytes."""

    _key: PrivateKey
    jwk: dict[str, str]
    kid: str
    # RFC 6979 deterministic ECDSA (synthetic bundles are then reproducible byte for byte).
    deterministic: bool = False

    @property
    def algorithm(self) -> str:
        return self.jwk["crv"]

    def sign(self, message: bytes) -> bytes:
        if isinstance(self._key, ed25519.Ed25519PrivateKey):
            return self._key.sign(message)
        if self.deterministic:
            try:
                algorithm = ec.ECDSA(hashes.SHA256(), deterministic_signing=True)
            except TypeError:  # cryptography < 43: randomised signatures, equally valid
                algorithm = ec.ECDSA(hashes.SHA256())
        else:
            algorithm = ec.ECDSA(hashes.SHA256())
        return der_to_p1363(self._key.sign(message, algorithm))

    def sign_b64(self, message: bytes) -> str:
        return b64url_encode(self.sign(message))

    def private_bytes(self) -> bytes:
        """PKCS#8 DER of the private key, for the server's key file (keep it secret)."""
        return self._key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def _signer(key: PrivateKey, deterministic: bool = False) -> Signer:
    if isinstance(key, ed25519.Ed25519PrivateKey):
        raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        jwk = {"crv": ED25519, "kty": "OKP", "x": b64url_encode(raw)}
    else:
        nums = key.public_key().public_numbers()
        jwk = {"crv": P256, "kty": "EC", "x": b64url_encode(nums.x.to_bytes(32, "big")), "y": b64url_encode(nums.y.to_bytes(32, "big"))}
    return Signer(key, jwk, jwk_thumbprint(jwk), deterministic)


def generate_ed25519() -> Signer:
    return _signer(ed25519.Ed25519PrivateKey.generate())


def generate_p256() -> Signer:
    return _signer(ec.generate_private_key(ec.SECP256R1()))


def ed25519_from_seed(seed: bytes) -> Signer:
    """Ed25519 key from its 32-byte RFC 8032 secret (deterministic: tests, synthetic bundles)."""
    return _signer(ed25519.Ed25519PrivateKey.from_private_bytes(seed))


def p256_from_seed(seed: bytes) -> Signer:
    """A P-256 key derived deterministically from seed bytes (synthetic bundles only)."""
    scalar = int.from_bytes(hashlib.sha256(b"ownersvote p-256 test key\x00" + seed).digest(), "big")
    return _signer(ec.derive_private_key(scalar % (P256_ORDER - 1) + 1, ec.SECP256R1()), deterministic=True)


def load_private_key(data: bytes) -> Signer:
    """A signer from PKCS#8 (DER or PEM) bytes; Ed25519 or P-256 only."""
    try:
        key = (
            serialization.load_pem_private_key(data, None)
            if data.lstrip().startswith(b"-----")
            else serialization.load_der_private_key(data, None)
        )
    except (ValueError, TypeError) as exc:
        raise KeyFormatError(f"cannot read private key: {exc}") from exc
    if isinstance(key, ec.EllipticCurvePrivateKey) and not isinstance(key.curve, ec.SECP256R1):
        raise KeyFormatError("only P-256 elliptic-curve keys are supported")
    if not isinstance(key, (ed25519.Ed25519PrivateKey, ec.EllipticCurvePrivateKey)):
        raise KeyFormatError("only Ed25519 and P-256 private keys are supported")
    return _signer(key)
