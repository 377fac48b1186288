"""Pure hash-chain rules for the audit log: how an event is hashed and how a chain is checked."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import rfc8785

from crypto.canonical import CanonicalJSONError, canonical_json

GENESIS = "0" * 64


def event_hash(
    *,
    chain: int,
    seq: int,
    at: datetime,
    actor: str,
    action: str,
    object_type: str | None,
    object_id: str | None,
    details: dict,
    prev_hash: str,
) -> str:
    body = {
        "chain": chain,
        "seq": seq,
        "at": at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor": actor,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "details": details,
        "prev": prev_hash,
    }
    return hashlib.sha256(_canonical(body)).hexdigest()


def _canonical(body: dict) -> bytes:
    """RFC 8785 bytes of an event: through the standard library's encoder where that gives the
    same bytes (crypto.canonical: no floats, safe integers; a third of the pure-Python
    ``rfc8785``'s time, paid per ballot by the sequencer), else ``rfc8785`` itself."""
    try:
        return canonical_json(body)
    except CanonicalJSONError:
        return rfc8785.dumps(body)


@dataclass(frozen=True)
class ChainProblem:
    seq: int
    message: str


def verify_chain(events: Iterable) -> list[ChainProblem]:
    """Every way the stored chain differs from a chain built honestly, in order."""
    problems: list[ChainProblem] = []
    prev = GENESIS
    expected_seq = 1
    for ev in events:
        if ev.seq != expected_seq:
            problems.append(ChainProblem(ev.seq, f"sequence gap: expected {expected_seq}, found {ev.seq}"))
        if ev.prev_hash != prev:
            problems.append(ChainProblem(ev.seq, "previous-hash link broken"))
        recomputed = event_hash(
            chain=ev.chain,
            seq=ev.seq,
            at=ev.at,
            actor=ev.actor,
            action=ev.action,
            object_type=ev.object_type,
            object_id=ev.object_id,
            details=ev.details,
            prev_hash=ev.prev_hash,
        )
        if recomputed != ev.hash:
            problems.append(ChainProblem(ev.seq, "event content does not match its hash"))
        prev = ev.hash
        expected_seq = ev.seq + 1
    return problems
