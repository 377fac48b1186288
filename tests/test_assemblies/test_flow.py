"""One assembly end to end through the web: notice, voting, receipts, close, tally, certification,
publication, objections, archive; and the bundle verifies offline."""

from __future__ import annotations

import json
from datetime import timedelta

from crypto import roll as croll
from crypto.notice import notice_digest
from crypto.verify import verify_bundle
from tests.test_assemblies.conftest import TITLES, csrf_of


def certify_as(s, username: str) -> int:
    s.as_staff(username)
    csrf = s.staff_key(username) if username != "supervisor" else csrf_of(s.client, "/staff/keys")
    bundle = json.loads(s.client.get(f"/e/{s.estate.slug}/assemblies/{s.assembly_id}/bundle.json").data)
    final = bundle["log"]["tree_heads"][-1]["sth"]
    payload = croll.certification_payload(
        bundle["notice"]["assembly"],
        notice_digest(bundle["notice"]),
        bundle["roll"]["root"],
        final["size"],
        final["root"],
        croll.tally_digest(bundle["tally"]),
    )
    signature = croll.sign_payload(s.sup_keys[username], payload)
    response = s.client.post(
        f"/e/{s.estate.slug}/assemblies/{s.assembly_id}/certifications",
        json={**signature, "declared_not_voted": True},
        headers={"X-CSRFToken": csrf},
    )
    return response.status_code


def test_an_assembly_runs_from_notice_to_a_verified_bundle(voting, tmp_path):
    s = voting
    ids = s.item_ids()
    s.sign_in("1-101")
    assert 'data-action="ballot"' in s.client.get(f"/me/a/{s.assembly_id}/ballot").get_data(as_text=True)
    election, firm = s.options(TITLES["election"]), s.options(TITLES["firm"])
    code, first = s.cast(
        s.ballot("1-101", {ids[TITLES["statute"]]: "agree", ids[TITLES["election"]]: [election[0]], ids[TITLES["firm"]]: [firm[0]]})
    )
    assert code == 201, first
    assert first["receipt"]["index"] == 0
    code, second = s.cast(s.ballot("1-102", {ids[TITLES["statute"]]: "agree", ids[TITLES["election"]]: [election[0]]}))
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


def test_a_ballot_sent_again_gets_its_receipt_and_a_second_one_is_refused(voting):
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
    assert again["receipt"] == body["receipt"], again
    code, other = s.cast(s.ballot("1-101", {ids[TITLES["statute"]]: "disagree"}))
    assert code == 409, other
    assert "already" in other["error_en"], other
    ballots = list(s.db.scalars(select(Ballot).where(Ballot.assembly_id == s.assembly_id)))
    assert len(ballots) == 1
    assert ballots[0].leaf_index == 0
    events = list(s.db.scalars(select(AuditEvent).where(AuditEvent.action == "ballot.accept")))
    assert [e.object_id for e in events] == [str(ballots[0].id)]
    assert events[0].details == {"assembly": s.assembly_id, "channel": "online", "leaf_hash": ballots[0].leaf_hash}
