"""``ownersvote verify BUNDLE [--receipt R …]``: check an audit bundle offline, from scratch.

Runs with only ``crypto``'s dependencies (``cryptography``, ``rfc8785``, ``msgspec``) and the pure ``tally``
package: no Flask, no database, no network.  It recomputes and checks (docs/bundle-format.md):

* the roll: every entry well formed, the Merkle root, the totals, the supervisors' signatures
  (at least ``required_signatures`` distinct supervisor keys);
* every log entry: canonical ballot bytes, the signature, that the signing key is a voting key
  of the ballot's member on the roll (or, for paper ballots, a server key with a double
  entry and a scan hash), that the ballot names this assembly and this roll;
* at most one counted ballot per member (the last one if the assembly allows replacing);
* the server's keys (version 3: several, each with its validity period): every notice, tree head
  and paper ballot signed by a listed key valid at the object's own time (a rotation: heads before
  it by the old key, after it by the new one; never a retired key after its retirement);
* the Merkle root over the log against the final signed tree head; every tree head's
  signature; that every earlier tree head matches the log's prefix and is consistent with the
  final head (so a history rewritten behind a signed tree head shows);
* every receipt given: its signature and inclusion proof, that its leaf is in the final log;
* every promise of inclusion given (in a version 3 receipt, or alone): the server's signature,
  that its leaf is in the final tree, that the first tree head covering it was signed by its
  deadline, that it was not accepted after the close (a broken promise is evidence against the
  server, and the report says so);
* the tally, recomputed by the tally engine from the roll and the counted ballots alone and
  compared value by value, the reason texts included (derived by docs/tally-format.md's templates);
* the certifications: supervisors' signatures over the tally digest and the final tree head,
  exactly the required number (the server accepts no more, so none can have been dropped);
* the format's strictness: integers that are not booleans, lowercase hex, JWKs with only their
  required members, key and signature lists in key-id order, every listed supervisor key signing
  something, the same ballot bytes under another signature counted as a repeat, no tree head
  before the opening.

It names every failure it finds, exits 1 if there is any (2 if the bundle cannot be read at
all), and prints a one-screen summary on success.
"""

from __future__ import annotations

import argparse
import bisect
import gc
import importlib
import itertools
import json
import multiprocessing
import os
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, TextIO, TypeVar

import msgspec

from . import bundle as bundle_mod
from .ballot import BALLOT_TYPE, ONLINE, PAPER, PAPER_BALLOT_TYPE, Agenda, choice_problems, entry_leaf_data, parse_ballot
from .canonical import canonical_json, loads
from .cli import key_values_joined
from .encoding import hex_decode
from .errors import CanonicalJSONError, CryptoError, EncodingError, FormatError, KeyFormatError, ProofInvalid, SignatureInvalid
from .keys import jwk_thumbprint, public_jwk, verify
from .merkle import MerkleLog, leaf_hash, root_of, verify_consistency, verify_inclusion
from .notice import assembly_summary, validate_notice, verify_notice
from .notice import tally_input as notice_tally_input
from .promise import PROMISE_TYPE, Promise, parse_promise, verify_promise
from .roll import (
    KEY_USES,
    PROXY,
    certification_payload,
    check_roll_order,
    check_signatures,
    checked_entry_bytes,
    format_area,
    parse_area,
    roll_payload,
    tally_digest,
    validate_roll_entry,
)
from .serverkeys import KeySet, ServerKey, parse_key
from .supplement import KeyChanges, apply_supplements
from .treehead import TreeHead, parse_receipt, parse_tree_head, tracking_code, verify_receipt, verify_tree_head

# Check names, in the order the report lists them.
CHECKS = {
    "format": "bundle format",
    "notice": "the signed notice (agenda, window, rules) and what the bundle derives from it",
    "supervisors": "supervisor keys",
    "roll": "roll entries and root",
    "roll-signatures": "roll signatures",
    "supplements": "roll supplements (keys added or revoked after the freeze)",
    "ballot-form": "ballot form (canonical, well formed)",
    "ballot-signature": "ballot signatures",
    "ballot-key": "ballot signed by a voting key of its member",
    "ballot-binding": "ballot names this assembly and roll",
    "ballot-choices": "ballot choices valid for the agenda",
    "duplicate-ballot": "one counted ballot per member",
    "tree-head": "signed tree heads",
    "log-root": "Merkle root of the log vs the final tree head",
    "history": "earlier tree heads match the log (no rewritten history)",
    "consistency": "consistency proofs to the final tree head",
    "receipt": "receipts",
    "promise": "promises of inclusion (a broken one is evidence against the server)",
    "tally": "tally recomputed from the ballots",
    "certification": "certifications of the tally",
}

PARALLEL_THRESHOLD = 4000  # below this, process start-up costs more than it saves
CHUNK = 2500
SHANGHAI = timezone(timedelta(hours=8))


