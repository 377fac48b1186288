"""Binary ↔ text encodings used throughout the bundle format.

Two encodings, each for one kind of value (docs/bundle-format.md §2):

* **hashes** (Merkle nodes, roots, leaf hashes, digests) are lowercase hexadecimal, 64 characters;
* **signatures and key material** are base64url without padding (RFC 7515 §2), as in JWK.

Decoders are strict: they accept exactly one spelling of each value, so that two different
strings can never stand for the same bytes (the bundle is compared and hashed as text).
"""

from __future__ import annotations

import base64
import binascii
import re

from .errors import EncodingError

_B64URL = re.compile(r"[A-Za-z0-9_-]*")
_HEX = re.compile(r"[0-9a-f]*")


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


# Decoding without the base64 module's layers: the verifier decodes a signature, a nonce and a
# key's coordinates for every one of 100,000 ballots.  The standard alphabet's two characters
# stand in for base64url's before binascii decodes.
_TO_STANDARD = bytes.maketrans(b"-_", b"+/")
_PADDING = (b"", b"", b"==", b"=")
_VALUE = {c: n for n, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")}
#: Bits of the last character that lie past the data, by length mod 4: they must be zero.
_SPARE_BITS = (0, 0, 0b1111, 0b11)


def b64url_decode(text: str, length: int | None = None, what: str = "value") -> bytes:
    """Decode unpadded base64url; reject padding, other alphabets, non-zero trailing bits."""
    if not isinstance(text, str) or not _B64URL.fullmatch(text) or len(text) % 4 == 1:
        raise EncodingError(f"{what} is not unpadded base64url")
    tail = len(text) % 4
    if tail and _VALUE[text[-1]] & _SPARE_BITS[tail]:
        # Non-zero bits after the last byte: another spelling of the same bytes.
        raise EncodingError(f"{what} is not in canonical base64url form")
    try:
        data = binascii.a2b_base64(text.encode("ascii").translate(_TO_STANDARD) + _PADDING[tail])
    except (binascii.Error, ValueError) as exc:  # pragma: no cover - regex already filters
        raise EncodingError(f"{what} is not unpadded base64url") from exc
    if length is not None and len(data) != length:
        raise EncodingError(f"{what} must be {length} bytes, not {len(data)}")
    return data


def hex_encode(data: bytes) -> str:
    return data.hex()


def hex_decode(text: str, length: int | None = 32, what: str = "hash") -> bytes:
    """Decode lowercase hex of exactly ``length`` bytes (default 32: a SHA-256 value)."""
    if not isinstance(text, str) or not _HEX.fullmatch(text) or len(text) % 2:
        raise EncodingError(f"{what} is not lowercase hexadecimal")
    data = bytes.fromhex(text)
    if length is not None and len(data) != length:
        raise EncodingError(f"{what} must be {length} bytes ({2 * length} hex digits), not {len(data)}")
    return data
