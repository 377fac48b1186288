"""One assembly end to end through the web: notice, voting, receipts, close, tally, certification,
publication, objections, archive; and the bundle verifies offline."""

from __future__ import annotations

import json
from datetime import timedelta

from crypto.verify import verify_bundle
from tests.factories import TITLES, certify_as


def test_an_assembly_runs_from_notice_to_a_verified_bundle(voting, tmp_path):
    s = voting
    ids = s.item_ids()
    s.sign_in("1-101")
    assert 'data-action="ballot"' in s.client.get(f"/me/a/{s.assembly_id}/ballot").get_data(as_text=True)
    election, firm = s.options(TITLES["election"]), s.options(TITLES["firm"])
    code, first = s.cast_in_log(
        s.ballot("1-101", {ids[TITLES["statute"]]: "agree", ids[TITLES["election"]]: [election[0]], ids[TITLES["firm"]]: [firm[0]]})
    )
    assert code == 201, first
    assert first["receipt"]["index"] == 0
    code, second = s.cast_in_log(s.ballot("1-102", {ids[TITLES["statute"]]: "agree", ids[TITLES["election"]]: [election[0]]}))
    assert code == 201, second
    receipt_page = s.client.get(second["next"]).get_data(as_text=True)
    assert second["receipt"]["code"] in receipt_page

    s.at(s.assembly.closes_at + timedelta(minutes=1))
    assert s.client.get(f"/p/{s.estate.slug}/a/{s.assembly_id}").status_code == 200
    assert s.assembly.state == "closed"

    s.as_staff("organiser")
    assert s.post(f"/e/{s.estate.slug}/assemblies/{s.assembly_id}/results/tally").status_code == 302
    assert s.assembly.state == "tallied"
    assert certify_as(s, "supervisor") == 200
    assert s.assembly.state == "certified"
    s.as_staff("organiser")
    s.post(f"/e/{s.estate.slug}/assemblies/{s.assembly_id}/results/publish")
    assert s.assembly.state == "published"

    bundle = json.loads(s.client.get(f"/p/{s.estate.slug}/a/{s.assembly_id}/bundle.json").data)
    report = verify_bundle(bundle, [("first", first["receipt"]), ("second", second["receipt"])])
    assert report.ok, report.failures
    page = s.client.get(f"/p/{s.estate.slug}/a/{s.assembly_id}/results").get_data(as_text=True)
    assert "tag ok" in page
    from webapp.oversight.integrity import check_estate

    report = check_estate(s.estate)
    assert report.ok, report.findings

    s.sign_in("1-102")
    s.post(f"/p/{s.estate.slug}/a/{s.assembly_id}/objections", {"text": "第2号楼的选票统计有疑问"})
    s.later(days=8)
    s.as_staff("organiser")
    s.post(f"/e/{s.estate.slug}/assemblies/{s.assembly_id}/results/archive")
    assert s.assembly.state == "published"  # an objection still has no answer
    from sqlalchemy import select

    from webapp.results.models import Objection

    objection = s.db.scalar(select(Objection))
    s.as_staff("supervisor")
    s.post(f"/e/{s.estate.slug}/assemblies/{s.assembly_id}/objections/{objection.id}/answer", {"answer": "已核对，统计无误。"})
    s.as_staff("organiser")
    s.post(f"/e/{s.estate.slug}/assemblies/{s.assembly_id}/results/archive")
    assert s.assembly.state == "archived"
