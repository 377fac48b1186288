"""Roll supplements: a member's new voting key added to a frozen roll, and the old one revoked,
for one assembly until its close (docs/bundle-format.md §7a).

A roll is frozen before the notice; an owner who registers afterwards, or replaces a lost phone,
holds a key the roll does not list.  The server drafts a **supplement payload** and the estate's
supervisors sign it in their own browsers (k of n, the roll's ``required_signatures``), exactly
as they sign the roll::

    {"type": "ownersvote-roll-supplement", "v": 1, "estate": ESTATE_ID, "roll": ROLL_ID,
     "roll_root": HEX, "assembly": ASSEMBLY_ID, "seq": N, "member": MEMBER_ID,
     "add": [{"use": "vote", "jwk": {PUBLIC JWK}}, …], "revoke": [KID, …],
     "made_at": MS, "required_signatures": K}

``add`` is sorted by key id and ``revoke`` is sorted; at least one of them is not empty.
``seq`` numbers the estate's supplements to one assembly (unique, not necessarily without gaps:
a draft replaced by a newer one is never signed).

The bundle carries the certified supplements as records, in the order they took effect::

    {"payload": {…}, "signatures": [{"kid", "sig"}, …], "from": LOG_SIZE}

``from`` is the size of the ballot log when the supplement took effect (its last required
signature): a ballot signed with an added key counts only at a log index ``>= from``, a ballot
signed with a revoked key only at an index ``< from``.  ``from`` never decreases along the list.

:func:`apply_supplements` checks the records against the roll and the supervisors' keys and
returns the key changes; the verifiers (``crypto.verify``, ``verifier.js``) then judge each
ballot by its position.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .errors import FormatError, KeyFormatError
from .keys import jwk_thumbprint, public_jwk
from .roll import VOTE, check_signatures

SUPPLEMENT_TYPE = "ownersvote-roll-supplement"
SUPPLEMENT_VERSION = 1
PAYLOAD_MEMBERS = frozenset(
    {"type", "v", "estate", "roll", "roll_root", "assembly", "seq", "member", "add", "revoke", "made_at", "required_signatures"}
)
RECORD_MEMBERS = frozenset({"payload", "signatures", "from"})


def supplement_payload(
    *,
    estate: str,
    roll: str,
    roll_root: str,
    assembly: str,
    seq: int,
    member: str,
    add: Sequence[Mapping[str, Any]],
    revoke: Sequence[str],
    made_at: int,
    required_signatures: int,
) -> dict[str, Any]:
    """The payload supervisors sign; ``add`` as JWKs (each a voting key), ``revoke`` as key ids."""
    keys = sorted((public_jwk(k) for k in add), key=jwk_thumbprint)
    payload = {
        "type": SUPPLEMENT_TYPE,
        "v": SUPPLEMENT_VERSION,
        "estate": estate,
        "roll": roll,
        "roll_root": roll_root,
        "assembly": assembly,
        "seq": seq,
        "member": member,
        "add": [{"use": VOTE, "jwk": k} for k in keys],
        "revoke": sorted(revoke),
        "made_at": made_at,
        "required_signatures": required_signatures,
    }
    validate_supplement_payload(payload)
    return payload


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def validate_supplement_payload(payload: Any) -> None:
    """Raise :class:`FormatError` unless ``payload`` is a well-formed supplement payload."""
    if not isinstance(payload, dict) or set(payload) != PAYLOAD_MEMBERS:
        raise FormatError("a supplement payload is {" + ", ".join(sorted(PAYLOAD_MEMBERS)) + "}")
    if payload["type"] != SUPPLEMENT_TYPE or payload["v"] != SUPPLEMENT_VERSION:
        raise FormatError(f"a supplement payload has type {SUPPLEMENT_TYPE!r} and v {SUPPLEMENT_VERSION}")
    for name in ("estate", "roll", "roll_root", "assembly", "member"):
        if not isinstance(payload[name], str) or not payload[name]:
            raise FormatError(f"supplement {name} must be a non-empty string")
    for name in ("seq", "made_at", "required_signatures"):
        if not _is_int(payload[name]) or payload[name] < (1 if name != "made_at" else 0):
            raise FormatError(f"supplement {name} must be a positive integer")
    add, revoke = payload["add"], payload["revoke"]
    if not isinstance(add, list) or not isinstance(revoke, list) or not (add or revoke):
        raise FormatError("supplement add and revoke are lists, not both empty")
    kids = []
    for key in add:
        if not isinstance(key, dict) or set(key) != {"use", "jwk"} or key["use"] != VOTE:
            raise FormatError('a supplement adds {use: "vote", jwk} keys')
        try:
            normal = public_jwk(key["jwk"])
        except KeyFormatError as exc:
            raise FormatError(f"supplement key: {exc}") from exc
        if normal != key["jwk"]:
            raise FormatError("supplement JWKs carry only their required members")
        kids.append(jwk_thumbprint(normal))
    if kids != sorted(kids) or len(set(kids)) != len(kids):
        raise FormatError("supplement add must be sorted by key id, without repeats")
    if not all(isinstance(k, str) and k for k in revoke) or revoke != sorted(set(revoke)):
        raise FormatError("supplement revoke must be sorted key ids, without repeats")
    if set(kids) & set(revoke):
        raise FormatError("a supplement cannot add and revoke the same key")


@dataclass
class KeyChanges:
    """What the certified supplements did: added keys (kid → member, jwk, from) and revoked keys
    (kid → from), the problems found, and how many records were well formed and certified."""

    added: dict[str, tuple[str, dict[str, Any], int]] = field(default_factory=dict)
    revoked: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    applied: int = 0

    def ballot_problem(self, kid: str, index: int) -> str | None:
        """Why an online ballot at log ``index`` signed with ``kid`` does not count, or None."""
        if kid in self.added and index < self.added[kid][2]:
            return f"signed with key {kid}, which a roll supplement added only from log entry {self.added[kid][2]}"
        if kid in self.revoked and index >= self.revoked[kid]:
            return f"signed with key {kid}, which a roll supplement revoked from log entry {self.revoked[kid]}"
        return None


def apply_supplements(
    records: Any,
    *,
    estate: str,
    roll: Mapping[str, Any],
    assembly: str,
    trusted: Mapping[str, Mapping[str, Any]],
    log_size: int,
) -> KeyChanges:
    """Check certified supplement records against the roll (id, root, members and their keys) and
    the supervisors' keys, and apply them in order; a record with a problem changes nothing."""
    out = KeyChanges()
    if not isinstance(records, list):
        out.problems.append("supplements must be a list")
        return out
    if not records:  # the usual case: no need to index a whole roll's keys
        return out
    entries = roll.get("entries")
    current: dict[str, set[str]] = {}  # member → its voting and proxy key ids in force
    owner: dict[str, str] = {}  # every key id ever listed → its member
    for entry in entries if isinstance(entries, list) else ():
        if not isinstance(entry, dict) or not isinstance(entry.get("member"), str):
            continue
        kids = current.setdefault(entry["member"], set())
        for key in entry.get("keys") or ():
            try:
                kid = jwk_thumbprint(key["jwk"])
            except (KeyFormatError, KeyError, TypeError):
                continue  # reported by the roll check
            kids.add(kid)
            owner.setdefault(kid, entry["member"])
    required = roll.get("required_signatures")
    previous_from = 0
    seqs: set[int] = set()
    for n, record in enumerate(records):
        where = f"supplement #{n + 1}"
        if not isinstance(record, dict) or set(record) != RECORD_MEMBERS:
            out.problems.append(f"{where}: a supplement record is {{payload, signatures, from}}")
            continue
        payload = record["payload"]
        try:
            validate_supplement_payload(payload)
        except FormatError as exc:
            out.problems.append(f"{where}: {exc}")
            continue
        where = f"supplement #{n + 1} (no. {payload['seq']}, member {payload['member']})"
        start = record["from"]
        bad: list[str] = []
        if not _is_int(start) or start < previous_from or start > log_size:
            bad.append(f"from is {start!r}: it must be a log size between {previous_from} (the supplement before) and {log_size}")
        for name, want in (("estate", estate), ("roll", roll.get("id")), ("roll_root", roll.get("root")), ("assembly", assembly)):
            if payload[name] != want:
                bad.append(f"names {name} {payload[name]!r}, not {want!r}")
        if payload["required_signatures"] != required:
            bad.append(f"requires {payload['required_signatures']} signature(s), the roll {required!r}")
        if payload["seq"] in seqs:
            bad.append(f"repeats no. {payload['seq']}")
        member = payload["member"]
        if member not in current:
            bad.append(f"member {member} is not on the roll")
        added = [jwk_thumbprint(k["jwk"]) for k in payload["add"]]
        for kid in added:
            if kid in owner:
                bad.append(f"adds key {kid}, which is already listed (for {owner[kid]})")
        for kid in payload["revoke"]:
            if kid not in current.get(member, set()):
                bad.append(f"revokes key {kid}, which is not a key of {member} in force")
        valid, sig_problems = check_signatures(payload, record["signatures"], trusted)
        bad.extend(sig_problems)
        if _out_of_kid_order(record["signatures"]):
            bad.append("signatures must be listed in key-id order (code points, ascending)")
        if isinstance(required, int) and len(valid) < required:
            bad.append(f"has {len(valid)} valid supervisor signature(s), {required} required")
        if bad:
            out.problems.extend(f"{where}: {b}" for b in bad)
            continue
        seqs.add(payload["seq"])
        previous_from = start
        for key, kid in zip(payload["add"], added, strict=True):
            owner[kid] = member
            current[member].add(kid)
            out.added[kid] = (member, key["jwk"], start)
        for kid in payload["revoke"]:
            current[member].discard(kid)
            out.revoked[kid] = start
        out.applied += 1
    return out


def _out_of_kid_order(records: Any) -> bool:
    """Whether a signature list breaks the one order every list of a bundle keeps: by key id, in
    code-point order (docs/bundle-format.md §5), as the browser's verifier checks too."""
    if not isinstance(records, list):
        return False
    kids = [r.get("kid") for r in records if isinstance(r, dict)]
    named = [k for k in kids if isinstance(k, str)]
    return len(named) == len(kids) and named != sorted(named)
