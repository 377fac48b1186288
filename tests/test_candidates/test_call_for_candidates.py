"""A draft is the organisers' working copy (issue 16): owners cannot nominate into it, nor open its
nomination page, until the organisers call for candidates; only an organiser calls, once, for an
agenda with an election and before the deadline."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.factories import TITLES, ZHANG_TAIL, nothing_written


@pytest.fixture
def draft(scenario):
    """A draft with an election, nominations closing in ten days; 张三 (1-101) registered."""
    s = scenario
    s.register_owner("1-101", "张三", ZHANG_TAIL)
    s.create(opens=s.now + timedelta(days=30), closes=s.now + timedelta(days=37))
    s.assembly.nomination_deadline = s.now + timedelta(days=10)
    s.election_id = s.add_item("election", 3, TITLES["election"], seats=1, by_election="y")
    s.db.commit()
    return s


def test_owners_cannot_nominate_into_a_draft_before_the_call(draft):
    from webapp.assemblies.models import AgendaItem
    from webapp.candidates import operations as cops
    from webapp.owners.models import Registration

    s = draft
    s.sign_in("1-101")
    assert s.client.get(f"/me/a/{s.assembly_id}/nominate").status_code == 404
    assert "提名候选人" not in s.client.get("/me").get_data(as_text=True)
    registration = s.db.query(Registration).one()
    with nothing_written(s.db), pytest.raises(cops.CandidateError, match="not called for candidates"):
        cops.nominate_self(s.db.get(AgendaItem, s.election_id), registration, statement="愿意服务", party_member=False)
    s.db.rollback()

    s.as_staff("organiser")
    assert s.post(f"/e/{s.estate.slug}/assemblies/{s.assembly_id}/nominations").status_code == 302
    s.sign_in("1-101")
    assert s.client.get(f"/me/a/{s.assembly_id}/nominate").status_code == 200
    assert f"/me/a/{s.assembly_id}/nominate" in s.client.get("/me").get_data(as_text=True)


def test_only_an_organiser_calls_for_candidates_once_for_an_election_before_the_deadline(draft):
    from webapp.assemblies import operations as ops

    s = draft
    assembly = s.assembly
    with pytest.raises(ops.AssemblyError, match="only an organiser"):
        ops.open_nominations(assembly, actor=s.staff["supervisor"])
    with pytest.raises(ops.AssemblyError, match="deadline has passed"):
        ops.open_nominations(assembly, actor=s.staff["organiser"], now=assembly.nomination_deadline + timedelta(minutes=1))
    ops.open_nominations(assembly, actor=s.staff["organiser"])
    with pytest.raises(ops.AssemblyError, match="already been made"):
        ops.open_nominations(assembly, actor=s.staff["organiser"])
    s.db.rollback()
