"""Owners' petitions for an extraordinary meeting (业主大会临时会议) and their checker
(docs/petition-format.md).

Owners holding at least 20% of the exclusive area **and** 20% of the heads may require the
committee to convene an extraordinary meeting (业主大会和业主委员会指导规则 Art. 21; an estate's
rules may set lower shares, never higher).  A petition is:

* the **petition document**, signed by the server when an owner starts it: its subject, the
  estate, the signing window, the shares it must reach, and the root of its **members** (every
  voting member when it was started, with area and heads, as a roll lists them);
* its **log**: each owner's **signature** is canonical JSON (RFC 8785) naming the petition, the
  digest of the petition document, the member and a nonce, signed on the owner's device; the
  server appends it to the petition's own RFC 6962 Merkle log and signs a tree head after each;
* its **export**: all of it, with the server keys that signed, which :func:`verify_export`
  checks from scratch and :func:`main` runs as ``ownersvote verify-petition``.

Counting follows the tally (``tally``): areas in hundredths of m², one head per voting member,
each share compared by exact cross-multiplication (:meth:`tally.Threshold.met`, "at least": the
figure itself included, Civil Code Art. 1259).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tally import Threshold
from tally.fmt import pct_text

from .canonical import canonical_json, parse_canonical
from .cli import key_values_joined
from .encoding import b64url_decode, b64url_encode, hex_decode
from .errors import CanonicalJSONError, CryptoError, EncodingError, FormatError, KeyFormatError, SignatureInvalid
from .keys import Signer, jwk_thumbprint, public_jwk, verify
from .merkle import leaf_hash, root_of
from .roll import format_area, parse_area
from .serverkeys import KeySet, parse_key, verify_signed_at
from .signed import sign_object
from .treehead import parse_tree_head, sign_tree_head, verify_receipt

PETITION_TYPE = "ownersvote-petition"
SIGNATURE_TYPE = "ownersvote-petition-signature"
EXPORT_TYPE = "ownersvote-petition-export"
VERSION = 1
NONCE_BYTES = 16
#: 业主大会和业主委员会指导规则 Art. 21: 20% of the area and 20% of the heads; an estate's rules may
#: ask for less, never more.
STATUTE_PERCENT = 20
STATES = ("open", "succeeded", "lapsed")
MAX_SUBJECT = 200
MAX_TEXT = 4000

_PETITION_MEMBERS = {"type", "v", "id", "estate", "subject", "text", "category", "opened", "closes", "shares", "members", "kid", "sig"}
_SIGNATURE_MEMBERS = {"type", "v", "petition", "digest", "member", "nonce"}
_ENTRY_MEMBERS = {"signature", "kid", "jwk", "sig", "received"}
_EXPORT_MEMBERS = {"type", "v", "petition", "members", "entries", "tree_heads", "state", "server_keys"}


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _text(value: Any, what: str, limit: int, *, empty: bool = False) -> str:
    if not isinstance(value, str) or (not empty and not value.strip()) or len(value) > limit:
        raise FormatError(f"{what} must be text of at most {limit} characters{'' if empty else ', not empty'}")
    return value


# --- shares --------------------------------------------------------------------------------


def share_problem(percent: Any) -> str | None:
    """Why ``percent`` cannot be a petition's share (None when it can): a whole percentage from 1
    to the statute's 20."""
    if not _is_int(percent) or percent < 1:
        return "a share is a whole percentage of at least 1"
    if percent > STATUTE_PERCENT:
        return (
            f"{percent}% is above the statute's {STATUTE_PERCENT}%: owners holding {STATUTE_PERCENT}% of the area and of the heads "
            "may always require an extraordinary meeting (业主大会和业主委员会指导规则 Art. 21), and an estate's rules may only lower that"
        )
    return None


def threshold(percent: int) -> Threshold:
    """The share as the tally's threshold: at least ``percent``/100."""
    return Threshold("at_least", percent, 100)


