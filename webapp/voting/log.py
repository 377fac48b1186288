"""An assembly's append-only RFC 6962 log in the database.

The frontier (crypto.merkle.TreeState) lives in one row, complete-subtree nodes in ``log_nodes``
(written once, never updated), so an append costs O(log n) hashing and about two node inserts,
and an inclusion proof reads O(log n) nodes in one query, however long the log.

Accepted ballots are first committed on their own (durable: a crash loses nothing
acknowledged; the voter holds a signed promise), then *integrated* by the sequencer
(webapp.voting.sequencer), apart from any request, as Trillian's is: whoever takes the log's
lock appends every ballot waiting at that moment, in random order, stores the nodes and signs
one tree head for the batch.  A receipt is given only once its ballot is under a signed tree
head.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace

from sqlalchemy import bindparam, insert, select, text, tuple_, update

from crypto.merkle import EMPTY_ROOT, TreeState, append, consistency_proof, inclusion_proof, root_at
from crypto.treehead import make_receipt, sign_tree_head
from webapp.assemblies.models import Assembly
from webapp.audit.models import AuditEvent
from webapp.audit.operations import PLATFORM_CHAIN, chain_lock_key, chain_rows, record, record_many
from webapp.core import db as database
from webapp.core import metrics
from webapp.core.db import db
from webapp.core.serverkey import signer, signing_key, usable_at
from webapp.voting.models import Ballot, BallotLog, LogNode, TreeHead


class DbNodeStore:
    """crypto.merkle.NodeStore over ``log_nodes``: a proof's nodes in one query."""

    def __init__(self, assembly_id: int):
        self.assembly_id = assembly_id

    def get_nodes(self, keys: Sequence[tuple[int, int]]) -> list[bytes]:
        if not keys:
            return []
        connection = db.session.connection()
        if connection.dialect.name == "postgresql":
            rows = connection.execute(_PG_NODES, {"a": self.assembly_id, "levels": [k[0] for k in keys], "idxs": [k[1] for k in keys]})
        else:
            rows = connection.execute(_statements().nodes, {"a": self.assembly_id, "keys": list(keys)})
        found = {(level, idx): bytes(h) for level, idx, h in rows}
        return [found[k] for k in keys]

    def put_nodes(self, nodes: Iterable[tuple[int, int, bytes]]) -> None:
        rows = [{"assembly_id": self.assembly_id, "level": level, "idx": idx, "hash": h} for level, idx, h in nodes]
        if rows:
            db.session.connection().execute(insert(LogNode), rows)


_PG_NODES = text("""
    SELECT n.level, n.idx, n.hash FROM log_nodes AS n
      JOIN unnest(CAST(:levels AS integer[]), CAST(:idxs AS bigint[])) AS k(level, idx) ON n.level = k.level AND n.idx = k.idx
     WHERE n.assembly_id = :a
""")


@functools.cache
def _statements() -> SimpleNamespace:
    """The sequencer's statements, built once per process (building one costs about as much as
    running it); every value is a bound parameter."""
    logs, ballots, heads_t, nodes = BallotLog.__table__, Ballot.__table__, TreeHead.__table__, LogNode.__table__
    last_ts = select(heads_t.c.timestamp).where(heads_t.c.assembly_id == bindparam("a")).order_by(heads_t.c.n.desc()).limit(1)
    log_row = select(logs.c.frontier, logs.c.size, logs.c.heads, logs.c.sealed, last_ts.scalar_subquery().label("last_ts")).where(
        logs.c.assembly_id == bindparam("a")
    )
    return SimpleNamespace(
        log_row=log_row,
        waiting=select(ballots.c.id, ballots.c.leaf_hash, ballots.c.channel, ballots.c.signer, ballots.c.member)
        .where(ballots.c.assembly_id == bindparam("a"), ballots.c.leaf_index.is_(None))
        .order_by(ballots.c.id),
        set_index=update(ballots).where(ballots.c.id == bindparam("b_id")).values(leaf_index=bindparam("idx")),
        set_log=update(logs)
        .where(logs.c.assembly_id == bindparam("a"))
        .values(frontier=bindparam("frontier"), size=bindparam("size"), heads=bindparam("heads"), sealed=bindparam("sealed")),
        add_head=insert(heads_t).values(
            assembly_id=bindparam("a"),
            n=bindparam("n"),
            size=bindparam("size"),
            root=bindparam("root"),
            timestamp=bindparam("timestamp"),
            final=bindparam("final"),
            document=bindparam("document"),
        ),
        nodes=select(nodes.c.level, nodes.c.idx, nodes.c.hash).where(
            nodes.c.assembly_id == bindparam("a"), tuple_(nodes.c.level, nodes.c.idx).in_(bindparam("keys", expanding=True))
        ),
    )


