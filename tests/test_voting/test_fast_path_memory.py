"""On PostgreSQL the fast path keeps what it read of an assembly for a moment, and a frozen roll's
keys for good, so that a ballot costs one statement: the insert, which checks again everything
that can change (webapp.voting.casting).  What it keeps must never make it accept what the
database would not: a promise's time comes from the database's clock as read with the assembly,
and the insert refuses one that is ahead of its clock or too far behind it, leaving the full path
to date the ballot afresh."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.factories import TITLES


@pytest.fixture
def fast(voting, monkeypatch):
    """The voting fixture on PostgreSQL, 李四 (1-102) having voted (the full path records the
    server key on the first ballot), the fast path's statements counted, and its memory of the
    assembly kept for the test's length."""
    from webapp.voting import casting

    s = voting
    if s.db.get_bind().dialect.name != "postgresql":
        pytest.skip("on SQLite the fast path reads the assembly and the member in the request's transaction, every time")
    # What this process read of assemblies before (an earlier test, rolled back, may have left an
    # entry under this assembly's id) must not stand in for this test's own read.
    monkeypatch.setattr(casting, "_SEEN", {})
    monkeypatch.setattr(casting, "ASSEMBLY_SECONDS", 3600.0)
    s.sign_in("1-102")
    assert s.cast(s.ballot("1-102", {s.item_ids()[TITLES["statute"]]: "agree"}))[0] == 201
    statements = []
    for name in ("run_first", "run_for_id"):  # the reads, and the insert
        monkeypatch.setattr(casting, name, _counted(getattr(casting, name), statements))
    s.statements = statements
    return s


def _counted(run, statements):
    def counted(cursor, statement, values):
        statements.append(values)
        return run(cursor, statement, values)

    return counted


def _zhang(s, **overrides):
    s.sign_in("1-101")
    return s.ballot("1-101", {s.item_ids()[TITLES["statute"]]: "agree"}, **overrides)


def test_once_the_assembly_and_its_roll_are_read_a_ballot_is_one_statement(fast):
    from webapp.voting.casting import _ROLLS

    s = fast
    ballot = _zhang(s)
    code, answer = s.cast(ballot)
    assert code == 201, answer
    assert len(s.statements) == 2  # the assembly's read and the insert
    assert s.assembly.roll_id in {roll_id for roll_id, _ in _ROLLS}
    assert answer["next"] == f"/p/{s.estate.slug}/a/{s.assembly_id}/receipt/{answer['code']}"
    # The same ballot again: the fast path's insert finds it there (one statement, nothing read
    # again) and the full path answers with the same promise.
    del s.statements[:]
    again_code, again = s.cast(ballot)
    assert again_code == 200, again
    assert again["repeated"] is True
    assert again["promise"] == answer["promise"]
    assert len(s.statements) == 1


def test_a_roll_larger_than_the_process_keeps_is_read_member_by_member(fast, monkeypatch):
    s = fast
    monkeypatch.setitem(s.app.config, "OWNERSVOTE_ROLL_CACHE_MEMBERS", 1)
    code, answer = s.cast(_zhang(s))
    assert code == 201, answer
    assert len(s.statements) == 3  # the assembly, the member's keys, the insert


@pytest.mark.parametrize("moved", [timedelta(hours=1), -timedelta(minutes=30)], ids=["clock-ahead", "clock-behind"])
def test_a_promise_time_not_within_the_database_clock_is_dated_afresh(fast, monkeypatch, moved):
    """The database's clock moves (as a server's time is corrected) after the fast path read it
    with the assembly: a promise dated from that read would lie by the move, so the insert refuses
    it and the full path dates the ballot by the clock as it is."""
    from sqlalchemy import bindparam

    from webapp.core import db as database
    from webapp.core.db import UTCDateTime, utcnow

    s = fast
    # A ballot with a signature that does not verify: the fast path reads and keeps the assembly
    # (and the database's clock), then leaves it to the full path, which refuses it.
    code, answer = s.cast(_zhang(s, signer=s.devices["1-102"].signer))
    assert code == 403, answer
    assert len(s.statements) == 1
    monkeypatch.setattr(database, "db_now", lambda session=None: utcnow() + moved)
    monkeypatch.setattr(database, "db_clock", lambda: bindparam("test_clock", callable_=lambda: utcnow() + moved, type_=UTCDateTime()))
    code, answer = s.cast(_zhang(s))
    assert code == 201, answer
    assert len(s.statements) == 2  # the kept read, and the insert that refused its time (the full path reads afresh)
    accepted = answer["promise"]["accepted"] / 1000
    assert abs(accepted - (utcnow() + moved).timestamp()) < 60


def test_an_assembly_read_before_its_notice_changed_sends_the_ballot_to_the_full_path(fast):
    """What a process read of an assembly a moment ago names a notice: should the database no
    longer have that notice (a test's rolled-back data under a reused id; never in production,
    where notices stay), the fast path declines and the full path takes the ballot."""
    from webapp.voting import casting

    s = fast
    code, answer = s.cast(_zhang(s, signer=s.devices["1-102"].signer))  # read and kept, then refused (a wrong key)
    assert code == 403, answer
    ((key, seen),) = casting._SEEN.items()
    stale = seen.row._replace(notice="0" * 64)
    casting._SEEN[key] = casting.Seen(stale, seen.read_mono)
    code, body = s.cast(_zhang(s))
    assert code == 201, body
