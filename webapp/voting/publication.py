"""What the public sees of a log while voting is open: tree heads, and who has voted, only in
batches of at least the estate's ``publish_batch`` ballots.

Polling the turnout page and the tree heads every quarter second once tied most units to their
exact leaf (so, with the bundle, to their choices).  The sequencer integrates every second, in
random order within a batch; what is *published* moves only when at least ``publish_batch``
ballots have been integrated since the last published head, so a unit that appears in the
turnout can be any of at least that many leaves.  After the close everything is published (the
last batch may be smaller, and the pages say so).  docs/security.md says what this gives and
what remains.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select

from webapp.core.db import db
from webapp.voting import log as ballot_log
from webapp.voting.models import Ballot, TreeHead


def published(heads: Sequence[TreeHead], batch: int, *, open_: bool) -> list[TreeHead]:
    """The heads the public sees: the first (empty) one, then each head at least ``batch``
    ballots past the last one shown, and the final one; all of them once voting is over."""
    if not open_:
        return list(heads)
    shown: list[TreeHead] = []
    for head in heads:
        if not shown or head.final or head.size - shown[-1].size >= batch:
            shown.append(head)
    return shown


def is_open(assembly) -> bool:
    return assembly.state == "voting"


def public_heads(assembly) -> list[TreeHead]:
    return published(ballot_log.heads(assembly.id), assembly.estate.publish_batch, open_=is_open(assembly))


@dataclass(frozen=True)
class Shown:
    """Where the public view of a log stands."""

    size: int  # ballots shown (the newest published head's size)
    integrated: int  # ballots in the log
    accepted: int  # ballots accepted, in the log or waiting for the sequencer
    batch: int  # the estate's publication batch
    last_batch: int | None  # after the close: the size of the last batch (may be under ``batch``)


def shown(assembly) -> Shown:
    heads = ballot_log.heads(assembly.id)
    batch = assembly.estate.publish_batch
    public = published(heads, batch, open_=is_open(assembly))
    size = public[-1].size if public else 0
    accepted = db.session.scalar(select(func.count()).select_from(Ballot).where(Ballot.assembly_id == assembly.id)) or 0
    last_batch = None
    if not is_open(assembly) and heads and heads[-1].final:
        # The batches as they were shown while voting: the last one before the close may be small.
        during = published(heads[:-1], batch, open_=True)
        last_batch = heads[-1].size - (during[-1].size if during else 0)
    return Shown(size, heads[-1].size if heads else 0, accepted, batch, last_batch)


def voted_members(assembly, where: Shown | None = None) -> set[str]:
    """The members whose ballots the public may know of: in the published part of the log while
    voting is open; every ballot accepted once it is over.  ``where``: ``shown(assembly)`` if the
    caller has it already (each reads every tree head of the log)."""
    query = select(Ballot.member).where(Ballot.assembly_id == assembly.id)
    if is_open(assembly):
        if where is not None:
            size = where.size
        else:
            public = public_heads(assembly)
            size = public[-1].size if public else 0
        query = query.where(Ballot.leaf_index < size)
    return set(db.session.scalars(query.distinct()))