@dataclass(frozen=True)
class Progress:
    """What the signatures add up to against the petition's shares."""

    area: int  # hundredths of m² of the members who signed
    heads: int
    total_area: int
    total_heads: int
    area_percent: int
    heads_percent: int

    @property
    def area_met(self) -> bool:
        return threshold(self.area_percent).met(self.area, self.total_area)

    @property
    def heads_met(self) -> bool:
        return threshold(self.heads_percent).met(self.heads, self.total_heads)

    @property
    def met(self) -> bool:
        return self.area_met and self.heads_met

    @property
    def area_needed(self) -> int:
        """The least area (hundredths of m²) that meets the share: ⌈total × p / 100⌉."""
        return -(-self.total_area * self.area_percent // 100)

    @property
    def heads_needed(self) -> int:
        return -(-self.total_heads * self.heads_percent // 100)

    def to_json(self) -> dict[str, Any]:
        return {
            "area": format_area(self.area),
            "heads": self.heads,
            "area_needed": format_area(self.area_needed),
            "heads_needed": self.heads_needed,
            "area_met": self.area_met,
            "heads_met": self.heads_met,
            "met": self.met,
        }

    def summary(self) -> str:
        return (
            f"area {format_area(self.area)} of {format_area(self.total_area)} m² ({pct_text(self.area, self.total_area)}, "
            f"needs at least {self.area_percent}%: {'met' if self.area_met else 'not met'}), "
            f"heads {self.heads} of {self.total_heads} ({pct_text(self.heads, self.total_heads)}, "
            f"needs at least {self.heads_percent}%: {'met' if self.heads_met else 'not met'})"
        )


def progress(weights: Sequence[tuple[int, int]], total_area: int, total_heads: int, area_percent: int, heads_percent: int) -> Progress:
    """The signed members' (area, heads) added up against the totals."""
    return Progress(sum(a for a, _ in weights), sum(h for _, h in weights), total_area, total_heads, area_percent, heads_percent)


# --- members ---------------------------------------------------------------------------------


def member_entry(member: str, area: int, heads: int) -> dict[str, Any]:
    entry = {"member": member, "area": format_area(area), "heads": heads}
    validate_member(entry)
    return entry


def validate_member(entry: Any) -> None:
    if not isinstance(entry, dict) or set(entry) != {"member", "area", "heads"}:
        raise FormatError("a petition member is {member, area, heads}")
    if not isinstance(entry["member"], str) or not entry["member"]:
        raise FormatError("a petition member's id is a non-empty string")
    parse_area(entry["area"])
    if not _is_int(entry["heads"]) or entry["heads"] < 0:
        raise FormatError("a petition member's heads is a non-negative integer")


def members_root(entries: Sequence[Mapping[str, Any]]) -> bytes:
    """The Merkle root over the members in id order (leaf = canonical JSON of the entry)."""
    ids = [e["member"] for e in entries]
    if ids != sorted(ids) or len(set(ids)) != len(ids):
        raise FormatError("petition members must be listed once each, in member-id order")
    return root_of([leaf_hash(canonical_json(dict(e))) for e in entries])


# --- the petition document -------------------------------------------------------------------


def petition_payload(
    *,
    petition_id: str,
    estate: Mapping[str, str],
    subject: str,
    text: str,
    category: int,
    opened: int,
    closes: int,
    area_percent: int,
    heads_percent: int,
    members: Sequence[Mapping[str, Any]],
) -> dict[str, Any]:
    area = sum(parse_area(m["area"]) for m in members)
    heads = sum(int(m["heads"]) for m in members)
    payload = {
        "type": PETITION_TYPE,
        "v": VERSION,
        "id": petition_id,
        "estate": dict(estate),
        "subject": subject,
        "text": text,
        "category": category,
        "opened": opened,
        "closes": closes,
        "shares": {"area_percent": area_percent, "heads_percent": heads_percent},
        "members": {"root": members_root(members).hex(), "size": len(members), "area": format_area(area), "heads": heads},
    }
    validate_petition({**payload, "kid": "", "sig": ""})
    return payload


def sign_petition(signer: Signer, payload: Mapping[str, Any]) -> dict[str, Any]:
    return sign_object(signer, payload)


def validate_petition(doc: Any) -> None:
    """Raise :class:`FormatError` unless ``doc`` has the shape of a petition document."""
    if not isinstance(doc, dict) or set(doc) != _PETITION_MEMBERS:
        got = sorted(doc) if isinstance(doc, dict) else type(doc).__name__
        raise FormatError(f"a petition has exactly the members {sorted(_PETITION_MEMBERS)}, not {got}")
    if doc["type"] != PETITION_TYPE or doc["v"] != VERSION:
        raise FormatError(f"not a version-{VERSION} {PETITION_TYPE}")
    _text(doc["id"], "the petition id", 120)
    estate = doc["estate"]
    if not isinstance(estate, dict) or set(estate) != {"id", "slug", "name"} or not all(isinstance(v, str) for v in estate.values()):
        raise FormatError("a petition's estate is {id, slug, name}, strings")
    _text(doc["subject"], "the subject", MAX_SUBJECT)
    _text(doc["text"], "the text", MAX_TEXT, empty=True)
    if not _is_int(doc["category"]) or not 1 <= doc["category"] <= 9:
        raise FormatError("the category is 1 to 9 (Civil Code Art. 278)")
    if not (_is_int(doc["opened"]) and _is_int(doc["closes"])) or not 0 <= doc["opened"] < doc["closes"]:
        raise FormatError("opened and closes are milliseconds since the epoch, opened before closes")
    shares = doc["shares"]
    if not isinstance(shares, dict) or set(shares) != {"area_percent", "heads_percent"}:
        raise FormatError("shares is {area_percent, heads_percent}")
    for name in ("area_percent", "heads_percent"):
        problem = share_problem(shares[name])
        if problem:
            raise FormatError(f"shares.{name}: {problem}")
    members = doc["members"]
    if not isinstance(members, dict) or set(members) != {"root", "size", "area", "heads"}:
        raise FormatError("members is {root, size, area, heads}")
    if not (_is_int(members["size"]) and _is_int(members["heads"])) or members["size"] < 1 or members["heads"] < 0:
        raise FormatError("members: size is a positive integer, heads a non-negative one")
    parse_area(members["area"])
    try:
        hex_decode(members["root"], 32, "members root")
    except EncodingError as exc:
        raise FormatError(str(exc)) from exc
    if not isinstance(doc["kid"], str) or not isinstance(doc["sig"], str):
        raise FormatError("kid and sig are strings")


def petition_digest(doc: Mapping[str, Any]) -> str:
    """What each signature names: SHA-256 of the canonical JSON of the signed petition document."""
    return hashlib.sha256(canonical_json(dict(doc))).hexdigest()


# --- signatures and log entries --------------------------------------------------------------


def new_nonce() -> str:
    return b64url_encode(os.urandom(NONCE_BYTES))


def make_signature(petition_id: str, digest: str, member: str, nonce: str | None = None) -> dict[str, Any]:
    doc = {"type": SIGNATURE_TYPE, "v": VERSION, "petition": petition_id, "digest": digest, "member": member, "nonce": nonce or new_nonce()}
    validate_signature(doc)
    return doc


def validate_signature(doc: Any) -> None:
    if not isinstance(doc, dict) or set(doc) != _SIGNATURE_MEMBERS:
        raise FormatError(f"a petition signature has exactly the members {sorted(_SIGNATURE_MEMBERS)}")
    if doc["type"] != SIGNATURE_TYPE or doc["v"] != VERSION:
        raise FormatError(f"not a version-{VERSION} {SIGNATURE_TYPE}")
    for name in ("petition", "member"):
        if not isinstance(doc[name], str) or not doc[name]:
            raise FormatError(f"the signature's {name} is a non-empty string")
    try:
        hex_decode(doc["digest"], 32, "the signature's petition digest")
        b64url_decode(doc["nonce"], NONCE_BYTES, "the signature's nonce")
    except EncodingError as exc:
        raise FormatError(str(exc)) from exc


def parse_signature(text: Any) -> dict[str, Any]:
    """Signed text: canonical JSON (RFC 8785) of a well-formed signature."""
    if not isinstance(text, str):
        raise FormatError("the signed signature is text")
    try:
        doc: dict[str, Any] = parse_canonical(text)
    except CanonicalJSONError as exc:
        raise FormatError(f"the signature is not canonical JSON: {exc}") from exc
    validate_signature(doc)
    return doc


def sign_signature(signer: Signer, doc: Mapping[str, Any]) -> tuple[str, str]:
    """(canonical text, signature): what an owner's phone sends (tests and the demo)."""
    text = canonical_json(dict(doc)).decode("utf-8")
    return text, signer.sign_b64(text.encode("utf-8"))


def make_entry(text: str, jwk: Mapping[str, Any], sig: str, received: int) -> dict[str, Any]:
    entry = {"signature": text, "kid": jwk_thumbprint(jwk), "jwk": public_jwk(jwk), "sig": sig, "received": received}
    validate_entry(entry)
    return entry


def validate_entry(entry: Any) -> None:
    if not isinstance(entry, dict) or set(entry) != _ENTRY_MEMBERS:
        raise FormatError(f"a petition log entry has exactly the members {sorted(_ENTRY_MEMBERS)}")
    for name in ("signature", "kid", "sig"):
        if not isinstance(entry[name], str):
            raise FormatError(f"a log entry's {name} is a string")
    if not isinstance(entry["jwk"], dict):
        raise FormatError("a log entry's jwk is the signer's public key")
    if not _is_int(entry["received"]) or entry["received"] < 0:
        raise FormatError("a log entry's received is milliseconds since the epoch")


def entry_leaf_hash(entry: Mapping[str, Any]) -> bytes:
    validate_entry(entry)
    return leaf_hash(canonical_json(dict(entry)))


def verify_entry(entry: Mapping[str, Any]) -> dict[str, Any]:
    """An entry's form and its signature by the key it carries; returns the signature document.
    Which member that key may sign for is the caller's question (the server: the owner's
    registration; the checker: the petition's members)."""
    validate_entry(entry)
    doc = parse_signature(entry["signature"])
    try:
        normal = public_jwk(entry["jwk"])
    except KeyFormatError as exc:
        raise FormatError(f"the entry's key: {exc}") from exc
    if normal != entry["jwk"]:
        raise FormatError("the entry's key must carry only its required members")
    if entry["kid"] != jwk_thumbprint(normal):
        raise SignatureInvalid("the entry's kid is not the thumbprint of its key")
    verify(entry["jwk"], entry["signature"].encode("utf-8"), entry["sig"])
    return doc


def tree_head(signer: Signer, petition_id: str, digest: str, leaves: Sequence[bytes], *, n: int, at: int, final: bool) -> dict[str, Any]:
    """A signed tree head over the petition's first ``len(leaves)`` entries."""
    return sign_tree_head(signer, petition_id, len(leaves), root_of(list(leaves)), at, n=n, notice=digest, final=final)


# --- the export and its check ---------------------------------------------------------------


@dataclass(frozen=True)
class Checked:
    petition: dict[str, Any]
    digest: str
    state: str
    signatures: int
    members: int
    progress: Progress
    tree_heads: int
    receipts: int


def _keys(records: Any) -> KeySet:
    if not isinstance(records, list) or not records:
        raise FormatError("server_keys lists the server keys that signed the export")
    return KeySet.of(parse_key(r) for r in records)


def verify_export(export: Any, receipts: Sequence[Any] = (), *, pinned: Sequence[str] = ()) -> Checked:
    """Check an exported petition from scratch; raise :class:`CryptoError` at the first fault.

    The petition is signed by a server key of the export valid when it opened; its members add up
    to the root and totals it states; every entry is signed by the key it carries for a member of
    the petition, names this petition and its digest, arrived in the signing window, and no
    member signed twice; no entry follows the one that met both shares (signing stops there);
    every tree head is signed, numbered in order and has the root of the entries it covers; the
    last covers them all and is final exactly when the petition succeeded or lapsed; the state
    follows from the count.  ``receipts`` are checked against the log; ``pinned`` key ids, when
    given, are the only server keys allowed."""
    if not isinstance(export, dict) or set(export) != _EXPORT_MEMBERS:
        got = sorted(export) if isinstance(export, dict) else type(export).__name__
        raise FormatError(f"an exported petition has exactly the members {sorted(_EXPORT_MEMBERS)}, not {got}")
    if export["type"] != EXPORT_TYPE or export["v"] != VERSION:
        raise FormatError(f"not a version-{VERSION} {EXPORT_TYPE}")
    keys = _keys(export["server_keys"])
    if pinned and not set(keys.keys) <= set(pinned):
        raise FormatError(f"the export lists server keys other than the pinned {sorted(pinned)}: {sorted(set(keys.keys) - set(pinned))}")
    petition = export["petition"]
    validate_petition(petition)
    verify_signed_at(petition, keys, petition["opened"])
    digest = petition_digest(petition)
    pid = petition["id"]

    members = export["members"]
    if not isinstance(members, list):
        raise FormatError("members is a list")
    for entry in members:
        validate_member(entry)
    stated = petition["members"]
    if members_root(members).hex() != stated["root"]:
        raise FormatError("the members do not have the root the petition states")
    weight = {m["member"]: (parse_area(m["area"]), m["heads"]) for m in members}
    total_area, total_heads = sum(a for a, _ in weight.values()), sum(h for _, h in weight.values())
    if len(members) != stated["size"] or format_area(total_area) != stated["area"] or total_heads != stated["heads"]:
        raise FormatError("the members do not add up to the size, area and heads the petition states")
    shares = petition["shares"]

    entries = export["entries"]
    if not isinstance(entries, list):
        raise FormatError("entries is a list")
    leaves: list[bytes] = []
    signed: list[tuple[int, int]] = []
    seen: dict[str, int] = {}
    met_at: int | None = None
    last = petition["opened"]
    for index, entry in enumerate(entries):
        where = f"entry {index}"
        try:
            doc = verify_entry(entry)
        except CryptoError as exc:
            raise type(exc)(f"{where}: {exc}") from exc
        if doc["petition"] != pid or doc["digest"] != digest:
            raise FormatError(f"{where}: signed for another petition (or another version of it) than {pid}")
        member = doc["member"]
        if member not in weight:
            raise FormatError(f"{where}: {member} is not a member of the petition")
        if member in seen:
            raise FormatError(f"{where}: {member} signed already (entry {seen[member]}); one signature per member")
        if met_at is not None:
            raise FormatError(f"{where}: accepted after entry {met_at} met both shares, when signing had ended")
        received = entry["received"]
        if not petition["opened"] <= received < petition["closes"]:
            raise FormatError(f"{where}: received outside the signing window")
        if received < last:
            raise FormatError(f"{where}: received before the entry ahead of it")
        last = received
        seen[member] = index
        leaves.append(entry_leaf_hash(entry))
        signed.append(weight[member])
        if progress(signed, total_area, total_heads, shares["area_percent"], shares["heads_percent"]).met:
            met_at = index
    counted = progress(signed, total_area, total_heads, shares["area_percent"], shares["heads_percent"])

    heads = export["tree_heads"]
    if not isinstance(heads, list) or not heads:
        raise FormatError("tree_heads lists the signed tree heads, at least one")
    size = 0
    final = False
    for n, sth in enumerate(heads):
        head = parse_tree_head(sth)
        if final:
            raise FormatError(f"tree head {n} follows the final one")
        if head.log != pid or head.notice != digest:
            raise FormatError(f"tree head {n} is for another log or petition")
        if head.n != n:
            raise FormatError(f"tree head {n} is numbered {head.n}")
        if head.size < size or head.size > len(entries):
            raise FormatError(f"tree head {n} covers {head.size} entries: the log cannot shrink, nor hold fewer than that")
        verify_signed_at(sth, keys, head.timestamp)
        if head.root != root_of(leaves[: head.size]):
            raise FormatError(f"tree head {n} does not have the root of the first {head.size} entries")
        size, final = head.size, head.final
    if size != len(entries):
        raise FormatError(f"the last tree head covers {size} entries, not all {len(entries)}")

    state = export["state"]
    if state not in STATES:
        raise FormatError(f"state is one of {STATES}")
    expected = "succeeded" if counted.met else ("lapsed" if final else "open")
    if state != expected:
        raise FormatError(f"the export says {state}, the count says {expected}")
    if (state != "open") != final:
        raise FormatError("a succeeded or lapsed petition ends with a final tree head, and only such a one")
    if state == "lapsed" and parse_tree_head(heads[-1]).timestamp < petition["closes"]:
        raise FormatError("the petition is marked lapsed before its signing window ended")

    for k, receipt in enumerate(receipts):
        try:
            sth = receipt["sth"] if isinstance(receipt, dict) else None
            jwk = keys.jwk_at(sth.get("kid") if isinstance(sth, dict) else None, sth.get("timestamp") if isinstance(sth, dict) else None)
            found = verify_receipt(receipt, jwk, pid)
        except CryptoError as exc:
            raise type(exc)(f"receipt {k}: {exc}") from exc
        if found.index >= len(leaves) or leaves[found.index] != found.leaf_hash:
            raise FormatError(f"receipt {k}: its signature is not entry {found.index} of the log")
        if found.sth.root != root_of(leaves[: found.sth.size]):
            raise FormatError(f"receipt {k}: its tree head disagrees with the log")
    return Checked(petition, digest, state, len(entries), len(members), counted, len(heads), len(receipts))


def main(argv: list[str] | None = None, prog: str = "ownersvote verify-petition") -> int:
    """Check an exported petition offline (docs/petition-format.md)."""
    parser = argparse.ArgumentParser(
        prog=prog, description="Check an exported owners' petition for an extraordinary meeting (docs/petition-format.md)."
    )
    parser.add_argument("export", metavar="PETITION", help="the exported petition (JSON)")
    parser.add_argument("receipts", metavar="RECEIPT", nargs="*", help="signers' receipts (JSON), each checked against the log")
    parser.add_argument("--server-key", metavar="KID", action="append", default=[], help="allow only this server key id (repeatable)")
    args = parser.parse_args(key_values_joined(sys.argv[1:] if argv is None else argv))
    try:
        export = json.loads(Path(args.export).read_bytes())
        receipts = [json.loads(Path(p).read_bytes()) for p in args.receipts]
    except (OSError, ValueError) as exc:
        print(f"{prog}: cannot read: {exc}", file=sys.stderr)
        return 2
    try:
        checked = verify_export(export, receipts, pinned=args.server_key)
    except CryptoError as exc:
        print(f"{prog}: {args.export}: FAILED — {exc}", file=sys.stderr)
        return 1
    except (KeyError, TypeError, AttributeError) as exc:
        print(f"{prog}: {args.export}: FAILED — malformed: {exc!r}", file=sys.stderr)
        return 1
    p = checked.progress
    print(
        f"{prog}: {args.export}: OK — petition {checked.petition['id']} ({checked.petition['subject']}): "
        f"{checked.signatures} of {checked.members} members signed; {p.summary()}; {checked.state}; "
        f"{checked.tree_heads} tree heads and {checked.receipts} receipts checked"
    )
    return 0
