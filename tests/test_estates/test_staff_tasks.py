"""A supervisor who signs in sees what waits for them — candidates to vet, a roll to sign, a tally
to certify — on the start page under the estate and on the estate's home page, each a link to the
page where it is done; once they have done it, it is gone (webapp.estates.tasks)."""

from __future__ import annotations

from datetime import timedelta

from tests.factories import LI_TAIL, TITLES, ZHANG_TAIL, certify_as, start_tally, tallied, vote


def _tasks(s, username: str) -> tuple[str, str]:
    """The start page and the estate's home page, as ``username`` sees them."""
    s.as_staff(username)
    return s.client.get("/").get_data(as_text=True), s.client.get(f"/e/{s.estate.slug}/").get_data(as_text=True)


def test_candidates_to_vet_and_a_roll_to_sign_wait_for_the_supervisors_until_done(scenario):
    s = scenario
    s.register_owner("1-101", "张三", ZHANG_TAIL)
    s.register_owner("1-102", "李四", LI_TAIL)
    opens = s.start + timedelta(days=25)
    s.create(opens=opens, closes=opens + timedelta(days=7))
    election = s.add_item("election", 3, TITLES["election"], seats=1, by_election="y")
    s.paper_nomination(election, "1-101", "张三")
    s.paper_nomination(election, "1-102", "李四")
    vet = f"/e/{s.estate.slug}/assemblies/{s.assembly_id}/candidates"
    for page in _tasks(s, "supervisor"):
        assert "“2026年第一次业主大会”等待您审核的候选人：2 名" in page
        assert f'href="{vet}"' in page
    for page in _tasks(s, "organiser"):  # organisers do not vet
        assert "等待您审核" not in page
    s.vet_all_and_publish(election)
    for page in _tasks(s, "supervisor"):
        assert "等待您审核" not in page
    # A roll frozen and not yet signed waits for every supervisor who has not signed it.
    s.as_staff("supervisor")
    s.post(f"/e/{s.estate.slug}/roll", {"assembly": str(s.assembly_id)})
    seq = s.assembly.roll.seq
    for username in ("supervisor", "supervisor2"):
        start, home = _tasks(s, username)
        for page in (start, home):
            assert f"第 {seq} 号名册等待您核对并签署" in page
            assert f'href="/e/{s.estate.slug}/roll/{seq}/sign"' in page
        assert 'id="tasks"' in home


def test_a_signed_roll_no_longer_waits(scenario):
    s = scenario
    s.register_owner("1-101", "张三", ZHANG_TAIL)
    opens = s.start + timedelta(days=25)
    s.create(opens=opens, closes=opens + timedelta(days=7))
    s.add_item("resolution", 2, TITLES["statute"], text="管理规约修订稿见附件。")
    s.freeze_and_sign_roll()
    for page in _tasks(s, "supervisor"):
        assert "号名册等待您核对并签署" not in page
        assert "等待您处理" not in page


def test_a_tally_waits_for_the_supervisors_until_certified(voting):
    s = voting
    tallied(s)
    for username in ("supervisor", "supervisor2"):
        for page in _tasks(s, username):
            assert "“2026年第一次业主大会”的计票结果等待您核证" in page
            assert f'href="/e/{s.estate.slug}/assemblies/{s.assembly_id}/certify"' in page
    for page in _tasks(s, "organiser"):  # organisers never certify
        assert "等待您核证" not in page
    assert certify_as(s, "supervisor") == 200
    for page in _tasks(s, "supervisor"):
        assert "的计票结果等待您核证" not in page


def test_an_organiser_is_asked_to_tally_a_closed_vote_then_to_publish_the_certified_result(voting):
    s = voting
    vote(s)
    for page in _tasks(s, "organiser"):  # still voting: nothing to do yet
        assert "等待您计票" not in page
    s.at(s.assembly.closes_at + timedelta(minutes=1))  # closed by the clock; no page has moved its state yet
    results = f'href="/e/{s.estate.slug}/assemblies/{s.assembly_id}/results"'
    for page in _tasks(s, "organiser"):
        assert "“2026年第一次业主大会”投票已截止，等待您计票" in page
        assert results in page
    for page in _tasks(s, "supervisor"):  # organisers tally
        assert "等待您计票" not in page
    assert start_tally(s).status_code == 302
    for page in _tasks(s, "organiser"):
        assert "等待您计票" not in page
    assert certify_as(s, "supervisor") == 200
    for page in _tasks(s, "organiser"):
        assert "“2026年第一次业主大会”的结果已核证，等待您公示" in page
        assert results in page