_RANDOM = secrets.SystemRandom()


def batch_order(waiting: list, member=lambda row: row.member) -> list:
    """A batch's ballots in random order, so that a leaf's place says nothing of when, within its
    batch, its ballot arrived; except that one member's ballots keep their order (with
    replacements allowed, the last in the log is the one that counts)."""
    shuffled = list(waiting)
    _RANDOM.shuffle(shuffled)
    by_member: dict = {}
    for place, row in enumerate(shuffled):
        by_member.setdefault(member(row), []).append(place)
    for places in by_member.values():
        if len(places) > 1:
            rows = sorted((shuffled[p] for p in places), key=lambda row: row[0])  # by id: arrival order
            for place, row in zip(places, rows, strict=True):
                shuffled[place] = row
    return shuffled


def ms(value: datetime) -> int:
    return int(value.timestamp() * 1000)


def audit_head(estate_id: int) -> tuple[int, str] | None:
    """The estate's audit chain head, anchored in every tree head the server signs."""

    row = db.session.execute(
        select(AuditEvent.seq, AuditEvent.hash).where(AuditEvent.chain == estate_id).order_by(AuditEvent.seq.desc()).limit(1)
    ).first()
    return (row.seq, row.hash) if row else None


def _lock(assembly_id: int) -> BallotLog:
    query = select(BallotLog).where(BallotLog.assembly_id == assembly_id)
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    return db.session.execute(query.execution_options(populate_existing=True)).scalar_one()


def _sign(assembly, log: BallotLog, state: TreeState, *, timestamp: int, final: bool = False) -> TreeHead:

    notice = assembly.current_notice
    document = sign_tree_head(
        signing_key(timestamp),
        assembly.log_id,
        state.size,
        state.root(),
        timestamp,
        n=log.heads,
        notice=notice.sha256,
        audit=audit_head(assembly.estate_id),
        final=final,
    )
    head = TreeHead(
        assembly_id=assembly.id, n=log.heads, size=state.size, root=document["root"], timestamp=timestamp, final=final, document=document
    )
    db.session.add(head)
    log.heads += 1
    return head


def open_log(assembly, *, now: datetime | None = None) -> TreeHead:
    """The empty log, with its first signed tree head (size 0), at the opening."""
    now = now or database.db_now()
    log = BallotLog(assembly_id=assembly.id, frontier=TreeState().to_bytes(), size=0, heads=0, sealed=False)
    db.session.add(log)
    db.session.flush()
    head = _sign(assembly, log, TreeState(), timestamp=ms(now))
    db.session.flush()
    return head


@dataclass(frozen=True)
class LogContext:
    """What the sequencer needs of an assembly, none of which changes while voting is open."""

    assembly_id: int
    estate_id: int
    log_id: str
    notice: str  # the notice digest every tree head names


@dataclass(frozen=True)
class Batch:
    """A tree head signed for a batch of ballots, and where each of them went."""

    n: int
    size: int
    document: dict
    indices: dict[int, int]  # ballot id → leaf index


def context_of(assembly) -> LogContext:
    return LogContext(assembly.id, assembly.estate_id, assembly.log_id, assembly.current_notice.sha256)


