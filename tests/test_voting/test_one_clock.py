"""One clock (issue 18, item 6): the database's clock, which accepts ballots and closes the vote,
also opens it, dates tree heads and audit events; an app server whose clock is days fast or hours
slow changes none of them, and ``ownersvote check`` flags a tree head dated before a ballot it
covers.  The scenario's database clock follows the test's; here it is set apart from it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from tests.factories import LI_TAIL, TITLES, ZHANG_TAIL


def database_clock(monkeypatch, offset: timedelta) -> None:
    """The database's clock ``offset`` from the app server's (the test's travelled clock)."""
    from sqlalchemy import bindparam

    from webapp.core import db as database
    from webapp.core.db import UTCDateTime, utcnow

    monkeypatch.setattr(database, "db_now", lambda session=None: utcnow() + offset)
    monkeypatch.setattr(database, "db_clock", lambda: bindparam("test_clock", callable_=lambda: utcnow() + offset, type_=UTCDateTime()))


@pytest.fixture
def noticed(scenario):
    """The voting fixture's assembly, its notice published and roll signed, before it opens."""
    s = scenario
    s.announce(("1-101", "张三", ZHANG_TAIL), ("1-102", "李四", LI_TAIL))
    s.freeze_and_sign_roll()
    return s


def test_an_app_server_three_days_fast_does_not_open_voting_early(noticed, monkeypatch):
    s = noticed
    opens = s.assembly.opens_at
    s.at(opens + timedelta(hours=1))  # the app server's clock: voting should be open ...
    database_clock(monkeypatch, -timedelta(days=3))  # ... the database's: three days to go
    page = s.client.get(f"/p/{s.estate.slug}/a/{s.assembly_id}")
    assert page.status_code == 200
    s.db.expire_all()
    assert s.assembly.state == "notice"
    assert s.assembly.opened_at is None
    # Once the database's clock is there, it opens, at that clock's time.
    database_clock(monkeypatch, timedelta(minutes=-50))
    s.client.get(f"/p/{s.estate.slug}/a/{s.assembly_id}")
    s.db.expire_all()
    assert s.assembly.state == "voting"
    assert abs(s.assembly.opened_at - (s.now + timedelta(minutes=-50))) < timedelta(minutes=1)


def test_tree_heads_and_audit_events_are_dated_by_the_database_clock(voting, monkeypatch):
    from webapp.audit.models import AuditEvent
    from webapp.voting.models import Ballot, TreeHead

    s = voting
    slow = timedelta(hours=2)  # the app server is two hours slow
    database_clock(monkeypatch, slow)
    s.sign_in("1-101")
    code, body = s.cast(s.ballot("1-101", {s.item_ids()[TITLES["statute"]]: "agree"}))
    assert code == 201, body
    s.sequence()
    s.db.expire_all()
    ballot = s.db.scalar(select(Ballot).where(Ballot.assembly_id == s.assembly_id))
    head = s.db.scalar(select(TreeHead).where(TreeHead.assembly_id == s.assembly_id).order_by(TreeHead.n.desc()))
    assert head.size == 1
    assert head.document["timestamp"] >= int(ballot.received_at.timestamp() * 1000)
    assert abs(head.document["timestamp"] / 1000 - (s.now + slow).timestamp()) < 600
    accepted = s.db.scalar(select(AuditEvent).where(AuditEvent.action == "ballot.accept"))
    assert abs(accepted.at - (s.now + slow)) < timedelta(minutes=10)


def test_check_flags_a_tree_head_dated_before_a_ballot_it_covers(voting):
    from webapp.oversight.integrity import check_estate
    from webapp.voting.models import Ballot, TreeHead

    s = voting
    s.sign_in("1-101")
    code, body = s.cast(s.ballot("1-101", {s.item_ids()[TITLES["statute"]]: "agree"}))
    assert code == 201, body
    s.sequence()
    s.db.expire_all()
    assert not [f for f in check_estate(s.estate).findings if "dated before" in f.en]
    # As a server whose clock was 8 minutes behind the database's signed it (before the fix).
    head = s.db.scalar(select(TreeHead).where(TreeHead.assembly_id == s.assembly_id, TreeHead.size == 1))
    ballot = s.db.scalar(select(Ballot).where(Ballot.assembly_id == s.assembly_id))
    later = ballot.received_at + timedelta(
        milliseconds=head.document["timestamp"] - int(ballot.received_at.timestamp() * 1000) + 8 * 60_000
    )
    s.db.execute(update(Ballot).where(Ballot.id == ballot.id).values(received_at=later))
    s.db.commit()
    s.db.expire_all()
    found = [f for f in check_estate(s.estate).findings if "dated before" in f.en]
    assert len(found) == 1
    assert "1 tree head(s)" in found[0].en
    assert "by 480 s" in found[0].en
    assert "树头的时间早于" in found[0].zh
