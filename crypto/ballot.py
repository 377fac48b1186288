"""Ballots and log entries.

An **online ballot** is the canonical JSON (RFC 8785) of::

    {"type": "ownersvote-ballot", "v": 2, "assembly": ID, "notice": HEX, "roll_root": HEX,
     "member": MEMBER_ID, "choices": {ITEM_ID: CHOICE, …}, "nonce": B64URL}

signed on the owner's device over exactly those bytes, with a key of that member on the frozen
roll (the owner's voting key or an approved proxy's key; P-256 raw ``r‖s``, or Ed25519).
``notice`` is the digest of the notice the owner read (crypto.notice): items, options, window and
rules, so the owner signs the exact question answered.  A CHOICE is ``"agree"``,
``"disagree"``, ``"abstain"`` (resolutions) or a list of option ids (elections, selections,
plans; empty = abstain); a missing item is an abstention.  ``nonce`` is 16 random bytes, so that two
owners with the same choices never produce the same bytes, and the roll root binds the ballot to
one roll.

A **paper ballot** (纸质表决票), entered by organisers, is the same object with
``"type": "ownersvote-paper-ballot"`` and one more member::

    "paper": {"scan_sha256": HEX, "serial": SHEET_SERIAL, "entered_by": [OPERATOR_A, OPERATOR_B],
              "resolved_by": SUPERVISOR | null}

— the SHA-256 of the scanned sheet, the serial printed on it, the two different operators who
entered it independently (double entry) and, when their entries differed, the supervisor who
decided from the scan.  It is signed by the server's log key: the owner has no device key in
this path, so the signature attests what the platform recorded, and the scan hash lets
supervisors match it against the archived paper.

A **log entry** (one Merkle leaf) is::

    {"kind": "online" | "paper", "ballot": "<the ballot's canonical JSON, as a string>",
     "kid": KEY_ID, "sig": B64URL}

and the leaf data is the canonical JSON of that object.  Keeping the signed bytes as a string
means the verifier checks the signature over the very bytes the device signed, and checks
they are canonical, instead of trusting a re-serialisation.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from json.encoder import encode_basestring as _string  # the C encoder: RFC 8785's string form
from typing import Any

from .canonical import canonical_json, parse_canonical
from .encoding import b64url_decode, b64url_encode, hex_decode
from .errors import CanonicalJSONError, EncodingError, FormatError, SignatureInvalid
from .keys import Signer, jwk_thumbprint, verify
from .merkle import leaf_hash

BALLOT_TYPE = "ownersvote-ballot"
PAPER_BALLOT_TYPE = "ownersvote-paper-ballot"
RESOLUTION_CHOICES = ("agree", "disagree", "abstain")
ONLINE, PAPER = "online", "paper"
_ENTRY_MEMBERS = {"kind", "ballot", "kid", "sig"}
_BALLOT_MEMBERS = {"type", "v", "assembly", "notice", "roll_root", "member", "choices", "nonce"}
_PAPER_MEMBERS = {"scan_sha256", "serial", "entered_by", "resolved_by"}
VERSION = 2
NONCE_BYTES = 16


def new_nonce() -> str:
    return b64url_encode(os.urandom(NONCE_BYTES))


def _nonempty_str(value: Any) -> bool:
    return isinstance(value, str) and value != ""


def validate_ballot(ballot: Any) -> None:
    """Raise :class:`FormatError` unless ``ballot`` has the documented shape (not its meaning)."""
    if not isinstance(ballot, dict):
        raise FormatError("a ballot is a JSON object")
    kind = ballot.get("type")
    expected = _BALLOT_MEMBERS | ({"paper"} if kind == PAPER_BALLOT_TYPE else set())
    if kind not in (BALLOT_TYPE, PAPER_BALLOT_TYPE) or ballot.get("v") != VERSION:
        raise FormatError(f"not a version-{VERSION} OwnersVote ballot")
    if set(ballot) != expected:
        missing, extra = expected - set(ballot), set(ballot) - expected
        raise FormatError(f"ballot members: missing {sorted(missing)}, unexpected {sorted(extra)}")
    for name in ("assembly", "member"):
        if not _nonempty_str(ballot[name]):
            raise FormatError(f"ballot {name} must be a non-empty string")
    try:
        hex_decode(ballot["roll_root"], what="ballot roll_root")
        hex_decode(ballot["notice"], what="ballot notice digest")
        b64url_decode(ballot["nonce"], NONCE_BYTES, "ballot nonce")
    except EncodingError as exc:
        raise FormatError(str(exc)) from exc
    choices = ballot["choices"]
    if not isinstance(choices, dict):
        raise FormatError("ballot choices must be an object")
    for item, choice in choices.items():
        if isinstance(choice, str):
            if choice not in RESOLUTION_CHOICES:
                raise FormatError(f"choice for {item!r} must be agree, disagree or abstain, not {choice!r}")
        elif isinstance(choice, list):
            if not all(_nonempty_str(o) for o in choice):
                raise FormatError(f"choice for {item!r} must be a list of option ids")
        else:
            raise FormatError(f"choice for {item!r} must be a string or a list of option ids")
    if kind == PAPER_BALLOT_TYPE:
        paper = ballot["paper"]
        if not isinstance(paper, dict) or set(paper) != _PAPER_MEMBERS:
            raise FormatError(f"paper ballot: paper must be {sorted(_PAPER_MEMBERS)}")
        if not _nonempty_str(paper["serial"]):
            raise FormatError("paper ballot: serial must name the printed sheet")
        if paper["resolved_by"] is not None and not _nonempty_str(paper["resolved_by"]):
            raise FormatError("paper ballot: resolved_by names a supervisor, or is null")
        try:
            hex_decode(paper["scan_sha256"], what="paper scan_sha256")
        except EncodingError as exc:
            raise FormatError(str(exc)) from exc
        ops = paper["entered_by"]
        if not (isinstance(ops, list) and len(ops) == 2 and all(_nonempty_str(o) for o in ops)):
            raise FormatError("paper ballot: entered_by must name the two operators of the double entry")
        if ops[0] == ops[1]:
            raise FormatError("paper ballot: the double entry was made twice by the same operator")


def make_ballot(
    assembly: str, notice: str, roll_root: str, member: str, choices: Mapping[str, Any], nonce: str | None = None
) -> dict[str, Any]:
    ballot = {
        "type": BALLOT_TYPE,
        "v": VERSION,
        "assembly": assembly,
        "notice": notice,
        "roll_root": roll_root,
        "member": member,
        "choices": dict(choices),
        "nonce": nonce or new_nonce(),
    }
    validate_ballot(ballot)
    return ballot


def make_paper_ballot(
    assembly: str,
    notice: str,
    roll_root: str,
    member: str,
    choices: Mapping[str, Any],
    scan_sha256: str,
    entered_by: Sequence[str],
    *,
    serial: str,
    resolved_by: str | None = None,
    nonce: str | None = None,
) -> dict[str, Any]:
    ballot = {
        "type": PAPER_BALLOT_TYPE,
        "v": VERSION,
        "assembly": assembly,
        "notice": notice,
        "roll_root": roll_root,
        "member": member,
        "choices": dict(choices),
        "nonce": nonce or new_nonce(),
        "paper": {"scan_sha256": scan_sha256, "serial": serial, "entered_by": list(entered_by), "resolved_by": resolved_by},
    }
    validate_ballot(ballot)
    return ballot


def ballot_bytes(ballot: Mapping[str, Any]) -> bytes:
    """The canonical bytes a device (or, for paper, the server) signs."""
    validate_ballot(ballot)
    return canonical_json(ballot)


def parse_ballot(data: str | bytes) -> dict[str, Any]:
    """Parse signed ballot text: it must be canonical JSON of a well-formed ballot."""
    try:
        ballot: dict[str, Any] = parse_canonical(data)  # validate_ballot checks it is an object
    except CanonicalJSONError as exc:
        raise FormatError(f"ballot is not canonical JSON: {exc}") from exc
    validate_ballot(ballot)
    return ballot


def sign_ballot(signer: Signer, ballot: Mapping[str, Any]) -> dict[str, Any]:
    """Sign a ballot and wrap it as a log entry (online, or paper when ``ballot`` is a paper ballot)."""
    data = ballot_bytes(ballot)
    kind = PAPER if ballot["type"] == PAPER_BALLOT_TYPE else ONLINE
    return {"kind": kind, "ballot": data.decode("utf-8"), "kid": signer.kid, "sig": signer.sign_b64(data)}


def validate_entry(entry: Any) -> None:
    if not isinstance(entry, dict):
        raise FormatError("a log entry is a JSON object")
    if set(entry) != _ENTRY_MEMBERS:
        raise FormatError(f"log entry members must be {sorted(_ENTRY_MEMBERS)}")
    if entry["kind"] not in (ONLINE, PAPER):
        raise FormatError(f"log entry kind must be online or paper, not {entry['kind']!r}")
    for name in ("ballot", "kid", "sig"):
        if not isinstance(entry[name], str):
            raise FormatError(f"log entry {name} must be a string")


def entry_leaf_data(entry: Mapping[str, Any]) -> bytes:
    """The Merkle leaf data of a log entry: canonical JSON of {kind, ballot, kid, sig}.

    Made directly rather than through the general encoder: the verifier hashes every entry, and
    four strings under fixed ASCII names need neither its checks nor its key sort (RFC 8785
    orders the names ballot, kid, kind, sig).  The standard library's non-ASCII string encoder
    is RFC 8785's string form (crypto.canonical explains why); tests/test_crypto/test_canonical.py
    holds the two equal on arbitrary strings.
    """
    validate_entry(entry)
    text = (
        f'{{"ballot":{_string(entry["ballot"])},"kid":{_string(entry["kid"])},'
        f'"kind":{_string(entry["kind"])},"sig":{_string(entry["sig"])}}}'
    )
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:  # a lone surrogate: not Unicode text, so not JSON's
        raise CanonicalJSONError("a log entry's string holds a lone surrogate") from exc


def entry_leaf_hash(entry: Mapping[str, Any]) -> bytes:
    return leaf_hash(entry_leaf_data(entry))


def verify_entry(entry: Mapping[str, Any], jwk: Mapping[str, Any]) -> dict[str, Any]:
    """Check a log entry's form and its signature by ``jwk``; return the parsed ballot.

    ``jwk`` is the member's voting key from the roll for an online entry, the server's log key
    for a paper entry: deciding which key is acceptable is the caller's job (the server checks
    the roll, the verifier checks the bundle).  Raises :class:`FormatError` or
    :class:`SignatureInvalid`.
    """
    validate_entry(entry)
    ballot = parse_ballot(entry["ballot"])
    expected = PAPER_BALLOT_TYPE if entry["kind"] == PAPER else BALLOT_TYPE
    if ballot["type"] != expected:
        raise FormatError(f"a {entry['kind']} log entry must hold a {expected}")
    if entry["kid"] != jwk_thumbprint(jwk):
        raise SignatureInvalid("log entry kid does not name the key it is checked against")
    verify(jwk, entry["ballot"].encode("utf-8"), entry["sig"])
    return ballot


class Agenda:
    """An agenda's items by id, each item's options made a set once: what :func:`choice_problems`
    looks up for every ballot (the verifier checks 100,000 of them against one agenda)."""

    def __init__(self, items: Sequence[Mapping[str, Any]]) -> None:
        self.by_id = {item.get("id"): item for item in items}
        self._options: dict[Any, set[Any]] = {}

    def options(self, item_id: Any, item: Mapping[str, Any]) -> set[Any]:
        options = self._options.get(item_id)
        if options is None:
            options = self._options[item_id] = set(item.get("options") or ())
        return options


def choice_problems(choices: Mapping[str, Any], items: Sequence[Mapping[str, Any]] | Agenda, strict: bool = True) -> list[str]:
    """What is wrong with ``choices`` against the agenda ``items`` (tally input format), given
    as a list or as an :class:`Agenda` made of it.

    Unknown items are always wrong.  With ``strict`` (online ballots: the server must refuse
    them), so are unknown or repeated options and more marks than allowed; a paper ballot may
    legitimately be spoiled on an item (废票) and is then checked with ``strict=False``.
    """
    problems = []
    agenda = items if isinstance(items, Agenda) else Agenda(items)
    by_id = agenda.by_id
    for item_id, choice in choices.items():
        item = by_id.get(item_id)
        if item is None:
            problems.append(f"choice for unknown item {item_id!r}")
            continue
        kind = item.get("kind")
        if kind == "resolution":
            if not isinstance(choice, str) and strict:
                problems.append(f"item {item_id!r} is a resolution: agree, disagree or abstain")
            continue
        if not isinstance(choice, list):
            if strict:
                problems.append(f"item {item_id!r} takes a list of options")
            continue
        if not strict:
            continue
        options = agenda.options(item_id, item)
        # An election takes up to its seats; a selection or a plan (方案选择) at most one option.
        allowed = item.get("seats", 1) if kind == "election" else 1
        unknown = [o for o in choice if o not in options]
        if unknown:
            problems.append(f"item {item_id!r}: unknown option(s) {unknown}")
        if len(set(choice)) != len(choice):
            problems.append(f"item {item_id!r}: an option is marked twice")
        if len(choice) > allowed:
            problems.append(f"item {item_id!r}: {len(choice)} marks, at most {allowed} allowed")
    return problems
