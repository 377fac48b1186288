"""The integrity check reads the stored ballots against their log: a ballot edited in the database
is named, and the supervisors' integrity page raises the alarm."""

from __future__ import annotations

from tests.factories import TITLES


def test_a_ballot_edited_in_the_database_is_named_by_the_integrity_check(voting):
    from sqlalchemy import select, text

    from webapp.oversight.integrity import check_estate
    from webapp.voting.models import Ballot

    s = voting
    ids = s.item_ids()
    s.sign_in("1-101")
    assert s.cast(s.ballot("1-101", {ids[TITLES["statute"]]: "agree"}))[0] == 201
    ballot = s.db.scalar(select(Ballot))
    s.db.execute(text("UPDATE ballots SET entry = replace(entry, 'agree', 'disagree') WHERE id = :id"), {"id": ballot.id})
    s.db.commit()
    report = check_estate(s.estate)
    assert any(f.area == "log" and "does not hash to its leaf" in f.en for f in report.findings), report.findings
    s.as_staff("supervisor")
    page = s.client.get(f"/e/{s.estate.slug}/integrity").get_data(as_text=True)
    assert "篡改警报" in page


def test_a_roll_short_of_signatures_is_not_called_consistent_with_them(client, post, login, staff, estate, db_session):
    """A phone walk found '名册第 4 号与监督员签名一致' among the passed checks for a roll with one
    of its two signatures: it read as a roll in force."""
    estate.roll_signatures_required = 2
    db_session.commit()
    login("supervisor")
    post(f"/e/{estate.slug}/roll")
    page = client.get(f"/e/{estate.slug}/integrity").get_data(as_text=True)
    assert "名册第 1 号与监督员签名一致" not in page
    assert "名册第 1 号已有的 0 个签名有效（需要 2 个，尚未生效）" in page
