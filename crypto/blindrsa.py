"""RSA blind signatures, the signer's side and verification (RFC 9474, RSABSSA-SHA384-PSS-Deterministic,
the variant Privacy Pass's publicly verifiable tokens use).

An owner's phone *blinds* its message and sends the blinded message to the server, signed in; the
server signs it blind (:func:`blind_sign`); the phone *finalizes* (unblinds) the signature and
later presents the message and the signature, without a cookie.  The deterministic variant
prepares nothing, which RFC 9474 §5 allows when the message already carries the client's
randomness: ours carries a fresh 32-byte nonce (crypto/evaluation.py), as a Privacy Pass token
does.  The signature is an ordinary RSASSA-PSS signature (SHA-384, MGF1-SHA-384, a 48-byte
salt) of the message, so anyone checks it
with any RSA-PSS verifier (:func:`verify`, which is `cryptography`'s).  The phone's side is
``@cloudflare/blindrsa-ts`` (webapp/static/js/vendor); it is not written here.

Why the signer's side is written here: no maintained RFC 9474 implementation exists on PyPI, and
`cryptography` (OpenSSL) exposes RSA only with padding, never the raw private operation
``RSASP1`` the blind signer needs.  So :func:`blind_sign` is RFC 9474 §4.3 over the key's own
numbers, with exactly its steps: refuse a message not below ``n`` (§4.3 step 1 and RSASP1's
range check), ``s = m^d mod n``, and refuse to return ``s`` unless ``s^e mod n == m`` (§4.3 step
3–4, which also catches a fault in the computation).  Python's integers are not constant-time, so
the exponentiation is *base-blinded* (Kocher; RFC 8017 §5.1.2 notes it): a fresh random ``r``,
``s = (m · r^e)^d · r^-1 mod n``, so the exponent never meets a value the caller chose.  The
computation uses the CRT form with ``p``, ``q``, ``dp``, ``dq`` and ``qinv`` from the key.
RFC 9474's test vector (Appendix A.3) is in tests/test_crypto/test_blindrsa.py.
"""

from __future__ import annotations

import hashlib
import math
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from .canonical import canonical_json
from .encoding import b64url_decode, b64url_encode
from .errors import FormatError, KeyFormatError, SignatureInvalid

SUITE = "RSABSSA-SHA384-PSS-Deterministic"
SALT_LENGTH = 48
MIN_MODULUS_BITS = 2048


class BlindSigningError(FormatError):
    """The blinded message cannot be signed (wrong size, not below the modulus, a fault)."""


def _i2osp(value: int, length: int) -> bytes:
    return value.to_bytes(length, "big")


@dataclass(frozen=True)
class BlindKey:
    """An evaluation's RSA key (the server's private half)."""

    private: rsa.RSAPrivateKey

    @classmethod
    def generate(cls, bits: int = 2048) -> BlindKey:
        return cls(rsa.generate_private_key(public_exponent=65537, key_size=bits))

    @property
    def size(self) -> int:
        """The modulus length in bytes (every blinded message and signature has exactly it)."""
        return (self.private.key_size + 7) // 8

    def public_jwk(self) -> dict[str, str]:
        return public_jwk(self.private.public_key())


def public_jwk(key: rsa.RSAPublicKey) -> dict[str, str]:
    numbers = key.public_numbers()
    size = (key.key_size + 7) // 8
    e_bytes = numbers.e.to_bytes((numbers.e.bit_length() + 7) // 8, "big")
    return {"kty": "RSA", "n": b64url_encode(_i2osp(numbers.n, size)), "e": b64url_encode(e_bytes)}


def rsa_thumbprint(jwk: Mapping[str, Any]) -> str:
    """RFC 7638 thumbprint of an RSA JWK (SHA-256 of the canonical ``{"e","kty","n"}``), base64url."""
    digest = hashlib.sha256(canonical_json({"e": jwk.get("e"), "kty": "RSA", "n": jwk.get("n")})).digest()
    return b64url_encode(digest)


def load_public(jwk: Mapping[str, Any]) -> rsa.RSAPublicKey:
    if jwk.get("kty") != "RSA" or not isinstance(jwk.get("n"), str) or not isinstance(jwk.get("e"), str):
        raise KeyFormatError("an evaluation key is an RSA JWK with n and e")
    n = int.from_bytes(b64url_decode(str(jwk["n"]), what="n"), "big")
    e = int.from_bytes(b64url_decode(str(jwk["e"]), what="e"), "big")
    if n.bit_length() < MIN_MODULUS_BITS or e < 3 or e % 2 == 0:
        raise KeyFormatError(f"an evaluation key needs a modulus of at least {MIN_MODULUS_BITS} bits and an odd exponent")
    return rsa.RSAPublicNumbers(e, n).public_key()


def blind_sign(key: rsa.RSAPrivateKey, blinded_msg: bytes) -> bytes:
    """RFC 9474 §4.3 BlindSign: the blind signature of ``blinded_msg`` (exactly the modulus length)."""
    numbers = key.private_numbers()
    public = numbers.public_numbers
    n, e = public.n, public.e
    size = (key.key_size + 7) // 8
    if len(blinded_msg) != size:
        raise BlindSigningError(f"a blinded message has {size} bytes, not {len(blinded_msg)}")
    m = int.from_bytes(blinded_msg, "big")
    if m >= n:
        raise BlindSigningError("message representative out of range")
    # Base blinding: the private exponent never meets the caller's value itself.
    while True:
        r = secrets.randbelow(n - 2) + 2
        if math.gcd(r, n) == 1:
            break
    blinded = (m * pow(r, e, n)) % n
    s1 = pow(blinded, numbers.dmp1, numbers.p)
    s2 = pow(blinded, numbers.dmq1, numbers.q)
    h = (numbers.iqmp * (s1 - s2)) % numbers.p
    s_blinded = s2 + h * numbers.q
    s = (s_blinded * pow(r, -1, n)) % n
    if pow(s, e, n) != m:
        raise BlindSigningError("signing failure")
    return _i2osp(s, size)


def verify(key: rsa.RSAPublicKey, message: bytes, signature: bytes) -> None:
    """RFC 9474 §4.5 Verify: RSASSA-PSS-VERIFY with SHA-384, MGF1-SHA-384 and a 48-byte salt.
    Raises :class:`SignatureInvalid`."""
    size = (key.key_size + 7) // 8
    if len(signature) != size:
        raise SignatureInvalid(f"a token signature has {size} bytes, not {len(signature)}")
    try:
        key.verify(
            signature,
            message,
            padding.PSS(mgf=padding.MGF1(hashes.SHA384()), salt_length=SALT_LENGTH),
            hashes.SHA384(),
        )
    except InvalidSignature:
        raise SignatureInvalid("the token's signature does not verify under the evaluation's key") from None


def token_id(message: bytes) -> str:
    """What makes a token spent: SHA-256 of its message, hex."""
    return hashlib.sha256(message).hexdigest()