def integrate(assembly, *, now: datetime | None = None, record_accepts: bool = False, final_at: datetime | None = None) -> Batch | None:
    """Append every waiting ballot and sign one tree head for the batch (in the caller's
    transaction, which should commit at once: it holds the log's lock).  ``now`` dates the head
    (loading ballots of an assembly held in the past, as the demo does); the database's clock
    otherwise.  With ``record_accepts`` the batch's online ballots get their ``ballot.accept``
    audit events in the same transaction (the casting path; paper ballots are recorded by
    their entry, bulk loads by their caller)."""
    ctx = assembly if isinstance(assembly, LogContext) else context_of(assembly)
    return integrate_context(ctx, now=now, record_accepts=record_accepts, final_at=final_at)


NOT_LEADER = object()


def integrate_context(
    ctx: LogContext, *, now: datetime | None = None, record_accepts: bool = False, try_lead: bool = False, final_at: datetime | None = None
):
    """:func:`integrate` for a :class:`LogContext`.  With ``try_lead`` (PostgreSQL), only if the
    sequencer's lock is free: otherwise ``NOT_LEADER``, having waited for nothing (another
    sequencer is integrating this log).  With ``final_at`` (the close), the batch's head is the
    final one, dated no earlier than ``final_at``, and the log is sealed."""

    st = _statements()
    connection = db.session.connection()
    postgres = connection.dialect.name == "postgresql"
    if postgres:
        return _integrate_postgres(ctx, connection, now=now, record_accepts=record_accepts, try_lead=try_lead, final_at=final_at)
    log = connection.execute(st.log_row, {"a": ctx.assembly_id}).one()  # SQLite: one writer at a time
    if log.sealed:
        return None
    waiting = batch_order(connection.execute(st.waiting, {"a": ctx.assembly_id}).all())
    if not waiting:
        return None
    state = TreeState.from_bytes(log.frontier)
    nodes, indices = [], {}
    for ballot_id, leaf_hex, _, _, _ in waiting:
        indices[ballot_id] = state.size
        state, new = append(state, bytes.fromhex(leaf_hex))
        nodes.extend(new)
    DbNodeStore(ctx.assembly_id).put_nodes(nodes)
    connection.execute(st.set_index, [{"b_id": ballot_id, "idx": index} for ballot_id, index in indices.items()])
    # The database's clock, read after the batch's ballots were: no head is older than a ballot
    # under it (`ownersvote check` flags one that is).
    clock = now or database.db_now()
    anchor = None
    if record_accepts:
        anchor = record_many(
            ctx.estate_id,
            [
                {
                    "action": "ballot.accept",
                    "actor": "proxy" if who == "proxy" else "owner",
                    "object_type": "Ballot",
                    "object_id": str(ballot_id),
                    "details": {"assembly": ctx.assembly_id, "channel": channel, "leaf_hash": leaf_hex},
                }
                for ballot_id, leaf_hex, channel, who, _ in waiting
                if channel == "online"
            ],
            at=clock,
        )
    if anchor is None:
        anchor = audit_head(ctx.estate_id)
    final = final_at is not None
    timestamp = max(ms(clock), log.last_ts or 0, ms(final_at) if final else 0)
    document = sign_tree_head(
        signing_key(timestamp), ctx.log_id, state.size, state.root(), timestamp, n=log.heads, notice=ctx.notice, audit=anchor, final=final
    )
    connection.execute(
        st.set_log, {"a": ctx.assembly_id, "frontier": state.to_bytes(), "size": state.size, "heads": log.heads + 1, "sealed": final}
    )
    connection.execute(
        st.add_head,
        {
            "a": ctx.assembly_id,
            "n": log.heads,
            "size": state.size,
            "root": document["root"],
            "timestamp": timestamp,
            "final": final,
            "document": document,
        },
    )
    metrics.BATCHES.inc()
    metrics.BATCH_SIZE.observe(len(indices))
    return Batch(log.heads, state.size, document, indices)


SEQUENCER_LOCK = 6962  # pg_advisory_xact_lock(SEQUENCER_LOCK, assembly id): who integrates the log now

