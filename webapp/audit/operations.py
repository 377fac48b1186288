"""Writing to the audit log.  Every privileged operation calls :func:`record` in the same
transaction as the change it describes, so the two commit or roll back together."""

from __future__ import annotations

import functools

from sqlalchemy import literal, select, text

from crypto.treehead import sign_object
from webapp.audit.chain import GENESIS, event_hash, verify_chain
from webapp.audit.models import AuditCheckpoint, AuditEvent
from webapp.core import db as database
from webapp.core.db import db
from webapp.core.serverkey import signing_key

PLATFORM_CHAIN = 0

# Actions a person must be able to rely on (an objection, a vetting decision, an assembly's
# transition, a certification, a paper ruling): each gets a signed checkpoint of its own, in its
# own transaction, so that the event cannot be dropped from the chain's tail without a signed
# anchor naming it (docs/security.md, "The audit tail"). Packages register theirs from init_app.
ANCHORED: set[str] = set()


def anchor_at_once(actions) -> None:
    """Have each of these actions anchored by a signed checkpoint as soon as it is recorded."""
    ANCHORED.update(actions)


_CHAIN_LOCK_BASE = 7_000_000


def chain_lock_key(chain: int) -> int:
    """The PostgreSQL advisory lock that serialises appends to one audit chain.  Everyone who
    appends takes this key (record() here, the ballot sequencer in webapp.voting.log), so that
    changing it can never make the two stop serialising with each other."""
    return _CHAIN_LOCK_BASE + chain


def _lock_chain(chain: int) -> None:
    # Serialise appends to one chain on PostgreSQL; SQLite already has a single writer.
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": chain_lock_key(chain)})


def record(action: str, *, actor=None, estate_id: int | None = None, obj=None, **details) -> AuditEvent:
    chain = estate_id if estate_id is not None else PLATFORM_CHAIN
    _lock_chain(chain)
    last = db.session.execute(
        select(AuditEvent.seq, AuditEvent.hash).where(AuditEvent.chain == chain).order_by(AuditEvent.seq.desc()).limit(1)
    ).first()
    seq, prev = (last.seq + 1, last.hash) if last else (1, GENESIS)
    actor_label = getattr(actor, "username", None) or (actor if isinstance(actor, str) else "system")
    object_type = type(obj).__name__ if obj is not None else None
    object_id = str(obj.id) if obj is not None and getattr(obj, "id", None) is not None else None
    at = database.db_now()  # the database's clock (issue 18, item 6)
    event = AuditEvent(
        chain=chain,
        seq=seq,
        at=at,
        actor_id=getattr(actor, "id", None),
        actor=actor_label,
        action=action,
        object_type=object_type,
        object_id=object_id,
        details=details,
        prev_hash=prev,
    )
    event.hash = event_hash(
        chain=chain,
        seq=seq,
        at=at,
        actor=actor_label,
        action=action,
        object_type=object_type,
        object_id=object_id,
        details=details,
        prev_hash=prev,
    )
    db.session.add(event)
    db.session.flush()
    if action in ANCHORED:
        checkpoint(chain, seq, event.hash, at)
    else:
        _checkpoint_if_due(event)
    return event


def record_many(estate_id: int | None, events: list[dict], *, at=None) -> tuple[int, str] | None:
    """Append several events to one chain at once, exactly as that many :func:`record` calls would
    (same hashes, same checkpoints), with one lock, one read of the head and one INSERT: the
    ballot sequencer audits a whole batch of accepted ballots this way.  Each event is a dict of
    ``action``, ``actor`` (a label), ``object_type``, ``object_id`` and ``details``.  Returns the
    chain's new head (seq, hash), or None when ``events`` is empty.  ``at`` dates them (the
    database's clock by default)."""
    if not events:
        return None
    chain = estate_id if estate_id is not None else PLATFORM_CHAIN
    _lock_chain(chain)
    head = db.session.connection().execute(_heads_statement(), {"chain": chain}).one()
    rows, checkpoints = chain_rows(chain, head.seq, head.hash, head.cp_seq, head.cp_at, events, at=at or database.db_now())
    db.session.connection().execute(AuditEvent.__table__.insert(), rows)
    if checkpoints:
        db.session.connection().execute(AuditCheckpoint.__table__.insert(), checkpoints)
    return rows[-1]["seq"], rows[-1]["hash"]


