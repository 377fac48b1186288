"""A ballot sent again gets the receipt it got the first time; a second, different ballot of the
same member is refused, and the log and the audit trail hold the first one only."""

from __future__ import annotations

from tests.factories import TITLES


def test_a_ballot_sent_again_gets_its_promise_then_its_receipt_and_a_second_one_is_refused(voting):
    """The fast path takes only the common case; a repeat and a second ballot of the same member
    fall back to the full path, which answers as before."""
    from sqlalchemy import select

    from webapp.audit.models import AuditEvent
    from webapp.voting.models import Ballot

    s = voting
    ids = s.item_ids()
    s.sign_in("1-101")
    first = s.ballot("1-101", {ids[TITLES["statute"]]: "agree"})
    code, body = s.cast(first)
    assert code == 201, body
    code, again = s.cast(first)
    assert code == 200, again
    assert again["repeated"] is True, again
    assert again["promise"] == body["promise"], again
    assert "receipt" not in again  # not in the log yet
    s.sequence()
    code, third = s.cast(first)
    assert code == 200, third
    assert third["promise"] == body["promise"], third
    assert third["receipt"]["promise"] == body["promise"], third
    assert third["receipt"]["code"] == body["code"], third
    code, other = s.cast(s.ballot("1-101", {ids[TITLES["statute"]]: "disagree"}))
    assert code == 409, other
    assert "already" in other["error_en"], other
    ballots = list(s.db.scalars(select(Ballot).where(Ballot.assembly_id == s.assembly_id)))
    assert len(ballots) == 1
    assert ballots[0].leaf_index == 0
    events = list(s.db.scalars(select(AuditEvent).where(AuditEvent.action == "ballot.accept")))
    assert [e.object_id for e in events] == [str(ballots[0].id)]
    assert events[0].details == {"assembly": s.assembly_id, "channel": "online", "leaf_hash": ballots[0].leaf_hash}