# PostgreSQL: a batch in five round trips while the log is locked (lock and read the log row;
# read the waiting ballots with the audit chain's head; read the database's clock; write
# everything; commit), since the
# lock's holder is what every other voter waits for.
_PG_LEAD = text("""
    SELECT frontier, size, heads, sealed,
           (SELECT timestamp FROM tree_heads WHERE assembly_id = :a ORDER BY n DESC LIMIT 1) AS last_ts,
           pg_advisory_xact_lock(:audit_key)::text AS audit_locked
      FROM ballot_logs
     WHERE assembly_id = :a
       FOR UPDATE
""")
_PG_LOCK = text("SELECT pg_advisory_xact_lock(:k, :a)")
_PG_TRY_LEAD = text("SELECT pg_try_advisory_xact_lock(:k, :a)")
# The server key's row comes along, locked (FOR KEY SHARE) until the batch commits: a retirement
# waits for the batch, and the key is checked against its period (webapp.core.serverkey).
_PG_WAITING = text("""
    SELECT b.id, b.leaf_hash, b.channel, b.signer, b.member, e.seq AS audit_seq, e.hash AS audit_hash, c.seq AS cp_seq, c.at AS cp_at,
           k.kid AS key_kid, k.not_before AS key_from, k.retired_at AS key_until
      FROM (SELECT 1) AS one
      LEFT JOIN LATERAL (SELECT id, leaf_hash, channel, signer, member FROM ballots
                          WHERE assembly_id = :a AND leaf_index IS NULL ORDER BY id) AS b ON true
      LEFT JOIN LATERAL (SELECT seq, hash FROM audit_events WHERE chain = :chain ORDER BY seq DESC LIMIT 1) AS e ON true
      LEFT JOIN LATERAL (SELECT seq, at FROM audit_checkpoints WHERE chain = :chain ORDER BY seq DESC LIMIT 1) AS c ON true
      LEFT JOIN LATERAL (SELECT kid, not_before, retired_at FROM server_keys WHERE kid = :kid FOR KEY SHARE) AS k ON true
""")
# Each table's rows go in as one JSON text (json_to_recordset), not as arrays: psycopg dumps an
# array element by element in Python, about a fifth of the sequencer's CPU per ballot (py-spy of
# bench/cast.py), where json.dumps and PostgreSQL's parser are C.
_PG_WRITE = text("""
    WITH nodes AS (
        INSERT INTO log_nodes (assembly_id, level, idx, hash)
        SELECT :a, n.level, n.idx, decode(n.hash, 'hex')
          FROM json_to_recordset(CAST(:nodes AS json)) AS n(level integer, idx bigint, hash text)
    ), leaves AS (
        UPDATE ballots SET leaf_index = v.idx FROM json_to_recordset(CAST(:leaves AS json)) AS v(id integer, idx integer)
         WHERE ballots.id = v.id
    ), events AS (
        INSERT INTO audit_events (chain, seq, at, actor_id, actor, action, object_type, object_id, details, prev_hash, hash)
        SELECT :chain, e.seq, e.at, NULL, e.actor, e.action, e.object_type, e.object_id, e.details, e.prev_hash, e.hash
          FROM json_to_recordset(CAST(:events AS json))
            AS e(seq integer, at timestamptz, actor text, action text, object_type text, object_id text, details json,
                 prev_hash text, hash text)
    ), checkpoints AS (
        INSERT INTO audit_checkpoints (chain, seq, hash, at, document)
        SELECT :chain, c.seq, c.hash, c.at, c.document
          FROM json_to_recordset(CAST(:checkpoints AS json)) AS c(seq integer, hash text, at timestamptz, document json)
    ), log AS (
        UPDATE ballot_logs SET frontier = :frontier, size = :size, heads = :heads + 1, sealed = :final WHERE assembly_id = :a
    )
    INSERT INTO tree_heads (assembly_id, n, size, root, timestamp, final, document)
    VALUES (:a, :heads, :size, :root, :timestamp, :final, CAST(:document AS json))
""")