def chain_rows(
    chain: int, last_seq: int | None, last_hash: str | None, cp_seq: int | None, cp_at, events: list[dict], *, at, key=None
) -> tuple[list, list]:
    """The rows of ``events`` appended after the chain's head (``last_seq``, ``last_hash``; None for
    an empty chain), and the signed checkpoints due among them (the last one was ``cp_seq`` at
    ``cp_at``): what :func:`record` would write, one event at a time, all dated ``at`` (read from
    the database's clock by the caller).  ``key``: the server key, already checked valid at ``at``
    by the caller (the sequencer); otherwise the key set is asked when a checkpoint is due."""

    seq, prev = (last_seq, last_hash) if last_seq is not None else (0, GENESIS)
    last_cp = (cp_seq, cp_at) if cp_seq is not None else None
    rows, checkpoints = [], []
    for event in events:
        seq += 1
        row = {
            "chain": chain,
            "seq": seq,
            "at": at,
            "actor_id": None,
            "actor": event["actor"],
            "action": event["action"],
            "object_type": event.get("object_type"),
            "object_id": event.get("object_id"),
            "details": event.get("details", {}),
            "prev_hash": prev,
        }
        row["hash"] = event_hash(
            chain=chain,
            seq=seq,
            at=at,
            actor=row["actor"],
            action=row["action"],
            object_type=row["object_type"],
            object_id=row["object_id"],
            details=row["details"],
            prev_hash=prev,
        )
        rows.append(row)
        prev = row["hash"]
        if (
            last_cp is None
            or event["action"] in ANCHORED
            or seq - last_cp[0] >= CHECKPOINT_EVERY
            or (at - last_cp[1]).total_seconds() >= CHECKPOINT_AFTER_SECONDS
        ):
            key = key or signing_key(at)
            document = sign_object(
                key,
                {
                    "type": "ownersvote-audit-checkpoint",
                    "v": 1,
                    "chain": chain,
                    "seq": seq,
                    "hash": row["hash"],
                    "at": int(at.timestamp() * 1000),
                },
            )
            checkpoints.append({"chain": chain, "seq": seq, "hash": row["hash"], "at": at, "document": document})
            last_cp = (seq, at)
    return rows, checkpoints


@functools.cache
def _heads_statement():
    """The chain's last event and last checkpoint, in one statement built once."""
    from sqlalchemy import bindparam

    events, checkpoints = AuditEvent.__table__, AuditCheckpoint.__table__
    last = select(events.c.seq, events.c.hash).where(events.c.chain == bindparam("chain")).order_by(events.c.seq.desc()).limit(1).subquery()
    last_cp = (
        select(checkpoints.c.seq, checkpoints.c.at)
        .where(checkpoints.c.chain == bindparam("chain"))
        .order_by(checkpoints.c.seq.desc())
        .limit(1)
        .subquery()
    )
    one = select(literal(1).label("one")).subquery()
    return select(last.c.seq, last.c.hash, last_cp.c.seq.label("cp_seq"), last_cp.c.at.label("cp_at")).select_from(
        one.outerjoin(last, literal(True)).outerjoin(last_cp, literal(True))
    )


CHECKPOINT_EVERY = 20
CHECKPOINT_AFTER_SECONDS = 3600


def _checkpoint_if_due(event: AuditEvent) -> None:
    """Every 20 events, or the first event an hour after the last checkpoint, gets one (and every
    event of an ``ANCHORED`` action, at once)."""
    last = db.session.execute(
        select(AuditCheckpoint.seq, AuditCheckpoint.at)
        .where(AuditCheckpoint.chain == event.chain)
        .order_by(AuditCheckpoint.seq.desc())
        .limit(1)
    ).first()
    if last is None or event.seq - last.seq >= CHECKPOINT_EVERY or (event.at - last.at).total_seconds() >= CHECKPOINT_AFTER_SECONDS:
        checkpoint(event.chain, event.seq, event.hash, event.at)


def checkpoint(chain: int, seq: int, hash_: str, at) -> AuditCheckpoint:

    document = sign_object(
        signing_key(at),
        {"type": "ownersvote-audit-checkpoint", "v": 1, "chain": chain, "seq": seq, "hash": hash_, "at": int(at.timestamp() * 1000)},
    )
    row = AuditCheckpoint(chain=chain, seq=seq, hash=hash_, at=at, document=document)
    db.session.add(row)
    db.session.flush()
    return row


def chain_events(estate_id: int | None) -> list[AuditEvent]:
    chain = estate_id if estate_id is not None else PLATFORM_CHAIN
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.chain == chain).order_by(AuditEvent.seq)))


def check_chain(estate_id: int | None):
    return verify_chain(chain_events(estate_id))
