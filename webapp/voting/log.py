"""An assembly's append-only RFC 6962 log in the database.

The frontier (crypto.merkle.TreeState) lives in one row, complete-subtree nodes in ``log_nodes``
(written once, never updated), so an append costs O(log n) hashing and about two node inserts,
and an inclusion proof reads O(log n) nodes in one query, however long the log.

Accepted ballots are first committed on their own (durable: a crash loses nothing
acknowledged), then *integrated* by a sequencer, as Trillian's does: whoever takes the log row's
lock appends every ballot waiting at that moment, stores the nodes and signs one tree head for
the batch.  Under load, ballots that arrive while a batch is being integrated wait for the lock
and are taken together by the next holder, so appends do not serialise one by one on the row.
A receipt is given only once its ballot is under a signed tree head.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Iterable, Sequence

from sqlalchemy import bindparam, func, insert, select, text, tuple_, update

from crypto.merkle import EMPTY_ROOT, TreeState, append, consistency_proof, inclusion_proof, root_at
from crypto.treehead import make_receipt, sign_tree_head
from webapp.core.db import db, utcnow
from webapp.voting.models import Ballot, BallotLog, LogNode, TreeHead


class DbNodeStore:
    """crypto.merkle.NodeStore over ``log_nodes``: a proof's nodes in one query."""

    def __init__(self, assembly_id: int):
        self.assembly_id = assembly_id

    def get_nodes(self, keys: Sequence[tuple[int, int]]) -> list[bytes]:
        if not keys:
            return []
        rows = db.session.execute(
            select(LogNode.level, LogNode.idx, LogNode.hash)
            .where(LogNode.assembly_id == self.assembly_id, tuple_(LogNode.level, LogNode.idx).in_(list(keys)))
        )
        found = {(level, idx): bytes(h) for level, idx, h in rows}
        return [found[k] for k in keys]

    def put_nodes(self, nodes: Iterable[tuple[int, int, bytes]]) -> None:
        rows = [{"assembly_id": self.assembly_id, "level": level, "idx": idx, "hash": h} for level, idx, h in nodes]
        if rows:
            db.session.execute(insert(LogNode), rows)


def db_clock():
    """The database's clock as an SQL expression, to be read inside a statement (PostgreSQL)."""
    return func.clock_timestamp()