def _integrate_postgres(ctx: LogContext, connection, *, now, record_accepts: bool, try_lead: bool, final_at: datetime | None):
    import json

    chain = ctx.estate_id if ctx.estate_id is not None else PLATFORM_CHAIN
    if try_lead:
        if not connection.execute(_PG_TRY_LEAD, {"k": SEQUENCER_LOCK, "a": ctx.assembly_id}).scalar():
            return NOT_LEADER
    else:
        connection.execute(_PG_LOCK, {"k": SEQUENCER_LOCK, "a": ctx.assembly_id})
    # The audit chain's lock (webapp.audit.operations.chain_lock_key) comes with the log's, so that
    # the next statement reads the chain's head as it stands.
    log = connection.execute(_PG_LEAD, {"a": ctx.assembly_id, "audit_key": chain_lock_key(chain)}).one()
    if log.sealed:
        return None
    key = signer()
    rows = connection.execute(_PG_WAITING, {"a": ctx.assembly_id, "chain": chain, "kid": key.kid}).all()
    waiting = batch_order([r for r in rows if r.id is not None])
    if not waiting:
        return None
    state = TreeState.from_bytes(log.frontier)
    nodes, indices = [], {}
    for r in waiting:
        indices[r.id] = state.size
        state, new = append(state, bytes.fromhex(r.leaf_hash))
        nodes.extend({"level": level, "idx": idx, "hash": h.hex()} for level, idx, h in new)
    clock = now or database.db_now()  # after the waiting ballots were read (see integrate_context)
    final = final_at is not None
    timestamp = max(ms(clock), log.last_ts or 0, ms(final_at) if final else 0)
    if rows[0].key_kid is None:
        key = signing_key(timestamp)  # the installation's first key is recorded, or the key refused
    else:
        for at in (ms(clock), timestamp):
            usable_at(key.kid, (rows[0].key_from, rows[0].key_until), at)
    events, checkpoints = [], []
    if record_accepts:
        events, checkpoints = chain_rows(
            chain,
            rows[0].audit_seq,
            rows[0].audit_hash,
            rows[0].cp_seq,
            rows[0].cp_at,
            [
                {
                    "action": "ballot.accept",
                    "actor": "proxy" if r.signer == "proxy" else "owner",
                    "object_type": "Ballot",
                    "object_id": str(r.id),
                    "details": {"assembly": ctx.assembly_id, "channel": r.channel, "leaf_hash": r.leaf_hash},
                }
                for r in waiting
                if r.channel == "online"
            ],
            at=clock,
            key=key,
        )
    if events:
        anchor = (events[-1]["seq"], events[-1]["hash"])
    else:
        anchor = None if rows[0].audit_seq is None else (rows[0].audit_seq, rows[0].audit_hash)
    document = sign_tree_head(
        key, ctx.log_id, state.size, state.root(), timestamp, n=log.heads, notice=ctx.notice, audit=anchor, final=final
    )
    connection.execute(
        _PG_WRITE,
        {
            "a": ctx.assembly_id,
            "chain": chain,
            "nodes": json.dumps(nodes),
            "leaves": json.dumps([{"id": ballot_id, "idx": idx} for ballot_id, idx in indices.items()]),
            "events": json.dumps([{**e, "at": e["at"].isoformat()} for e in events]),
            "checkpoints": json.dumps([{**c, "at": c["at"].isoformat()} for c in checkpoints]),
            "frontier": state.to_bytes(),
            "size": state.size,
            "heads": log.heads,
            "root": document["root"],
            "timestamp": timestamp,
            "final": final,
            "document": json.dumps(document),
        },
    )
    metrics.BATCHES.inc()
    metrics.BATCH_SIZE.observe(len(indices))
    return Batch(log.heads, state.size, document, indices)


def _last_timestamp(assembly_id: int) -> int:
    last = db.session.scalar(select(TreeHead.timestamp).where(TreeHead.assembly_id == assembly_id).order_by(TreeHead.n.desc()).limit(1))
    return last or 0


