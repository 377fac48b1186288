"""On PostgreSQL the fast path checks the ballot against the assembly as read (now or up to a
second before) and signs its promise, then inserts in a statement that checks again what may have
changed in between (webapp.voting.casting, _fast_statements).  Each test changes one thing between the read and the insert, as another
request could, and the ballot must then be refused for that reason, with nothing stored and no
promise given."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, update

from tests.factories import TITLES
from webapp.voting.models import Ballot


class Between:
    """The changes to make between the fast path's read and its insert, and how many ballots got
    that far."""

    def __init__(self):
        self.changes = []
        self.reached = 0

    def __call__(self, change) -> None:
        self.changes.append(change)


@pytest.fixture
def between(voting, monkeypatch):
    """``between(change)``: run ``change(s)`` once the fast path has read, checked and signed,
    before its insert (on the test's connection, where the fast path's statements also run).
    李四 (1-102) has voted first, which records the server key in the installation's key set (the
    full path does that; the fast path then finds the key's row)."""
    from webapp.voting import casting

    s = voting
    if s.db.get_bind().dialect.name != "postgresql":
        pytest.skip("on SQLite the fast path reads and inserts in one transaction: nothing comes between")
    s.sign_in("1-102")
    assert s.cast(s.ballot("1-102", {s.item_ids()[TITLES["statute"]]: "agree"}))[0] == 201
    plan = Between()
    original = casting._accept

    def accept_then_change(*args, **kwargs):
        accepted = original(*args, **kwargs)
        assert accepted is not None, "the fast path should have accepted this ballot up to its insert"
        plan.reached += 1
        for change in plan.changes:
            change(s)
        return accepted

    monkeypatch.setattr(casting, "_accept", accept_then_change)
    return plan


def _stored(s) -> int:
    """李四's and 张三's ballots stored (李四's is there from the fixture)."""
    s.db.expire_all()
    return s.db.scalar(select(func.count(Ballot.id)).where(Ballot.assembly_id == s.assembly_id)) - 1


def _cast(s):
    s.sign_in("1-101")
    return s.cast(s.ballot("1-101", {s.item_ids()[TITLES["statute"]]: "agree"}))


def test_a_key_revoked_after_the_read_is_refused_at_the_insert(voting, between):
    from webapp.devices.models import DeviceKey

    s = voting
    between(lambda s: s.db.execute(update(DeviceKey).where(DeviceKey.kid == s.devices["1-101"].signer.kid).values(state="revoked")))
    code, answer = _cast(s)
    assert code == 403, answer
    assert "已被注销" in answer["error"]
    assert "promise" not in answer
    assert between.reached == 1
    assert _stored(s) == 0


def test_voting_closed_after_the_read_refuses_the_ballot_at_the_insert(voting, between):
    from webapp.assemblies.models import Assembly

    s = voting
    between(lambda s: s.db.execute(update(Assembly).where(Assembly.id == s.assembly_id).values(state="closed")))
    code, answer = _cast(s)
    assert code != 201, answer
    assert "promise" not in answer
    assert between.reached == 1
    assert _stored(s) == 0


def test_a_server_key_whose_period_no_longer_covers_the_promise_stores_nothing(voting, between):
    from datetime import UTC, datetime

    from webapp.core.models import InstallationKey
    from webapp.core.serverkey import signer

    s = voting
    later = datetime(2100, 1, 1, tzinfo=UTC)
    between(lambda s: s.db.execute(update(InstallationKey).where(InstallationKey.kid == signer().kid).values(not_before=later)))
    code, answer = _cast(s)
    assert code == 503, answer
    assert "promise" not in answer
    assert between.reached == 1
    assert _stored(s) == 0


def test_nothing_changed_between_the_read_and_the_insert_accepts_the_ballot(voting, between):
    s = voting
    code, answer = _cast(s)
    assert code == 201, answer
    assert answer["promise"]
    assert between.reached == 1  # on the fast path
    assert _stored(s) == 1
