"""Exceptions of the ``crypto`` package.

Every check in this package *raises* on failure: nothing returns a quiet ``False`` that a
caller could forget to test.  All exceptions derive from :class:`CryptoError`.
"""

from __future__ import annotations


class CryptoError(Exception):
    """Base class of every error raised by ``crypto``."""


class CanonicalJSONError(CryptoError, ValueError):
    """Text that is not acceptable JSON here: duplicate keys, floats, NaN, bad UTF-8, or not canonical."""


class EncodingError(CryptoError, ValueError):
    """A base64url or hex field that is malformed or not in its one canonical spelling."""


class KeyFormatError(CryptoError, ValueError):
    """A JWK that is malformed, of an unsupported type, or carries private material."""


class SignatureInvalid(CryptoError):
    """A signature that does not verify, is malformed, or was made by an unexpected key."""


class ProofInvalid(CryptoError):
    """A Merkle inclusion or consistency proof that does not verify."""


class TreeError(CryptoError, ValueError):
    """A Merkle log request that cannot be answered (index or size out of range, missing node)."""


class ThresholdNotMet(CryptoError):
    """Fewer valid signatures from distinct trusted keys than the required number."""


class FormatError(CryptoError, ValueError):
    """A ballot, receipt, roll entry or bundle that does not follow its documented format."""