def heads(assembly_id: int) -> list[TreeHead]:
    return list(db.session.scalars(select(TreeHead).where(TreeHead.assembly_id == assembly_id).order_by(TreeHead.n)))


def latest_head(assembly_id: int) -> TreeHead | None:
    return db.session.scalar(select(TreeHead).where(TreeHead.assembly_id == assembly_id).order_by(TreeHead.n.desc()).limit(1))


def covering_head(assembly_id: int, index: int) -> TreeHead | None:
    """The first signed tree head that covers leaf ``index`` (the one its receipt carries)."""
    return db.session.scalar(
        select(TreeHead).where(TreeHead.assembly_id == assembly_id, TreeHead.size > index).order_by(TreeHead.n).limit(1)
    )


def receipt(ballot: Ballot, head: TreeHead | None = None) -> dict:
    """The voter's receipt: leaf index and hash, the covering signed tree head, the inclusion
    proof against it, and the tracking code."""
    if ballot.leaf_index is None:
        raise ValueError("the ballot is not in the log yet")
    head = head or covering_head(ballot.assembly_id, ballot.leaf_index)
    proof = inclusion_proof(DbNodeStore(ballot.assembly_id), ballot.leaf_index, head.size)
    return make_receipt(head.document, ballot.leaf_index, bytes.fromhex(ballot.leaf_hash), proof, ballot.promise)


def inclusion(assembly_id: int, index: int, size: int) -> list[bytes]:
    return inclusion_proof(DbNodeStore(assembly_id), index, size)


def consistency(assembly_id: int, old: int, new: int) -> list[bytes]:
    return consistency_proof(DbNodeStore(assembly_id), old, new)


def root(assembly_id: int, size: int) -> bytes:
    return EMPTY_ROOT if size == 0 else root_at(DbNodeStore(assembly_id), size)


def _lock_assembly(assembly) -> None:
    # Casting holds a shared lock on the assembly row while it checks the window and inserts;
    # sealing takes it exclusively, so it waits for every ballot in flight and none can follow.
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT 1 FROM assemblies WHERE id = :id FOR UPDATE"), {"id": assembly.id})


def close_if_due(assembly) -> bool:
    """Seal the log at the closing time by the database's clock: every ballot accepted before
    the close is integrated, then the final tree head is signed; nothing can be appended after."""

    if assembly.state != "voting":
        return False
    now = database.db_now()
    if now < assembly.closes_at:
        return False
    if db.session.get_bind().dialect.name == "postgresql":
        # The sequencer's lock before the assembly row's: a batch being integrated holds the first
        # and needs a key-share lock on the assembly row for its inserts' foreign keys.
        db.session.execute(_PG_LOCK, {"k": SEQUENCER_LOCK, "a": assembly.id})
    _lock_assembly(assembly)
    done = db.session.execute(
        update(Assembly)
        .where(Assembly.id == assembly.id, Assembly.state == "voting")
        .values(state="closed", closed_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not done:
        db.session.refresh(assembly)
        return False
    db.session.refresh(assembly)
    # The accepted ballots the sequencer has not integrated yet go under the final head itself (a
    # head of their own would be one signed after the close that is not the final one).
    batch = integrate(assembly, record_accepts=True, now=now, final_at=assembly.closes_at)
    log = _lock(assembly.id)
    state = TreeState.from_bytes(log.frontier)
    if batch is None:
        final = _sign(assembly, log, state, timestamp=max(ms(assembly.closes_at), ms(now), _last_timestamp(assembly.id)), final=True)
        log.sealed = True
        db.session.flush()
    else:
        final = SimpleNamespace(root=batch.document["root"], n=batch.n)
    record(
        "assembly.close",
        actor="clock",
        estate_id=assembly.estate_id,
        obj=assembly,
        due=assembly.closes_at.isoformat(),
        size=state.size,
        root=final.root,
        final_head=final.n,
    )
    return True


def leaf_hash_of(entry_json: str) -> str:
    return hashlib.sha256(b"\x00" + entry_json.encode("utf-8")).hexdigest()
