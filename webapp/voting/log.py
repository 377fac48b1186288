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
from datetime import datetime, timezone
from typing import Iterable, Sequence

from sqlalchemy import bindparam, insert, select, text, tuple_, update

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


def integrate(assembly, *, now: datetime | None = None) -> TreeHead | None:
    """Append every waiting ballot and sign one tree head for the batch (in the caller's
    transaction, which should commit at once: it holds the log's lock).  ``now`` dates the head
    (loading ballots of an assembly held in the past, as the demo does); the server's clock
    otherwise."""
    log = _lock(assembly.id)
    if log.sealed:
        return None
    waiting = db.session.execute(
        select(Ballot.id, Ballot.leaf_hash).where(Ballot.assembly_id == assembly.id, Ballot.leaf_index.is_(None)).order_by(Ballot.id)
    ).all()
    if not waiting:
        return None
    state = TreeState.from_bytes(log.frontier)
    store = DbNodeStore(assembly.id)
    nodes = []
    indices = []
    for ballot_id, leaf_hex in waiting:
        indices.append({"b_id": ballot_id, "idx": state.size})
        state, new = append(state, bytes.fromhex(leaf_hex))
        nodes.extend(new)
    store.put_nodes(nodes)
    db.session.execute(
        update(Ballot.__table__).where(Ballot.__table__.c.id == bindparam("b_id")).values(leaf_index=bindparam("idx")),
        indices,
    )
    log.frontier, log.size = state.to_bytes(), state.size
    head = _sign(assembly, log, state, timestamp=max(ms(now or utcnow()), _last_timestamp(assembly.id)))
    db.session.flush()
    return head


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
    integrate(assembly)
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
