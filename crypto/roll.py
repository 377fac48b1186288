"""The frozen electoral roll, supervisors' signatures, and tally certifications.

Shared by the server and (ported to JavaScript) by supervisors' browsers, so both sides compute
the same bytes.

**Roll entry** (one Merkle leaf of the roll; leaf data = canonical JSON of the entry)::

    {"member": "M-…", "area": "89.50", "heads": 1,
     "keys": [{"use": "vote" | "proxy", "jwk": {PUBLIC JWK, required members only}}, …]}

``area`` is a decimal string with exactly two decimals (hundredths of m², never a float);
``keys`` is sorted by key id (RFC 7638 thumbprint) and may be empty (an owner who has not
registered a device can still vote on paper).  ``use`` says whose key it is: the member's own
voting key, or the key of a proxy (委托代理人) a supervisor approved for this assembly; both may
sign the member's one ballot.  Entries are sorted by ``member`` (code-point order) with no
duplicates, so the root is a function of the roll's content alone.

**Roll payload** — what supervisors sign::

    {"type": "ownersvote-roll", "v": 2, "estate": ESTATE_ID, "roll": ROLL_ID,
     "root": HEX, "size": N, "area": "TOTAL.00", "heads": TOTAL_HEADS, "frozen_at": MS,
     "required_signatures": K}

**Certification payload** — what supervisors sign after re-verifying the tally::

    {"type": "ownersvote-certification", "v": 2, "assembly": ASSEMBLY_ID, "notice": HEX,
     "roll_root": HEX, "log_size": N, "log_root": HEX, "tally_sha256": HEX}

where ``notice`` is the notice digest (crypto.notice), ``log_size``/``log_root`` are the final
signed tree head's and ``tally_sha256`` is the SHA-256 of the canonical JSON of the tally output
document with every item's ``reason`` left out (the reasons are text generated from the numbers;
``ownersvote verify`` regenerates and compares them).

A supervisor signature is ``{"kid": KID, "sig": B64URL}`` over the canonical JSON of the payload.
A payload is accepted when at least ``required`` *distinct* trusted keys signed it validly;
a signature that does not verify is reported even when the threshold is met otherwise.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping, Sequence
from json.encoder import encode_basestring as _string  # the C encoder: RFC 8785's string form
from typing import Any

from tally import format_area as tally_format_area

from .canonical import MAX_SAFE_INTEGER, canonical_json
from .errors import CanonicalJSONError, FormatError, KeyFormatError, SignatureInvalid, ThresholdNotMet
from .keys import Signer, jwk_json, jwk_thumbprint, public_jwk, verify
from .merkle import leaf_hash, root_of

ROLL_TYPE = "ownersvote-roll"
CERTIFICATION_TYPE = "ownersvote-certification"
VOTE = "vote"
PROXY = "proxy"
KEY_USES = (VOTE, PROXY)
ROLL_VERSION = 2
CERTIFICATION_VERSION = 2
_AREA = re.compile(r"(0|[1-9][0-9]*)\.[0-9]{2}")
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def format_area(hundredths: int) -> str:
    """Hundredths of m² → ``"89.50"`` (the one spelling rolls use)."""
    if not isinstance(hundredths, int) or isinstance(hundredths, bool) or hundredths < 0:
        raise FormatError("area must be a non-negative integer number of hundredths of m²")
    return tally_format_area(hundredths)


def parse_area(text: Any) -> int:
    """``"89.50"`` → 8950; exactly two decimals, no sign, no leading zeros."""
    if not isinstance(text, str) or not _AREA.fullmatch(text):
        raise FormatError(f'area {text!r} must be a decimal string with exactly two decimals, like "89.50"')
    whole, cents = text.split(".")
    return int(whole) * 100 + int(cents)


def pseudonymous_member_id(secret: bytes, estate_id: str, roll_id: str, member_ref: str) -> str:
    """A stable pseudonym for a voting member on one roll: ``M-`` + 16 Crockford characters.

    Keyed (HMAC-SHA-256 with a server secret) so that nobody without the secret can test a
    guess of which unit is behind a pseudonym; scoped by roll so pseudonyms do not link rolls.
    """
    mac = hmac.new(secret, "\x00".join((estate_id, roll_id, member_ref)).encode("utf-8"), hashlib.sha256).digest()
    bits = int.from_bytes(mac[:10], "big")
    return "M-" + "".join(_CROCKFORD[(bits >> (5 * (15 - i))) & 31] for i in range(16))


def roll_entry(
    member: str, area: str | int, heads: int, voting_keys: Iterable[Mapping[str, Any]] = (), proxy_keys: Iterable[Mapping[str, Any]] = ()
) -> dict[str, Any]:
    """Build a normalised roll entry (area as hundredths or as a string; keys as JWKs)."""
    keys = [(VOTE, public_jwk(k)) for k in voting_keys] + [(PROXY, public_jwk(k)) for k in proxy_keys]
    keys.sort(key=lambda pair: jwk_thumbprint(pair[1]))
    entry = {
        "member": member,
        "area": area if isinstance(area, str) else format_area(area),
        "heads": heads,
        "keys": [{"use": use, "jwk": k} for use, k in keys],
    }
    validate_roll_entry(entry)
    return entry


def validate_roll_entry(entry: Any) -> None:
    """Raise :class:`FormatError` unless ``entry`` is a well-formed, normalised roll entry."""
    if not isinstance(entry, dict) or set(entry) != {"member", "area", "heads", "keys"}:
        raise FormatError("a roll entry is {member, area, heads, keys}")
    member = entry["member"]
    if not isinstance(member, str) or not member:
        raise FormatError("roll entry member must be a non-empty string")
    parse_area(entry["area"])
    heads = entry["heads"]
    if not isinstance(heads, int) or isinstance(heads, bool) or heads < 0:
        raise FormatError(f"roll entry {member}: heads must be a non-negative integer")
    keys = entry["keys"]
    if not isinstance(keys, list):
        raise FormatError(f"roll entry {member}: keys must be a list")
    kids = []
    for k in keys:
        if not isinstance(k, dict) or set(k) != {"use", "jwk"} or k["use"] not in KEY_USES:
            raise FormatError(f'roll entry {member}: a key is {{use, jwk}} with use "vote" or "proxy"')
        try:
            normal = public_jwk(k["jwk"])
        except KeyFormatError as exc:
            raise FormatError(f"roll entry {member}: {exc}") from exc
        if normal != k["jwk"]:
            raise FormatError(f"roll entry {member}: JWKs on the roll carry only their required members")
        kids.append(jwk_thumbprint(normal))
    if kids != sorted(kids) or len(set(kids)) != len(kids):
        raise FormatError(f"roll entry {member}: keys must be sorted by key id, without repeats")


def roll_leaf_data(entry: Mapping[str, Any]) -> bytes:
    return canonical_json(entry)


def roll_leaf_hash(entry: Mapping[str, Any]) -> bytes:
    return leaf_hash(roll_leaf_data(entry))


def checked_entry_bytes(entry: Mapping[str, Any]) -> bytes:
    """The canonical bytes of a roll entry that validate_roll_entry accepted (its leaf's preimage).

    The same bytes as canonical_json, made directly: the verifier hashes every entry of a roll
    of 100,000 members, and an accepted entry's shape is fixed — four members under ASCII names,
    keys whose JWKs hold only their required members (base64url and fixed names, never escaped).
    Strings go through the standard library's non-ASCII encoder, RFC 8785's string form
    (crypto.canonical says why); tests/test_crypto/test_roll_module.py holds the two equal.
    """
    heads = entry["heads"]
    if heads > MAX_SAFE_INTEGER:  # canonical_json names the problem
        return canonical_json(entry)
    keys = ",".join(f'{{"jwk":{jwk_json(k["jwk"])},"use":"{k["use"]}"}}' for k in entry["keys"])
    text = f'{{"area":{_string(entry["area"])},"heads":{heads},"keys":[{keys}],"member":{_string(entry["member"])}}}'
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:  # a lone surrogate: not Unicode text, so not JSON's
        raise CanonicalJSONError("a roll entry's member holds a lone surrogate") from exc


def check_roll_order(entries: Sequence[Mapping[str, Any]]) -> None:
    """Entries sorted by member id, no member twice."""
    previous = None
    for entry in entries:
        member = entry.get("member") if isinstance(entry, dict) else None
        if not isinstance(member, str):
            raise FormatError("roll entry without a member id")
        if previous is not None and member <= previous:
            what = "appears twice" if member == previous else "is out of order"
            raise FormatError(f"roll member {member} {what} (entries are sorted by member id)")
        previous = member


def roll_root(entries: Sequence[Mapping[str, Any]]) -> bytes:
    """Validate every entry and the order; return the RFC 6962 root over the roll's leaves."""
    check_roll_order(entries)
    for entry in entries:
        validate_roll_entry(entry)
    return root_of([roll_leaf_hash(e) for e in entries])


def roll_totals(entries: Sequence[Mapping[str, Any]]) -> tuple[str, int]:
    return format_area(sum(parse_area(e["area"]) for e in entries)), sum(e["heads"] for e in entries)


def roll_payload(
    estate: str, roll: str, root: bytes | str, size: int, area: str, heads: int, frozen_at: int, required_signatures: int
) -> dict[str, Any]:
    return {
        "type": ROLL_TYPE,
        "v": ROLL_VERSION,
        "estate": estate,
        "roll": roll,
        "root": root if isinstance(root, str) else root.hex(),
        "size": size,
        "area": area,
        "heads": heads,
        "frozen_at": frozen_at,
        "required_signatures": required_signatures,
    }


def certified_tally(tally_output: Mapping[str, Any]) -> dict[str, Any]:
    """The part of a tally document supervisors certify: everything but the items' reason texts."""
    items = tally_output.get("items")
    if not isinstance(items, dict):
        return dict(tally_output)
    return {
        **tally_output,
        "items": {k: ({f: v for f, v in item.items() if f != "reason"} if isinstance(item, dict) else item) for k, item in items.items()},
    }


def tally_digest(tally_output: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of the canonical JSON of a tally output document without its reason texts."""
    return hashlib.sha256(canonical_json(certified_tally(tally_output))).hexdigest()


def certification_payload(
    assembly: str, notice: str, roll_root_hex: str, log_size: int, log_root: bytes | str, tally_sha256: str
) -> dict[str, Any]:
    return {
        "type": CERTIFICATION_TYPE,
        "v": CERTIFICATION_VERSION,
        "assembly": assembly,
        "notice": notice,
        "roll_root": roll_root_hex,
        "log_size": log_size,
        "log_root": log_root if isinstance(log_root, str) else log_root.hex(),
        "tally_sha256": tally_sha256,
    }


def sign_payload(signer: Signer, payload: Mapping[str, Any]) -> dict[str, Any]:
    """A supervisor's signature over a roll or certification payload."""
    return {"kid": signer.kid, "sig": signer.sign_b64(canonical_json(payload))}


def check_signatures(payload: Mapping[str, Any], signatures: Any, trusted: Mapping[str, Mapping[str, Any]]) -> tuple[list[str], list[str]]:
    """(key ids that validly signed, problems) — every signature is checked, none skipped."""
    if not isinstance(signatures, list):
        return [], ["signatures must be a list"]
    message = canonical_json(payload)
    valid: list[str] = []
    problems: list[str] = []
    seen: set[str] = set()
    for n, sig in enumerate(signatures):
        if not isinstance(sig, dict) or set(sig) != {"kid", "sig"}:
            problems.append(f"signature #{n + 1} is not {{kid, sig}}")
            continue
        kid = sig["kid"]
        jwk = trusted.get(kid) if isinstance(kid, str) else None
        if jwk is None:
            problems.append(f"signature #{n + 1} is by key {kid!r}, which is not a listed supervisor key")
            continue
        if kid in valid or kid in seen:
            problems.append(f"signature #{n + 1}: key {kid} signs more than once (each supervisor signs once)")
            continue
        seen.add(kid)
        try:
            verify(jwk, message, sig["sig"] if isinstance(sig["sig"], str) else b"")
        except (SignatureInvalid, KeyFormatError) as exc:
            problems.append(f"signature #{n + 1} by {kid} does not verify ({exc})")
            continue
        valid.append(kid)
    return valid, problems


def verify_threshold(payload: Mapping[str, Any], signatures: Any, trusted: Mapping[str, Mapping[str, Any]], required: int) -> list[str]:
    """Raise unless at least ``required`` distinct trusted keys signed and no signature is bad."""
    valid, problems = check_signatures(payload, signatures, trusted)
    if problems:
        raise SignatureInvalid("; ".join(problems))
    if len(valid) < required:
        raise ThresholdNotMet(f"{len(valid)} valid signature(s), {required} required")
    return valid