def _is_int(value: Any) -> bool:
    """A JSON integer: Python's bool is an int, but ``true`` is not ``1`` (docs/bundle-format.md §1)."""
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass
class Report:
    failures: list[tuple[str, str]] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict[str, Any])

    def fail(self, check: str, message: str) -> None:
        self.failures.append((check, message))

    @property
    def ok(self) -> bool:
        return not self.failures

    def by_check(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for check, message in self.failures:
            out.setdefault(check, []).append(message)
        return dict(sorted(out.items(), key=lambda kv: list(CHECKS).index(kv[0]) if kv[0] in CHECKS else 99))


# --- work done in worker processes ---------------------------------------------------------
#
# Entries are checked in a process pool (signature checks are independent and CPU-bound).  The
# context — the roll, the log, the voting keys — reaches each worker once, through the pool
# initializer (inherited for free where processes fork), and a task is only a range of roll
# entries plus the log entries signed by those members, so that a worker loads each public
# key once, for the roll check, and finds it cached for the ballot check.  A worker answers
# with hashes and problems only: the main process reads the ballots' contents itself, while the
# pool works (see _read_ballots).

_CTX: dict[str, Any] = {}

#: A roll entry checked: (leaf hash | None, problem | None).
_RollResult = tuple[bytes | None, str | None]
#: A log entry checked: (index, leaf hash | None, whether its ballot is well formed, [(check, message)]).
_LogResult = tuple[int, bytes | None, bool, list[tuple[str, str]]]


def _init_worker(ctx: dict[str, Any]) -> None:
    global _CTX
    _CTX = ctx
    gc.disable()  # see verify_bundle; a worker lives only as long as one verification


def _check_roll_entry(entry: Any) -> _RollResult:
    try:
        validate_roll_entry(entry)
        return leaf_hash(checked_entry_bytes(entry)), None
    except (FormatError, CryptoError) as exc:
        try:
            return leaf_hash(canonical_json(entry)), str(exc)
        except CanonicalJSONError:
            return None, str(exc)


def _check_log_entry(i: int, raw: Any) -> _LogResult:
    """(index, leaf hash | None, whether the ballot parsed as a well-formed ballot, [(check, message)])."""
    ctx = _CTX
    problems: list[tuple[str, str]] = []
    if not isinstance(raw, dict):
        return i, None, False, [("ballot-form", "a log entry is a JSON object")]
    index = raw.get("index")
    if not _is_int(index) or index != i:  # true is not 1 (docs/bundle-format.md §1)
        problems.append(("format", f"log entry at position {i} says index {json.dumps(index)}"))
    entry = {k: v for k, v in raw.items() if k != "index"}
    try:
        leaf = leaf_hash(entry_leaf_data(entry))
    except (FormatError, CanonicalJSONError) as exc:
        problems.append(("ballot-form", str(exc)))
        try:
            leaf = leaf_hash(canonical_json(entry))
        except CanonicalJSONError:
            leaf = None
        return i, leaf, False, problems
    kind, kid = entry["kind"], entry["kid"]
    jwk = owner = None
    if kind == ONLINE:
        if kid in ctx["voting"]:
            owner, jwk, _use = ctx["voting"][kid]
        else:
            problems.append(("ballot-key", f"signed with key {kid!r}, which is not a voting or proxy key on the roll"))
    elif kid in ctx["server_keys"]:
        jwk = ctx["server_keys"][kid]  # its period is checked against the tree heads (_check_paper_keys)
    else:
        problems.append(("ballot-key", f"paper ballot signed with key {kid!r}, not a server key of the log"))
    ballot = None
    try:
        ballot = parse_ballot(entry["ballot"])
    except FormatError as exc:
        problems.append(("ballot-form", str(exc)))
    if jwk is not None:
        try:
            verify(jwk, entry["ballot"].encode("utf-8"), entry["sig"])
        except (SignatureInvalid, KeyFormatError) as exc:
            problems.append(("ballot-signature", f"signature by key {kid} does not verify ({exc})"))
    if ballot is None:
        return i, leaf, False, problems
    expected = PAPER_BALLOT_TYPE if kind == PAPER else BALLOT_TYPE
    if ballot["type"] != expected:
        problems.append(("ballot-form", f"a {kind} entry holds a {ballot['type']}"))
    member = ballot["member"]
    if owner is not None and member != owner:
        problems.append(("ballot-key", f"signed with a voting key of {owner}, but the ballot is for {member}"))
    if ballot["assembly"] != ctx["assembly"]:
        problems.append(("ballot-binding", f"ballot is for assembly {ballot['assembly']!r}, not {ctx['assembly']!r}"))
    if ballot["notice"] != ctx["notice"]:
        problems.append(
            (
                "ballot-binding",
                f"ballot answers notice {ballot['notice'][:16]}…, not this assembly's signed notice {str(ctx['notice'])[:16]}…",
            )
        )
    if member not in ctx["members"]:
        problems.append(("ballot-key", f"ballot is for {member}, who is not on the roll"))
    for p in choice_problems(ballot["choices"], ctx["agenda"], strict=ballot["type"] == BALLOT_TYPE):
        problems.append(("ballot-choices", p))
    return i, leaf, True, problems


def _work(task: tuple[int, int, Sequence[int]]) -> tuple[list[_RollResult], list[_LogResult]]:
    start, end, log_indices = task
    roll, log = _CTX["roll_entries"], _CTX["log_entries"]
    return ([_check_roll_entry(roll[n]) for n in range(start, end)], [_check_log_entry(i, log[i]) for i in log_indices])


_T = TypeVar("_T")


def _run_entries(
    ctx: dict[str, Any], member_index: dict[str, int], jobs: int | None, beside: Callable[[], _T]
) -> tuple[list[_RollResult], list[_LogResult], _T]:
    """Check every roll and log entry, in a pool when there are enough of them, and run ``beside``
    in this process meanwhile (after the entries when there is no pool)."""
    roll, log = ctx["roll_entries"], ctx["log_entries"]
    jobs = jobs or os.cpu_count() or 1
    if len(roll) + len(log) < PARALLEL_THRESHOLD or jobs < 2:
        _init_worker(ctx)
        try:
            rolled, logged = _work((0, len(roll), range(len(log))))
        finally:
            _init_worker({})
        return rolled, logged, beside()
    # Group log entries with the roll chunk of the member whose key signed them.
    n_chunks = max(1, -(-len(roll) // CHUNK))
    groups: list[list[int]] = [[] for _ in range(n_chunks)]
    voting = ctx["voting"]
    for i, raw in enumerate(log):
        kid = raw.get("kid") if isinstance(raw, dict) else None
        owner = voting.get(kid) if isinstance(kid, str) else None
        pos = member_index.get(owner[0]) if owner else None
        groups[(pos // CHUNK) if pos is not None else i % n_chunks].append(i)
    tasks = [(c * CHUNK, min(len(roll), (c + 1) * CHUNK), groups[c]) for c in range(n_chunks)]
    try:
        context = multiprocessing.get_context("fork")
    except ValueError:  # no fork on this platform: the context is pickled once per worker
        context = None
    roll_results: list[_RollResult] = []
    log_results: dict[int, _LogResult] = {}  # every log entry is in exactly one task
    gc.freeze()  # forked workers then share the bundle's pages instead of copying them
    try:
        with ProcessPoolExecutor(jobs, mp_context=context, initializer=_init_worker, initargs=(ctx,)) as pool:
            futures = [pool.submit(_work, task) for task in tasks]
            aside = beside()  # while the workers check signatures
            for future in futures:
                rolled, logged = future.result()
                roll_results.extend(rolled)
                for result in logged:
                    log_results[result[0]] = result
    finally:
        gc.unfreeze()
    return roll_results, [log_results[i] for i in range(len(log))], aside


# --- the verifier --------------------------------------------------------------------------


def _ms(ms: Any) -> str:
    if not isinstance(ms, int) or isinstance(ms, bool):
        return str(ms)
    return datetime.fromtimestamp(ms / 1000, SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")


_TALLY_WORDS = {"says": "bundle says", "theirs": "recomputed", "ours": "the bundle's tally", "other": "the recomputed one"}
_NOTICE_WORDS = {"says": "the bundle says", "theirs": "the signed notice says", "ours": "the bundle", "other": "the signed notice"}


def _diff(stored: Any, recomputed: Any, path: str, out: list[str], words: Mapping[str, str] = _TALLY_WORDS) -> None:
    """Name every differing value (numbers, flags, texts) between two documents."""
    if isinstance(stored, dict) and isinstance(recomputed, dict):
        for key in sorted(set(stored) | set(recomputed)):
            sub = f"{path}.{key}"
            if key not in stored:
                out.append(
                    f"{sub}: missing from {words['ours']} ({words['theirs']}: {json.dumps(recomputed[key], ensure_ascii=False)[:80]})"
                )
            elif key not in recomputed:
                out.append(f"{sub}: in {words['ours']} but not in {words['other']}")
            else:
                _diff(stored[key], recomputed[key], sub, out, words)
    elif isinstance(stored, list) and isinstance(recomputed, list) and len(stored) == len(recomputed):
        for i, (a, b) in enumerate(zip(stored, recomputed, strict=True)):
            _diff(a, b, f"{path}[{i}]", out, words)
    elif stored != recomputed or type(stored) is not type(recomputed):
        a = json.dumps(stored, ensure_ascii=False)
        b = json.dumps(recomputed, ensure_ascii=False)
        if len(a) > 60 or len(b) > 60:
            out.append(f"{path}: {words['ours']} differs from {words['other']}")
        else:
            out.append(f"{path}: {words['says']} {a}, {words['theirs']} {b}")


def verify_bundle(
    bundle: Any,
    receipts: Sequence[tuple[str, Any]] = (),
    *,
    jobs: int | None = None,
    pin_server: str | Iterable[str] | None = None,
    pin_supervisors: Iterable[str] = (),
    require_certification: bool = True,
) -> Report:
    """Check everything; return a :class:`Report` listing every failure (never raises on bad input).

    ``require_certification=False`` checks a bundle whose certification is still under way (the
    server checks its own bundle before it signs a tally and before it accepts each
    certification): every signature present is checked, but fewer than ``required_signatures``
    is not a failure.  ``pin_server``: the server key id(s) the installation published; every
    server key the bundle lists must be one of them."""
    report = Report()
    pins = {pin_server} if isinstance(pin_server, str) else set(pin_server or ())
    try:
        bundle_mod.check_header(bundle)
    except FormatError as exc:
        report.fail("format", str(exc))
        return report
    # The bundle is millions of small objects without reference cycles: letting the cyclic
    # garbage collector walk them again and again (and, in forked workers, touch every page of
    # the inherited heap) costs more than all the signature checks.  Nothing here makes cycles.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        _verify(bundle, receipts, report, jobs, pins, set(pin_supervisors), require_certification)
    except _Stop:
        pass
    finally:
        if was_enabled:
            gc.enable()
    return report


class _Stop(Exception):
    """The bundle is too broken in structure to go on checking."""


def _need(report: Report, ok: bool, message: str) -> None:
    if not ok:
        report.fail("format", message)
        raise _Stop


def _verify(
    bundle: dict[str, Any],
    receipts: Sequence[tuple[str, Any]],
    report: Report,
    jobs: int | None,
    pin_server: set[str],
    pin_supervisors: set[str],
    require_certification: bool = True,
) -> None:
    facts = report.facts
    timings = facts.setdefault("timings", {})
    clock = [time.perf_counter()]

    def lap(name: str) -> None:
        now = time.perf_counter()
        timings[name] = round(now - clock[0], 4)
        clock[0] = now

    roll, log, notice = bundle["roll"], bundle["log"], bundle["notice"]
    _need(report, isinstance(roll, dict) and isinstance(roll.get("entries"), list), "roll.entries must be a list")
    _need(report, isinstance(log, dict) and isinstance(log.get("entries"), list), "log.entries must be a list")
    _need(report, isinstance(log.get("tree_heads"), list) and log["tree_heads"], "log.tree_heads must list at least the final tree head")
    _members(report, "format", "log", log, bundle_mod.log_members(bundle["version"]))
    _members(
        report, "roll", "roll", roll, {"id", "frozen_at", "root", "size", "area", "heads", "required_signatures", "signatures", "entries"}
    )
    log_id = log.get("id")

    trusted = _check_supervisors(bundle["supervisors"], pin_supervisors, report)

    # -- server keys ----------------------------------------------------------------------------
    server_keys = _server_keys(log, bundle["version"], pin_server, report)
    facts["server_keys"] = sorted((k.not_before, k.kid, k.retired_at) for k in server_keys.keys.values()) if server_keys else []
    facts["server_kid"] = ", ".join(server_keys.keys) if server_keys else None
    signing: set[str] = set()  # the server keys whose signatures the bundle holds

    # -- the notice: what was asked, under which rules; everything else is bound to its digest ---
    try:
        if server_keys is None:
            raise FormatError("cannot be checked without a valid server key")
        validate_notice(notice)
        signing.add(notice["kid"])
        notice_sha = verify_notice(notice, server_keys.jwk_at(notice["kid"], notice["published_at"]))
    except (FormatError, SignatureInvalid, KeyFormatError) as exc:
        report.fail("notice", f"the notice: {exc}")
        raise _Stop from None
    facts.update(
        notice_sha256=notice_sha,
        estate=notice["estate"],
        assembly={"id": notice["assembly"], "name": notice["title"]},
        synthetic=notice["synthetic"],
        replace_allowed=notice["replace_allowed"],
        required=notice["rules"]["required_signatures"],
        opens=notice["opens"],
        closes=notice["closes"],
        counting_rule=notice["rules"]["counting_rule"],
    )
    derived = {
        "synthetic": notice["synthetic"],
        "estate": notice["estate"],
        "assembly": assembly_summary(notice),
        "tally_input": notice_tally_input(notice),
    }
    for section, expected in derived.items():
        differences: list[str] = []
        _diff(bundle[section], expected, section, differences, _NOTICE_WORDS)
        for d in differences:
            report.fail("notice", d)
    if log_id != notice["assembly"]:
        report.fail("notice", f"log.id is {log_id!r}, but the notice is for assembly {notice['assembly']!r}")
    assembly_id = notice["assembly"]
    replace_allowed = notice["replace_allowed"]
    items = derived["tally_input"]["items"]

    entries = roll["entries"]
    log_entries = log["entries"]
    # Voting keys from the roll (cheap: thumbprints only); the workers check the keys themselves.
    voting: dict[str, tuple[str, dict[str, Any], str]] = {}  # kid → (member, jwk, use)
    members: dict[str, int] = {}
    for pos, entry in enumerate(entries):
        if not isinstance(entry, dict) or not isinstance(entry.get("member"), str):
            continue
        members.setdefault(entry["member"], pos)
        keys = entry.get("keys")
        for key in keys if isinstance(keys, list) else ():
            try:
                if key.get("use") not in KEY_USES:
                    continue
                kid = jwk_thumbprint(key["jwk"])
            except (AttributeError, KeyError, TypeError, KeyFormatError):
                continue  # reported by the roll check
            if kid in voting and voting[kid][0] != entry["member"]:
                report.fail("roll", f"key {kid} is registered for two members ({voting[kid][0]} and {entry['member']})")
            voting[kid] = (entry["member"], key["jwk"], key["use"])
    changes = _supplement_changes(bundle, notice, trusted, len(log_entries), voting, report)
    ctx = {
        "roll_entries": entries,
        "log_entries": log_entries,
        "voting": voting,
        "members": members,
        "server_keys": {k.kid: k.jwk for k in server_keys.keys.values()} if server_keys else {},
        "assembly": assembly_id,
        "notice": notice_sha,
        "items": items,
        "agenda": Agenda(items),
    }
    lap("prepare")

    def beside() -> tuple[list[dict[str, Any] | None], _Tally | None, float]:
        started = time.perf_counter()
        ballots = _read_ballots(log_entries)
        speculated = _speculate(ballots, replace_allowed, roll, derived["tally_input"])
        return ballots, speculated, time.perf_counter() - started

    roll_results, log_results, (ballots, speculated, beside_s) = _run_entries(ctx, members, jobs, beside)
    lap("entries")
    timings["of which beside the pool: ballots read, tally"] = round(beside_s, 4)

    roll_ok = _check_roll(notice["estate"]["id"], roll, roll_results, trusted, report)
    root_hex = facts["roll_root"]

    # -- log entries ----------------------------------------------------------------------------
    ballots_by_member: dict[str, list[int]] = {}
    leaves: list[bytes] = []
    first_index_of_leaf: dict[bytes, int] = {}
    first_index_of_ballot: dict[str, int] = {}
    counts = {"online": 0, "paper": 0, "valid": 0, "proxy": 0}
    valid_choices: dict[int, dict[str, Any]] = {}
    for i, leaf, parsed, problems in log_results:
        # A worker found the ballot well formed (strictly parsed and canonical): the main
        # process's own reading of the same text is then the same value.
        ballot = ballots[i] if parsed else None
        assert not parsed or ballot is not None
        member, choices, ballot_root = (
            (ballot["member"], ballot["choices"], ballot["roll_root"]) if ballot is not None else (None, None, None)
        )
        if leaf is None:
            leaf = leaf_hash(b"")  # unreadable entry: keeps positions; the root check will fail
        elif leaf in first_index_of_leaf:
            problems.append(("duplicate-ballot", f"repeats log entry {first_index_of_leaf[leaf]} byte for byte"))
        else:
            first_index_of_leaf[leaf] = i
            ballot_text = log_entries[i].get("ballot") if isinstance(log_entries[i], dict) else None
            if isinstance(ballot_text, str) and ballot_text in first_index_of_ballot:
                # The nonce makes every ballot's bytes unique: the same bytes again, whatever the
                # signature (ECDSA signs the same bytes many ways), are a repeat, never a new ballot.
                problems.append(
                    ("duplicate-ballot", f"repeats the ballot of log entry {first_index_of_ballot[ballot_text]} with another signature")
                )
            elif isinstance(ballot_text, str):
                first_index_of_ballot[ballot_text] = i
        leaves.append(leaf)
        kind = log_entries[i].get("kind") if isinstance(log_entries[i], dict) else None
        if kind in counts:
            counts[kind] += 1
        _supplement_ballot_check(changes, log_entries[i], i, problems)
        if ballot_root is not None and ballot_root != root_hex:
            problems.append(("ballot-binding", f"ballot names roll root {ballot_root[:16]}…, not this roll's {root_hex[:16]}…"))
        for check, message in problems:
            who = f" ({member})" if member is not None else ""
            report.fail(check, f"log entry {i}{who}: {message}")
        # A parsed ballot always names its member (validate_ballot), so member is set with choices.
        if choices is not None and member is not None and not problems:
            counts["valid"] += 1
            valid_choices[i] = choices
            signer = voting.get(log_entries[i].get("kid"))
            if kind == "online" and signer is not None and signer[2] == PROXY:
                counts["proxy"] += 1
            ballots_by_member.setdefault(member, []).append(i)
    counted: list[tuple[int, str]] = []  # (log index, member)
    replaced = 0
    for member, indices in ballots_by_member.items():
        if len(indices) > 1:
            if replace_allowed:
                replaced += len(indices) - 1
            else:
                report.fail(
                    "duplicate-ballot",
                    f"member {member} has {len(indices)} ballots in the log (entries "
                    f"{', '.join(map(str, indices))}) and this assembly does not allow replacing a ballot",
                )
        chosen = indices[-1] if replace_allowed else indices[0]
        counted.append((chosen, member))
    counted.sort()
    counted_ballots = [(member, valid_choices[i]) for i, member in counted]
    facts.update(
        log_size=len(log_entries),
        online=counts["online"],
        paper=counts["paper"],
        proxy=counts["proxy"],
        valid=counts["valid"],
        counted=len(counted_ballots),
        replaced=replaced,
    )

    lap("roll+ballots")
    # -- the Merkle log and its tree heads ---------------------------------------------------------
    tree = MerkleLog()
    tree.extend_leaf_hashes(leaves)
    n = tree.size
    log_root = tree.root()
    heads: list[TreeHead | None] = []
    records = log["tree_heads"]
    for k, record in enumerate(records):
        label = f"tree head #{k}"
        if not isinstance(record, dict) or set(record) != {"sth", "consistency_to_final"}:
            report.fail("tree-head", f"{label}: must be {{sth, consistency_to_final}}")
            heads.append(None)
            continue
        if server_keys is None:
            heads.append(None)
            continue
        if isinstance(record["sth"], dict) and isinstance(record["sth"].get("kid"), str):
            signing.add(record["sth"]["kid"])
        try:
            checked = _verify_head(record["sth"], server_keys, log_id)
        except (FormatError, SignatureInvalid, KeyFormatError) as exc:
            report.fail("tree-head", f"{label}: {exc}")
            heads.append(None)
            continue
        if checked.notice != notice_sha:
            report.fail(
                "tree-head",
                f"{label} (no. {checked.n}) is signed for notice {checked.notice[:16]}…, not this assembly's {notice_sha[:16]}…",
            )
        heads.append(checked)
    # The chain of tree heads: numbered 0, 1, 2, … without a gap or a repeat, the final one last
    # and only there, signed at or after the close.
    for k, head in enumerate(heads):
        if head is not None and head.timestamp < notice["opens"]:
            report.fail(
                "tree-head", f"tree head no. {head.n} was signed {_ms(head.timestamp)}, before voting opened ({_ms(notice['opens'])})"
            )
        if head is not None and head.n != k:
            what = "repeats" if any(h is not None and h.n == head.n for h in heads[:k]) else "breaks the sequence"
            report.fail("tree-head", f"tree head at position {k} is no. {head.n}: it {what} (a head was dropped, repeated or reordered)")
    finals = [k for k, head in enumerate(heads) if head is not None and head.final]
    final = heads[-1] if heads and heads[-1] is not None and heads[-1].final else None
    if len(finals) != 1 or finals[0] != len(heads) - 1:
        report.fail(
            "tree-head",
            f"the log must end with exactly one final tree head; found {len(finals)} marked final"
            + (f" at position(s) {', '.join(map(str, finals))}" if finals else ""),
        )
    if final is not None:
        if final.timestamp < notice["closes"]:
            report.fail(
                "tree-head", f"the final tree head was signed {_ms(final.timestamp)}, before voting closed ({_ms(notice['closes'])})"
            )
        if final.size != n or final.root != log_root:
            report.fail(
                "log-root",
                f"the Merkle root over the log's {n} entries is {log_root.hex()}; the final signed tree head "
                f"says size {final.size}, root {final.root.hex()}",
            )
        if isinstance(records[-1], dict) and records[-1].get("consistency_to_final") != []:
            report.fail("consistency", "the final tree head's consistency_to_final must be empty")
    previous = None
    for record, head in zip(records[:-1], heads[:-1], strict=True):  # one head (or None) per record
        if head is None:
            continue
        label = f"tree head no. {head.n} (size {head.size}, signed {_ms(head.timestamp)})"
        if previous is not None and (head.size < previous.size or head.timestamp < previous.timestamp):
            report.fail("tree-head", f"{label} goes back in size or time from the one before it")
        previous = head
        if head.timestamp > notice["closes"] and not head.final:
            report.fail("tree-head", f"{label} was signed after voting closed but is not the final head")
        if head.size > n:
            report.fail("history", f"{label} covers more entries than the log holds ({n}): entries were dropped")
        elif tree.root(head.size) != head.root:
            report.fail(
                "history", f"{label} does not match the log's first {head.size} entries: the log was rewritten behind a signed tree head"
            )
        if final is not None:
            try:
                listed = record["consistency_to_final"]
                if not isinstance(listed, list):
                    raise TypeError("consistency_to_final must be a list of hashes")
                proof = [hex_decode(h, what="consistency proof hash") for h in listed]
                verify_consistency(head.size, final.size, head.root, final.root, proof)
            except (EncodingError, TypeError, ProofInvalid) as exc:
                report.fail("consistency", f"{label} is not proven consistent with the final tree head: {exc}")
        if final is not None and (head.size > final.size or head.timestamp > final.timestamp):
            report.fail("tree-head", f"{label} comes after the final tree head")
    facts.update(log_root=log_root.hex(), tree_heads=len(records), final_timestamp=final.timestamp if final else None)
    if server_keys is not None:
        signing |= _check_paper_keys(log_entries, heads, server_keys, notice["opens"], report)

    # -- receipts and promises ------------------------------------------------------------------
    # A voter keeps a receipt (version 2, or 3 with the promise the ballot was answered with) or
    # only the promise (docs/bundle-format.md §9, §9a).
    promises = _Promises(report, heads, final, leaves, first_index_of_leaf, notice["closes"])
    for name, receipt in receipts:
        bare = isinstance(receipt, dict) and receipt.get("type") == PROMISE_TYPE
        if server_keys is None:
            report.fail("promise" if bare else "receipt", f"{name}: cannot be checked without a valid server key")
            continue
        if bare:
            # Signed by a listed server key valid when the ballot was accepted.
            try:
                promise = verify_promise(receipt, server_keys.jwk_at(parse_promise(receipt).kid, receipt["accepted"]), log_id)
            except (FormatError, SignatureInvalid, KeyFormatError) as exc:
                report.fail("promise", f"promise {name}: {exc}")
                continue
            signing.add(promise.kid)
            promises.check(name, promise)
            continue
        try:
            shape = parse_receipt(receipt)
            # Each signature by a listed server key valid at its object's time: the tree head's
            # timestamp, the promise's acceptance (a key may have been rotated in between).
            promise_jwk = None if shape.promise is None else server_keys.jwk_at(shape.promise.kid, shape.promise.accepted)
            r = verify_receipt(receipt, server_keys.jwk_at(shape.sth.kid, shape.sth.timestamp), log_id, promise_jwk=promise_jwk)
        except (FormatError, SignatureInvalid, ProofInvalid, KeyFormatError) as exc:
            report.fail("receipt", f"{name}: {exc}")
            continue
        if r.promise is not None:
            signing.add(r.promise.kid)
            promises.check(name, r.promise, r.index)
        code = tracking_code(r.leaf_hash)
        if r.index >= n or leaves[r.index] != r.leaf_hash:
            report.fail(
                "receipt",
                f"{name} (tracking code {code}): the ballot it acknowledges is not at entry {r.index} "
                "of the final log (dropped or changed)",
            )
            continue
        if r.sth.size > n or tree.root(r.sth.size) != r.sth.root:
            report.fail(
                "receipt",
                f"{name} (tracking code {code}): its tree head (size {r.sth.size}) does not match the "
                "final log: history was rewritten after the receipt was issued",
            )
            continue
        if final is not None:
            try:
                verify_inclusion(r.index, final.size, r.leaf_hash, tree.inclusion_proof(r.index, final.size), final.root)
            except (ProofInvalid, CryptoError) as exc:
                report.fail("receipt", f"{name} (tracking code {code}): not included in the final tree: {exc}")
                continue
        facts.setdefault("receipts", []).append(code)
    if server_keys is not None:  # (after the receipts and promises: a key may have signed only promises)
        _check_every_server_key_signs(report, server_keys, signing, notice["opens"], notice["closes"])

    lap("log+receipts")
    # -- the tally, recomputed --------------------------------------------------------------------
    stored_tally = bundle["tally"]
    recomputed = None
    if roll_ok and speculated is not None and speculated.counted == counted:
        # The ballots the checks count are the ones the tally beside the pool assumed.
        recomputed = speculated.result
    elif roll_ok:
        try:
            recomputed = _recount(roll, derived["tally_input"], counted_ballots)
        except Exception as exc:  # the engine's TallyInputError, or anything a hostile bundle provokes
            report.fail("tally", f"the tally cannot be recomputed from the bundle: {exc}")
    else:
        report.fail("tally", "the tally cannot be recomputed because the roll is malformed")
    if recomputed is not None:
        mismatches: list[str] = []
        _diff(stored_tally, recomputed, "tally", mismatches)
        for d in mismatches:
            report.fail("tally", d)
        facts["tally"] = recomputed

    lap("tally")
    # -- certifications -------------------------------------------------------------------------
    cert = bundle["certification"]
    if not isinstance(cert, dict):
        report.fail("certification", "certification must be an object")
    else:
        _members(report, "certification", "certification", cert, {"tally_sha256", "required_signatures", "signatures"})
        try:
            digest = tally_digest(stored_tally)
        except CanonicalJSONError as exc:
            digest = ""
            report.fail("certification", f"the bundle's tally cannot be digested: {exc}")
        if cert.get("tally_sha256") != digest:
            report.fail("certification", f"certification.tally_sha256 is {cert.get('tally_sha256')!r}, the tally's digest is {digest}")
        signed_required = notice["rules"]["required_signatures"]
        if cert.get("required_signatures") != signed_required:
            report.fail(
                "certification",
                f"certification.required_signatures is {cert.get('required_signatures')!r}, but the signed "
                f"notice requires {signed_required} supervisor signature(s)",
            )
        size = final.size if final else n
        croot = final.root if final else log_root
        payload = certification_payload(assembly_id, notice_sha, root_hex, size, croot, digest)
        valid, required = _check_threshold(
            report,
            "certification",
            "certification",
            {**cert, "required_signatures": signed_required},
            payload,
            trusted,
            "tally certification",
            "the tally has {n} valid certification(s), {required} required by the signed notice" if require_certification else None,
        )
        made = cert.get("signatures")
        if isinstance(made, list) and len(made) > signed_required:
            report.fail(
                "certification",
                f"the bundle carries {len(made)} certifications; the server accepts no more than the notice's "
                f"required_signatures ({signed_required}), so a bundle carries exactly the certifications made",
            )
        facts.update(certifiers=valid, cert_required=required, tally_sha256=digest)
    _check_every_key_signs(report, trusted, roll.get("signatures"), cert.get("signatures") if isinstance(cert, dict) else None)
    lap("certification")


class _Promises:
    """Promises of inclusion checked against the final log (docs/bundle-format.md §9a): per
    promise, one dict lookup of its leaf and one bisection over the tree heads — no work per leaf.

    A promise the server signed is evidence: if its leaf is missing from the final tree, or the
    first tree head covering it was signed after its deadline, the report says so in words a
    voter can take to the supervisors."""

    def __init__(
        self,
        report: Report,
        heads: Sequence[TreeHead | None],
        final: TreeHead | None,
        leaves: Sequence[bytes],
        index_of_leaf: Mapping[bytes, int],
        closes: int,
    ) -> None:
        self.report = report
        self.all_heads = heads
        self.heads: list[TreeHead] = []  # the valid ones (the others are reported), once needed
        self.reach: list[int] = []
        self.final = final
        self.size = final.size if final is not None else len(leaves)
        self.leaves = leaves
        self.index_of_leaf = index_of_leaf
        self.closes = closes

    def covering(self, index: int) -> TreeHead | None:
        """The first signed tree head (in the bundle's order) whose size exceeds ``index``."""
        if not self.heads:
            self.heads = [h for h in self.all_heads if h is not None]
            # reach[k]: the largest size among the first k+1 heads, so the first head covering
            # leaf i is at the first k whose reach exceeds i, even if a (reported) head went back.
            self.reach = list(itertools.accumulate((h.size for h in self.heads), max))
        k = bisect.bisect_right(self.reach, index)
        return self.heads[k] if k < len(self.heads) else None

    def check(self, name: str, promise: Promise, index: int | None = None) -> None:
        """``index``: where the receipt carrying the promise says its leaf is (None: look it up)."""
        code = tracking_code(promise.leaf_hash)
        label = f"promise {name} (tracking code {code})"
        promised = f"the server promised to include leaf {promise.leaf_hash.hex()} by {_ms_exact(promise.deadline)} (UTC+8)"
        evidence = "this signed promise is evidence against the server"
        kept = True
        if index is None or not 0 <= index < len(self.leaves) or self.leaves[index] != promise.leaf_hash:
            index = self.index_of_leaf.get(promise.leaf_hash)
        limit, after = self.closes, "voting closed"
        if self.final is not None and self.final.timestamp < limit:
            limit, after = self.final.timestamp, "the final tree head was signed"
        if promise.accepted > limit:
            self.report.fail(
                "promise",
                f"{label}: suspicious — the server signed that it accepted this ballot {_ms_exact(promise.accepted)} (UTC+8), "
                f"after {after} ({_ms_exact(limit)} UTC+8): it should have refused it; keep this signed promise as evidence",
            )
            kept = False
        if index is None or index >= self.size:
            self.report.fail("promise", f"{label}: {promised}, and the final tree does not contain it — {evidence}")
            return
        head = self.covering(index)
        if head is None:
            self.report.fail("promise", f"{label}: {promised}, and no signed tree head covers leaf {index} — {evidence}")
            return
        if head.timestamp > promise.deadline:
            self.report.fail(
                "promise",
                f"{label}: {promised}, but the first signed tree head that covers it (no. {head.n}, size {head.size}) was "
                f"signed {_ms_exact(head.timestamp)} (UTC+8), {_duration(head.timestamp - promise.deadline)} late — a broken "
                f"promise (late inclusion): {evidence}",
            )
            kept = False
        elif kept and promise.accepted > head.timestamp:
            self.report.fail(
                "promise",
                f"{label}: suspicious — the server signed that it accepted this ballot {_ms_exact(promise.accepted)} (UTC+8), after "
                f"tree head no. {head.n}, which already covers it, was signed ({_ms_exact(head.timestamp)} UTC+8): the server's signed "
                "times contradict each other",
            )
            kept = False
        if kept:
            self.report.facts.setdefault("promises", []).append(code)


def _ms_exact(ms: int) -> str:
    """A time to the millisecond when it has any (a deadline missed by 1 ms is still missed)."""
    return _ms(ms) + (f".{ms % 1000:03d}" if ms % 1000 else "")


def _duration(ms: int) -> str:
    seconds = ms / 1000
    if seconds < 120:
        return f"{seconds:.3g} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


@dataclass(frozen=True)
class _Tally:
    """The tally recomputed beside the pool, from the ballots it assumed counted."""

    counted: list[tuple[int, str]]  # (log index, member)
    result: dict[str, Any]


def _recount(roll: Mapping[str, Any], tally_input: Mapping[str, Any], counted: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    """The tally engine's output document for the roll, the agenda and the counted (member, choices)."""
    import tally as tally_engine

    return tally_engine.tally_document(bundle_mod.tally_document({"roll": roll, "tally_input": tally_input}, counted))


def _read_ballots(log_entries: Sequence[Any]) -> list[dict[str, Any] | None]:
    """Each log entry's ballot as a dict with a str member and dict choices, or None: read with
    a plain JSON parser (msgspec's, twice as quick as the standard library's here).  Whether a
    ballot is well formed and may count is the workers' finding; where it is, the strict parser
    read this same value from this same text."""
    out: list[dict[str, Any] | None] = []
    decode = msgspec.json.decode
    for raw in log_entries:
        text = raw.get("ballot") if isinstance(raw, dict) else None
        try:
            ballot = decode(text) if isinstance(text, str) else None
        except (msgspec.DecodeError, RecursionError):
            ballot = None
        ok = isinstance(ballot, dict) and isinstance(ballot.get("member"), str) and isinstance(ballot.get("choices"), dict)
        out.append(ballot if ok else None)
    return out


def _speculate(
    ballots: Sequence[dict[str, Any] | None], replace_allowed: bool, roll: Mapping[str, Any], tally_input: Mapping[str, Any]
) -> _Tally | None:
    """The tally as it will be if every readable ballot counts (the usual verdict on a bundle),
    computed while the pool checks the signatures; used only if the checks count exactly these
    ballots (see _verify), so the result is the one computed after them."""
    by_member: dict[str, list[int]] = {}
    for i, ballot in enumerate(ballots):
        if ballot is not None:
            by_member.setdefault(ballot["member"], []).append(i)
    counted = sorted((indices[-1] if replace_allowed else indices[0], member) for member, indices in by_member.items())
    try:
        result = _recount(roll, tally_input, [(member, ballot["choices"]) for i, member in counted if (ballot := ballots[i]) is not None])
    except Exception:  # the checks after the pool say what is wrong, and the tally is tried again
        return None
    return _Tally(counted, result)


def _server_keys(log: Mapping[str, Any], version: int, pins: set[str], report: Report) -> KeySet | None:
    """The keys the server signed with: version 2 names one (``log.server_key``, no period),
    version 3 lists them with their periods (``log.server_keys``, in key-id order, each once).
    With pins (``--server-key``), a key that is not pinned is not trusted."""
    keys: list[ServerKey] = []
    if version == 2:
        sk = log.get("server_key")
        try:
            if not isinstance(sk, dict) or set(sk) != {"kid", "jwk"}:
                raise FormatError("log.server_key must be {kid, jwk}")
            keys.append(parse_key({**sk, "not_before": 0, "retired_at": None}))
        except FormatError as exc:
            report.fail("tree-head", f"server key: {str(exc).replace('a server key is', 'log.server_key is')}")
    else:
        records = log.get("server_keys")
        if not isinstance(records, list) or not records:
            report.fail("tree-head", "log.server_keys must list the server's keys (at least one)")
            records = []
        for n, record in enumerate(records):
            try:
                key = parse_key(record)
            except FormatError as exc:
                report.fail("tree-head", f"server key #{n + 1}: {exc}")
                continue
            if any(k.kid == key.kid for k in keys):
                report.fail("tree-head", f"server key #{n + 1}: key {key.kid} is listed twice")
                continue
            keys.append(key)
        if _out_of_order(records):
            report.fail("tree-head", "log.server_keys must be listed in key-id order (code points, ascending)")
    if pins:
        several = "one of the keys" if len(pins) > 1 else "the key"
        for key in [k for k in keys if k.kid not in pins]:
            report.fail(
                "tree-head", f"the bundle's server key {key.kid} is not {several} given with --server-key ({', '.join(sorted(pins))})"
            )
            keys.remove(key)
    return KeySet.of(keys) if keys else None


def _verify_head(obj: Any, keys: KeySet, log_id: Any) -> TreeHead:
    """A tree head's shape, its log, and its signature by a server key valid at its timestamp."""
    head = parse_tree_head(obj)
    return verify_tree_head(obj, keys.jwk_at(head.kid, head.timestamp), log_id)


def _check_paper_keys(log_entries: Sequence[Any], heads: Sequence[TreeHead | None], keys: KeySet, opens: int, report: Report) -> set[str]:
    """A paper ballot carries no time: it was signed between the opening and the tree head that
    first covered it, so its server key must have been valid at some instant of that interval.
    Returns the server keys that signed paper ballots."""
    signed: set[str] = set()
    covering = sorted((h.size, h.timestamp) for h in heads if h is not None)
    for i, raw in enumerate(log_entries):
        if not isinstance(raw, dict) or raw.get("kind") != PAPER or raw.get("kid") not in keys:
            continue
        key = keys.key(raw["kid"])
        signed.add(key.kid)
        cover = next((ts for size, ts in covering if size > i), None)
        if cover is not None and not key.valid_during(opens, cover):
            report.fail(
                "ballot-key",
                f"log entry {i}: paper ballot signed with server key {key.kid}, which was not valid between the opening "
                f"({_ms(opens)}) and the tree head that first covers it ({_ms(cover)}): its period is {key.period()}",
            )
    return signed


def _check_every_server_key_signs(report: Report, keys: KeySet, signing: set[str], opens: int, closes: int) -> None:
    """A listed server key must sign something in the bundle (the notice, a tree head, a paper
    ballot) or a promise of the receipts and promises checked with it, or else have been valid
    while voting was open: promises are not in the bundle (their times would tell who voted when),
    and a key rotated in during the vote may have signed only promises of inclusion."""
    for kid, key in keys.keys.items():
        if kid not in signing and not key.valid_during(opens, closes):
            report.fail(
                "tree-head",
                f"server key {kid} is listed but signs nothing in the bundle, and was not valid while voting was open "
                f"({_ms(opens)} – {_ms(closes)}), so it signed no promise either: its period is {key.period()}",
            )


def _supplement_changes(
    bundle: Mapping[str, Any],
    notice: Mapping[str, Any],
    trusted: Mapping[str, dict[str, Any]],
    log_size: int,
    voting: dict[str, tuple[str, dict[str, Any], str]],
    report: Report,
) -> KeyChanges:
    """The roll's certified supplements (crypto.supplement), checked and applied in order: their
    added keys join ``voting`` (their ballots are then judged by position)."""
    changes = apply_supplements(
        bundle.get("supplements", []),
        estate=str(notice["estate"]["id"]),
        roll=bundle["roll"],
        assembly=str(notice["assembly"]),
        trusted=trusted,
        log_size=log_size,
    )
    for problem in changes.problems:
        report.fail("supplements", problem)
    for kid, (member, jwk, _start) in changes.added.items():
        voting.setdefault(kid, (member, jwk, "vote"))
    report.facts["supplements"] = changes.applied
    return changes


def _supplement_ballot_check(changes: KeyChanges, raw: Any, index: int, problems: list[tuple[str, str]]) -> None:
    """An online ballot signed with a supplement's key before it took effect, or with a key it
    revoked after that, does not count."""
    if not (changes.added or changes.revoked):  # the usual case: no supplement changed a key
        return
    if not isinstance(raw, dict) or raw.get("kind") != ONLINE or not isinstance(raw.get("kid"), str):
        return
    problem = changes.ballot_problem(raw["kid"], index)
    if problem is not None:
        problems.append(("ballot-key", problem))


def _members(report: Report, check: str, name: str, section: Any, expected: set[str]) -> None:
    """Name any member of a section that no signature covers (and any that is missing)."""
    if not isinstance(section, dict):
        return
    extra, missing = sorted(set(section) - expected), sorted(expected - set(section))
    if extra:
        report.fail(check, f"{name} has members no signature covers: {', '.join(extra)}")
    if missing:
        report.fail(check, f"{name} lacks {', '.join(missing)}")


def _check_supervisors(supervisors: Any, pin_supervisors: set[str], report: Report) -> dict[str, dict[str, Any]]:
    """The supervisor keys a document lists, each checked against its key id (and the pins)."""
    trusted: dict[str, dict[str, Any]] = {}
    if not isinstance(supervisors, list):
        report.fail("supervisors", "supervisors must be a list")
        supervisors = []
    for n, sup in enumerate(supervisors):
        try:
            if not isinstance(sup, dict) or set(sup) != {"kid", "jwk"}:
                raise FormatError("must be {kid, jwk}")
            jwk = public_jwk(sup["jwk"])
            if jwk != sup["jwk"]:
                raise FormatError("the JWK must carry only its required members")
            if jwk_thumbprint(jwk) != sup["kid"]:
                raise FormatError(f"kid {sup['kid']} is not the thumbprint of its key ({jwk_thumbprint(jwk)})")
        except (FormatError, KeyFormatError) as exc:
            report.fail("supervisors", f"supervisor #{n + 1}: {exc}")
            continue
        if sup["kid"] in trusted:
            report.fail("supervisors", f"supervisor #{n + 1}: key {sup['kid']} is listed twice")
            continue
        if pin_supervisors and sup["kid"] not in pin_supervisors:
            report.fail("supervisors", f"supervisor key {sup['kid']} is not one of the keys given with --supervisor-key")
            continue
        trusted[sup["kid"]] = jwk
    if _out_of_order(supervisors):
        report.fail("supervisors", "supervisors must be listed in key-id order (code points, ascending)")
    for kid in pin_supervisors - set(trusted):
        report.fail("supervisors", f"pinned supervisor key {kid} is not in the bundle")
    return trusted


def _out_of_order(records: Any) -> bool:
    """Whether a list of ``{"kid", …}`` records breaks the one order the format gives such lists:
    by key id, in code-point order (docs/bundle-format.md §5).  Malformed records are reported
    by their own checks."""
    if not isinstance(records, list):
        return False
    kids = [r.get("kid") for r in records if isinstance(r, dict)]
    named = [k for k in kids if isinstance(k, str)]
    return len(named) == len(kids) and named != sorted(named)


def _check_every_key_signs(report: Report, trusted: Mapping[str, Any], *signature_lists: Any) -> None:
    """A listed supervisor key must sign something: the roll, or the certification."""
    signing = {s.get("kid") for sigs in signature_lists if isinstance(sigs, list) for s in sigs if isinstance(s, dict)}
    for kid in trusted:
        if kid not in signing:
            report.fail("supervisors", f"supervisor key {kid} is listed but signs nothing in the bundle")


def _check_threshold(
    report: Report,
    check: str,
    section_name: str,
    section: Mapping[str, Any],
    payload: Mapping[str, Any],
    trusted: Mapping[str, dict[str, Any]],
    prefix: str,
    shortfall: str | None,
) -> tuple[list[str], int]:
    """Every signature of a section checked, and at least ``required_signatures`` distinct
    trusted keys among the valid ones (rolls and tally certifications alike; not counted when
    ``shortfall`` is None)."""
    required = section.get("required_signatures")
    if not isinstance(required, int) or isinstance(required, bool) or required < 1:
        report.fail(check, f"{section_name}.required_signatures must be a positive integer, not {required!r}")
        required = 1
    signatures = section.get("signatures")
    valid, problems = check_signatures(payload, signatures, trusted)
    for problem in problems:
        report.fail(check, f"{prefix} {problem}")
    if _out_of_order(signatures):
        report.fail(check, f"{section_name}.signatures must be listed in key-id order (code points, ascending)")
    if shortfall is not None and len(valid) < required:
        report.fail(check, shortfall.format(n=len(valid), required=required))
    return valid, required


def _check_roll(
    estate_id: str, roll: dict[str, Any], roll_results: Sequence[_RollResult], trusted: Mapping[str, dict[str, Any]], report: Report
) -> bool:
    """Entries, order, root, totals and the supervisors' signatures of a frozen roll."""
    facts = report.facts
    entries = roll["entries"]
    roll_ok = True
    try:
        check_roll_order(entries)
    except FormatError as exc:
        report.fail("roll", str(exc))
        roll_ok = False
    for n, (_leaf, problem) in enumerate(roll_results):
        if problem:
            member = entries[n].get("member") if isinstance(entries[n], dict) else None
            report.fail("roll", f"roll entry #{n + 1} ({member}): {problem}")
            roll_ok = False
    empty = leaf_hash(b"")
    root = root_of([leaf or empty for leaf, _ in roll_results])
    root_hex = root.hex()
    if roll.get("root") != root_hex:
        report.fail("roll", f"the roll's Merkle root over its {len(entries)} entries is {root_hex}, the bundle says {roll.get('root')!r}")
    try:
        if all(problem is None for _leaf, problem in roll_results):
            # Every entry passed validate_roll_entry: each area is digits, a point and two digits
            # (parse_area's form), so without its point it is the hundredths (a third of a
            # second less, serial, on a roll of 100,000).
            area_total = format_area(sum(int(e["area"].replace(".", "")) for e in entries))
        else:
            area_total = format_area(sum(parse_area(e["area"]) for e in entries))
        heads_total = sum(e["heads"] for e in entries)
    except (FormatError, KeyError, TypeError):
        area_total, heads_total = None, None
    for name, value in (("size", len(entries)), ("area", area_total), ("heads", heads_total)):
        stated = roll.get(name)
        if value is not None and (stated != value or type(stated) is not type(value)):  # true is not 1
            report.fail("roll", f"roll {name}: the bundle says {json.dumps(stated)}, the entries add up to {json.dumps(value)}")
    required = roll.get("required_signatures")
    frozen_at = roll.get("frozen_at")
    payload = roll_payload(
        estate_id,
        str(roll.get("id")),
        root_hex,
        len(entries),
        area_total or "",
        heads_total or 0,
        frozen_at if isinstance(frozen_at, int) else 0,
        required if isinstance(required, int) and not isinstance(required, bool) else 0,
    )
    valid, required = _check_threshold(
        report,
        "roll-signatures",
        "roll",
        roll,
        payload,
        trusted,
        "roll",
        "the roll has {n} valid supervisor signature(s), {required} required",
    )
    facts.update(
        roll_size=len(entries), roll_area=area_total, roll_heads=heads_total, roll_root=root_hex, roll_signers=valid, roll_required=required
    )

    return roll_ok


ROLL_FORMAT = "ownersvote-roll"
ROLL_DOC_VERSION = 2


def verify_roll(document: Any, *, pin_supervisors: Iterable[str] = ()) -> Report:
    """Check a published roll on its own (``{"format": "ownersvote-roll", "version": 2, "estate",
    "supervisors", "roll"}``, the bundle's own sections): entries, root, totals, signatures."""
    report = Report()
    try:
        if not isinstance(document, dict) or document.get("format") != ROLL_FORMAT or document.get("version") != ROLL_DOC_VERSION:
            raise FormatError(f"not an OwnersVote roll (format {ROLL_FORMAT!r}, version {ROLL_DOC_VERSION})")
        expected = {"format", "version", "estate", "supervisors", "roll"}
        if set(document) != expected:
            raise FormatError(
                f"roll document members: missing {sorted(expected - set(document))}, no signature covers {sorted(set(document) - expected)}"
            )
        estate, roll = document["estate"], document["roll"]
        if not isinstance(estate, dict) or set(estate) != {"id"} or not isinstance(estate.get("id"), str):
            raise FormatError("estate must be {id}")
        if not isinstance(roll, dict) or not isinstance(roll.get("entries"), list):
            raise FormatError("roll.entries must be a list")
    except FormatError as exc:
        report.fail("format", str(exc))
        return report
    report.facts["estate"] = estate
    _members(
        report, "roll", "roll", roll, {"id", "frozen_at", "root", "size", "area", "heads", "required_signatures", "signatures", "entries"}
    )
    trusted = _check_supervisors(document["supervisors"], set(pin_supervisors), report)
    _check_roll(estate["id"], roll, [_check_roll_entry(e) for e in roll["entries"]], trusted, report)
    _check_every_key_signs(report, trusted, roll.get("signatures"))
    return report


def print_roll_summary(report: Report, out: TextIO | None = None) -> None:
    f = report.facts
    w = (out or sys.stdout).write
    w("OwnersVote electoral roll: VERIFIED — every check passed\n")
    w(f"  estate     [{f['estate']['id']}]\n")
    w(f"  roll       {f['roll_size']} members, {f['roll_area']} m², {f['roll_heads']} heads\n")
    w(f"  root       {f['roll_root']}\n")
    w(f"  signed by  {len(f['roll_signers'])} supervisor key(s), {f['roll_required']} required: {'; '.join(f['roll_signers'])}\n")


# --- command line --------------------------------------------------------------------------


def _item_line(item_id: str, result: Mapping[str, Any]) -> str:
    kind = result.get("kind")
    verdict = "PASSED 通过" if result.get("passed") else "FAILED 未通过"
    extra = ""
    if kind == "election":
        extra = f"; elected {', '.join(result.get('elected') or []) or 'nobody'}"
        if result.get("tie"):
            extra += f"; tie {', '.join(result['tie'])}"
    elif kind in ("selection", "plan"):
        winner = result.get("winner")
        plan_words = f"; plan chosen {winner}" if winner else "; no plan chosen"
        extra = plan_words if kind == "plan" else f"; winner {winner or 'none'}"
    part = result.get("participation", {})
    return f"    {item_id:<6} {kind or '?':<10} {verdict:<13} took part {part.get('area', '?')} m² / {part.get('heads', '?')} heads{extra}"


def print_summary(report: Report, out: TextIO | None = None) -> None:
    f = report.facts
    w = (out or sys.stdout).write
    banner = "  *** SYNTHETIC TEST DATA — not a real assembly ***\n" if f.get("synthetic") else ""
    w(f"OwnersVote audit bundle: VERIFIED — every check passed\n{banner}")
    w(f"  estate     {f['estate'].get('name', '')} [{f['estate']['id']}]\n")
    w(f"  assembly   {f['assembly'].get('name', '')} [{f['assembly']['id']}]\n")
    w(f"  notice     sha256 {f['notice_sha256']}; voting {_ms(f['opens'])} – {_ms(f['closes'])} (UTC+8)\n")
    if f.get("counting_rule"):
        w(f"  counting   {f['counting_rule'][:100]}\n")
    w(f"  roll       {f['roll_size']} members, {f['roll_area']} m², {f['roll_heads']} heads; root {f['roll_root'][:16]}…\n")
    w(f"             signed by {len(f['roll_signers'])} supervisor key(s), {f['roll_required']} required: {'; '.join(f['roll_signers'])}\n")
    proxies = f", {f['proxy']} of them by proxies" if f.get("proxy") else ""
    w(
        f"  log        {f['log_size']} ballots ({f['online']} online{proxies}, {f['paper']} paper), every signature valid; "
        f"{f['tree_heads']} signed tree heads consistent\n"
    )
    w(f"             final tree head: size {f['log_size']}, root {f['log_root'][:16]}…, signed {_ms(f['final_timestamp'])} (UTC+8)\n")
    replaced = f" ({f['replaced']} replaced ballots not counted)" if f["replaced"] else ""
    w(f"  counted    {f['counted']} ballots, one per member{replaced}; replacing {'allowed' if f['replace_allowed'] else 'not allowed'}\n")
    if f.get("receipts"):
        w(f"  receipts   {len(f['receipts'])} verified: {', '.join(f['receipts'][:6])}{' …' if len(f['receipts']) > 6 else ''}\n")
    if f.get("promises"):
        w(
            f"  promises   {len(f['promises'])} kept (in the final tree, covered by their deadlines): "
            f"{', '.join(f['promises'][:6])}{' …' if len(f['promises']) > 6 else ''}\n"
        )
    tally_doc = f.get("tally") or {}
    totals = tally_doc.get("totals", {})
    w(f"  tally      recomputed and identical to the bundle's (totals {totals.get('area')} m², {totals.get('heads')} heads)\n")
    items = tally_doc.get("items", {})
    for n, (item_id, result) in enumerate(items.items()):
        if n == 10:
            w(f"    … and {len(items) - 10} more items\n")
            break
        w(_item_line(item_id, result) + "\n")
    w(
        f"  certified  by {len(f['certifiers'])} supervisor key(s), {f['cert_required']} required by the notice: {'; '.join(f['certifiers'])}\n"
    )
    w(f"  tally digest {f['tally_sha256']}\n")
    for n, (not_before, kid, retired_at) in enumerate(f["server_keys"]):
        label = "server key" if n == 0 else "          "
        until = f"retired {_ms(retired_at)} (UTC+8)" if retired_at is not None else "in use"
        since = f"from {_ms(not_before)} (UTC+8)" if not_before else "from the start"
        w(f"  {label} {kid}  {since}, {until}\n")
    w("             (compare the key ids and periods with those the installation published)\n")


def print_failures(report: Report, limit: int, out: TextIO | None = None) -> None:
    out = out or sys.stdout
    grouped = report.by_check()
    total = len(report.failures)
    out.write(f"OwnersVote audit bundle: FAILED — {total} problem(s) in {len(grouped)} check(s)\n")
    for check, messages in grouped.items():
        out.write(f"\n[{check}] {CHECKS.get(check, check)}: {len(messages)} problem(s)\n")
        shown = messages if limit <= 0 else messages[:limit]
        for m in shown:
            out.write(f"  FAIL {m}\n")
        if len(shown) < len(messages):
            out.write(f"  … and {len(messages) - len(shown)} more '{check}' failures (use --all to list every one)\n")


def _read_json(path: str) -> Any:
    return loads(Path(path).read_bytes())


# The other documents the platform publishes, each with its own offline checker: `ownersvote
# verify FILE` takes any of them and hands it to its checker (with the same options).
_OTHER_DOCUMENTS = {
    "ownersvote-evaluation-result": ("crypto.evaluation", "ownersvote verify-evaluation"),
    "ownersvote-ranking": ("crypto.ranking", "ownersvote verify-ranking"),
    "ownersvote-petition-export": ("crypto.petition", "ownersvote verify-petition"),
    "ownersvote-disclosure": ("crypto.disclosure", "ownersvote verify-disclosure"),
}
_PEEK_BYTES = 1 << 20


def _other_document(path: str) -> str | None:
    """The type of a published document that is not an audit bundle, else None.  Only the first
    megabyte is searched for the types' names (a bundle holds none of them, so a large bundle is
    not read twice); the whole file is parsed only when one appears."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(_PEEK_BYTES)
        if not any(f'"{name}"'.encode() in head for name in _OTHER_DOCUMENTS):
            return None
        document = json.loads(Path(path).read_bytes())
    except (OSError, ValueError):
        return None
    kind = document.get("type") if isinstance(document, dict) else None
    return kind if kind in _OTHER_DOCUMENTS else None


def main(argv: list[str] | None = None, prog: str = "ownersvote verify") -> int:
    given = list(sys.argv[1:] if argv is None else argv)
    first, skip = None, False
    for token in given:
        if skip:
            skip = False
        elif token in ("--receipt", "--server-key", "--supervisor-key", "--jobs"):
            skip = True  # (its value is not the file)
        elif not token.startswith("-"):
            first = token
            break
    kind = _other_document(first) if first is not None else None
    if kind is not None:
        module, name = _OTHER_DOCUMENTS[kind]
        checker: Any = importlib.import_module(module).main  # (each loads only when its document comes)
        return int(checker(given, prog=name))
    parser = argparse.ArgumentParser(prog=prog, description="Verify an OwnersVote audit bundle offline (docs/bundle-format.md).")
    parser.add_argument("bundle", metavar="BUNDLE", help="the audit bundle (JSON)")
    parser.add_argument(
        "--receipt",
        action="append",
        default=[],
        metavar="R",
        help="a voter's receipt (version 2 or 3) or promise of inclusion (JSON) to check; repeatable",
    )
    parser.add_argument(
        "--server-key",
        action="append",
        default=[],
        metavar="KID",
        help="trust only these server key ids (as the installation published them); repeatable (a key rotation)",
    )
    parser.add_argument(
        "--supervisor-key", action="append", default=[], metavar="KID", help="trust only these supervisor key ids; repeatable"
    )
    parser.add_argument("--jobs", type=int, default=None, help="worker processes for signature checks (default: all cores)")
    parser.add_argument("--all", action="store_true", help="list every failure (default: the first 20 of each kind)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(key_values_joined(sys.argv[1:] if argv is None else argv))

    started = time.perf_counter()
    # The file is read and parsed once, then checked as a published roll or as a bundle.
    try:
        document = bundle_mod.parse_document(Path(args.bundle).read_bytes())
    except OSError as exc:
        print(f"{prog}: cannot read {args.bundle}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    except FormatError as exc:
        print(f"{prog}: {args.bundle}: FAILED — {exc}", file=sys.stderr)
        return 2
    if isinstance(document, dict) and document.get("format") == ROLL_FORMAT:
        report = verify_roll(document, pin_supervisors=args.supervisor_key)
        if args.json or not report.ok:
            _print_report(report, args, time.perf_counter() - started)
        else:
            print_roll_summary(report)
        return 0 if report.ok else 1
    try:
        bundle_mod.check_header(document)
    except FormatError as exc:
        print(f"{prog}: {args.bundle}: FAILED — {exc}", file=sys.stderr)
        return 2
    bundle = document
    receipts: list[tuple[str, Any]] = []
    report_pre: list[tuple[str, str]] = []
    for path in args.receipt:
        try:
            receipts.append((path, _read_json(path)))
        except (OSError, CanonicalJSONError) as exc:
            report_pre.append(("receipt", f"{path}: cannot be read: {exc}"))
    report = verify_bundle(bundle, receipts, jobs=args.jobs, pin_server=args.server_key, pin_supervisors=args.supervisor_key)
    report.failures[:0] = report_pre
    elapsed = time.perf_counter() - started
    try:
        _print_report(report, args, elapsed)
    except BrokenPipeError:  # `ownersvote verify B | head`: the verdict is still the exit code
        sys.stderr.close()
    return 0 if report.ok else 1


def _print_report(report: Report, args: argparse.Namespace, elapsed: float) -> None:
    if args.json:
        json.dump(
            {
                "ok": report.ok,
                "failures": [{"check": c, "message": m} for c, m in report.failures],
                "receipts": report.facts.get("receipts", []),
                "promises": report.facts.get("promises", []),
                "seconds": round(elapsed, 3),
            },
            sys.stdout,
            ensure_ascii=False,
            indent=2,
        )
        sys.stdout.write("\n")
    elif report.ok:
        print_summary(report)
        print(f"  checked in {elapsed:.1f} s")
    else:
        print_failures(report, 0 if args.all else 20)


if __name__ == "__main__":
    sys.exit(main())