def db_now() -> datetime:
    """The database's clock (the one that decides whether a ballot is in time)."""
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        return db.session.execute(text("SELECT clock_timestamp()")).scalar_one()
    raw = db.session.execute(text("SELECT strftime('%Y-%m-%d %H:%M:%f', 'now')")).scalar_one()
    return datetime.strptime(raw, "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=timezone.utc)


def ms(value: datetime) -> int:
    return int(value.timestamp() * 1000)


def audit_head(estate_id: int) -> tuple[int, str] | None:
    """The estate's audit chain head, anchored in every tree head the server signs."""
    from webapp.audit.models import AuditEvent

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
    from webapp.core.serverkey import signer

    notice = assembly.current_notice
    document = sign_tree_head(signer(), assembly.log_id, state.size, state.root(), timestamp, n=log.heads,
                              notice=notice.sha256, audit=audit_head(assembly.estate_id), final=final)
    head = TreeHead(assembly_id=assembly.id, n=log.heads, size=state.size, root=document["root"], timestamp=timestamp,
                    final=final, document=document)
    db.session.add(head)
    log.heads += 1
    return head


def open_log(assembly, *, now: datetime | None = None) -> TreeHead:
    """The empty log, with its first signed tree head (size 0), at the opening."""
    now = now or utcnow()
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


def integrate(assembly, *, now: datetime | None = None, record_accepts: bool = False) -> Batch | None:
    """Append every waiting ballot and sign one tree head for the batch (in the caller's
    transaction, which should commit at once: it holds the log's lock).  ``now`` dates the head
    (loading ballots of an assembly held in the past, as the demo does); the server's clock
    otherwise.  With ``record_accepts`` the batch's online ballots get their ``ballot.accept``
    audit events in the same transaction (the casting path; paper ballots are recorded by
    their entry, bulk loads by their caller)."""
    return integrate_context(assembly if isinstance(assembly, LogContext) else context_of(assembly), now=now,
                             record_accepts=record_accepts)


def integrate_context(ctx: LogContext, *, now: datetime | None = None, record_accepts: bool = False) -> Batch | None:
    from webapp.core.serverkey import signer

    logs, ballots, heads_t = BallotLog.__table__, Ballot.__table__, TreeHead.__table__
    last_ts = select(heads_t.c.timestamp).where(heads_t.c.assembly_id == ctx.assembly_id).order_by(heads_t.c.n.desc()).limit(1)
    query = select(logs.c.frontier, logs.c.size, logs.c.heads, logs.c.sealed, last_ts.scalar_subquery().label("last_ts")) \
        .where(logs.c.assembly_id == ctx.assembly_id)
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(of=logs)
    log = db.session.execute(query).one()
    if log.sealed:
        return None
    waiting = db.session.execute(
        select(ballots.c.id, ballots.c.leaf_hash, ballots.c.channel, ballots.c.signer)
        .where(ballots.c.assembly_id == ctx.assembly_id, ballots.c.leaf_index.is_(None)).order_by(ballots.c.id)
    ).all()
    if not waiting:
        return None
    state = TreeState.from_bytes(log.frontier)
    nodes, indices = [], {}
    for ballot_id, leaf_hex, _, _ in waiting:
        indices[ballot_id] = state.size
        state, new = append(state, bytes.fromhex(leaf_hex))
        nodes.extend(new)
    DbNodeStore(ctx.assembly_id).put_nodes(nodes)
    db.session.execute(
        update(ballots).where(ballots.c.id == bindparam("b_id")).values(leaf_index=bindparam("idx")),
        [{"b_id": ballot_id, "idx": index} for ballot_id, index in indices.items()],
    )
    anchor = None
    if record_accepts:
        from webapp.audit.operations import record_many

        anchor = record_many(ctx.estate_id, [
            {"action": "ballot.accept", "actor": "proxy" if who == "proxy" else "owner", "object_type": "Ballot", "object_id": str(ballot_id),
             "details": {"assembly": ctx.assembly_id, "channel": channel, "leaf_hash": leaf_hex}}
            for ballot_id, leaf_hex, channel, who in waiting if channel == "online"
        ])
    if anchor is None:
        anchor = audit_head(ctx.estate_id)
    timestamp = max(ms(now or utcnow()), log.last_ts or 0)
    document = sign_tree_head(signer(), ctx.log_id, state.size, state.root(), timestamp, n=log.heads, notice=ctx.notice, audit=anchor)
    db.session.execute(update(logs).where(logs.c.assembly_id == ctx.assembly_id)
                       .values(frontier=state.to_bytes(), size=state.size, heads=log.heads + 1))
    db.session.execute(insert(heads_t).values(assembly_id=ctx.assembly_id, n=log.heads, size=state.size, root=document["root"],
                                              timestamp=timestamp, final=False, document=document))
    return Batch(log.heads, state.size, document, indices)


def sequence(ctx: LogContext, ballot_id: int, leaf_hex: str, *, heads_before: int = 0) -> dict:
    """Make a committed ballot a leaf and return its receipt: take the log's lock and integrate
    every ballot waiting (this one among them, unless the lock's previous holder took it in its
    batch), commit, then build the receipt from the first signed tree head that covers it.
    ``heads_before`` is a number of tree heads read before the ballot committed (none of those
    can cover it), so that finding its head reads only the newest ones."""
    batch = integrate_context(ctx, record_accepts=True)
    db.session.commit()
    if batch is not None and ballot_id in batch.indices:
        index, document = batch.indices[ballot_id], batch.document
    else:
        heads_t, ballots = TreeHead.__table__, Ballot.__table__
        row = db.session.execute(
            select(ballots.c.leaf_index, heads_t.c.document)
            .join(heads_t, (heads_t.c.assembly_id == ballots.c.assembly_id) & (heads_t.c.size > ballots.c.leaf_index))
            .where(ballots.c.id == ballot_id, heads_t.c.n >= heads_before).order_by(heads_t.c.n).limit(1)
        ).first()
        if row is None:  # pragma: no cover - a committed ballot is always integrated by the lock's holder
            return None
        index, document = row.leaf_index, row.document
    proof = inclusion_proof(DbNodeStore(ctx.assembly_id), index, document["size"])
    return make_receipt(document, index, bytes.fromhex(leaf_hex), proof)


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
    return make_receipt(head.document, ballot.leaf_index, bytes.fromhex(ballot.leaf_hash), proof)


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
    from webapp.assemblies.models import Assembly
    from webapp.audit.operations import record

    if assembly.state != "voting":
        return False
    now = db_now()
    if now < assembly.closes_at:
        return False
    _lock_assembly(assembly)
    done = db.session.execute(
        update(Assembly).where(Assembly.id == assembly.id, Assembly.state == "voting").values(state="closed", closed_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not done:
        db.session.refresh(assembly)
        return False
    db.session.refresh(assembly)
    integrate(assembly, record_accepts=True)  # the accepted ballots whose requests have not sequenced them yet
    log = _lock(assembly.id)
    state = TreeState.from_bytes(log.frontier)
    final = _sign(assembly, log, state, timestamp=max(ms(assembly.closes_at), ms(now), _last_timestamp(assembly.id)), final=True)
    log.sealed = True
    db.session.flush()
    record("assembly.close", actor="clock", estate_id=assembly.estate_id, obj=assembly, due=assembly.closes_at.isoformat(),
           size=state.size, root=final.root, final_head=final.n)
    return True


def leaf_hash_of(entry_json: str) -> str:
    return hashlib.sha256(b"\x00" + entry_json.encode("utf-8")).hexdigest()
