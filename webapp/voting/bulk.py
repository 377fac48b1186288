"""Loading many signed ballots at once (the demo's assemblies, benchmarks): the same rows and the
same sequencer as casting, checked the same way, only without one request per ballot."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert

from crypto.ballot import ONLINE, PAPER
from webapp.core.db import db, utcnow
from webapp.voting import log as ballot_log
from webapp.voting.casting import check_ballot, entry_json
from webapp.voting.models import Ballot


def load_entries(assembly, entries: list[dict], *, batch: int = 50, at: datetime | None = None) -> int:
    """Append signed log entries ({kind, ballot, kid, sig}) in batches, a tree head per batch.
    Each ballot is checked as casting checks it (form, binding, choices); signatures are the
    caller's (they were made with keys on the roll, or by the server for paper)."""

    when = at or utcnow()
    done = 0
    for start in range(0, len(entries), batch):
        rows = []
        for entry in entries[start : start + batch]:
            ballot = check_ballot(assembly, entry["ballot"], strict=entry["kind"] == ONLINE)
            text = entry_json(entry["kind"], entry["ballot"], entry["kid"], entry["sig"])
            rows.append(
                {
                    "assembly_id": assembly.id,
                    "member": ballot["member"],
                    "version": 1,
                    "channel": entry["kind"],
                    "signer": "server" if entry["kind"] == PAPER else entry.get("signer", "owner"),
                    "kid": entry["kid"],
                    "entry": text,
                    "leaf_hash": ballot_log.leaf_hash_of(text),
                    "received_at": when,
                }
            )
        db.session.execute(insert(Ballot), rows)
        ballot_log.integrate(assembly, now=when)
        db.session.flush()
        done += len(rows)
    return done
