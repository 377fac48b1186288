"""OwnersVote cryptography: everything that makes a result provable, with no Flask and no database.

Modules (see docs/bundle-format.md for the formats):

- ``crypto.canonical`` — RFC 8785 canonical JSON and a strict JSON parser;
- ``crypto.keys`` — JWK public keys, RFC 7638 key ids, Ed25519 / P-256 (raw r‖s) signatures;
- ``crypto.merkle`` — RFC 6962 Merkle log: compact frontier, node store, proofs, verification;
- ``crypto.treehead`` — signed tree heads, receipts, tracking codes;
- ``crypto.serverkeys`` — the server's key set: each key's validity period, signatures checked in it;
- ``crypto.ballot`` — ballots (online and paper) and log entries;
- ``crypto.roll`` — roll entries and root, supervisors' signatures, certifications;
- ``crypto.bundle`` — the audit bundle; ``crypto.verify`` — the offline verifier;
- ``crypto.testbundle`` — synthetic bundles for tests and benchmarks.

Depends only on the standard library, ``cryptography``, ``rfc8785``, ``msgspec`` and the pure ``tally``.
"""

from .canonical import canonical_json, loads, parse_canonical
from .errors import (
    CanonicalJSONError,
    CryptoError,
    EncodingError,
    FormatError,
    KeyFormatError,
    ProofInvalid,
    SignatureInvalid,
    ThresholdNotMet,
    TreeError,
)
from .keys import Signer, jwk_thumbprint, public_jwk, verify

__all__ = [
    "CanonicalJSONError",
    "CryptoError",
    "EncodingError",
    "FormatError",
    "KeyFormatError",
    "ProofInvalid",
    "SignatureInvalid",
    "Signer",
    "ThresholdNotMet",
    "TreeError",
    "canonical_json",
    "jwk_thumbprint",
    "loads",
    "parse_canonical",
    "public_jwk",
    "verify",
]
