"""The server checks its own audit bundle with crypto.verify before it signs a tally, accepts a
certification or publishes (issue 17, item 1): a ballot row edited in the database after the seal
is never signed, certified or published, and each refusal is a tampering alarm."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, text

from tests.factories import TITLES, certify_as


def test_a_ballot_edited_after_the_seal_is_never_signed_certified_or_published(voting):
    from webapp.audit.models import AuditEvent
    from webapp.jobs.models import Job
    from webapp.results.models import Certification, TallyRecord
    from webapp.voting.models import Ballot

    s = voting
    ids = s.item_ids()
    for label in ("1-101", "1-102"):
        s.sign_in(label)
        code, body = s.cast(s.ballot(label, {ids[TITLES["statute"]]: "agree"}))
        assert code == 201, body
    s.at(s.assembly.closes_at + timedelta(minutes=1))
    assert s.client.get(f"/p/{s.estate.slug}/a/{s.assembly_id}").status_code == 200
    assert s.assembly.state == "closed"
    ballot = s.db.scalar(select(Ballot).where(Ballot.assembly_id == s.assembly_id).order_by(Ballot.leaf_index))
    honest = ballot.entry

    def edit(entry: str) -> None:  # anyone with write access to the database
        s.db.execute(text("UPDATE ballots SET entry = :entry WHERE id = :id"), {"entry": entry, "id": ballot.id})
        s.db.commit()
        s.db.expire_all()

    base = f"/e/{s.estate.slug}/assemblies/{s.assembly_id}"
    edit(honest.replace("agree", "disagree"))
    s.as_staff("organiser")
    s.post(f"{base}/results/tally")
    assert s.assembly.state == "closed"
    assert s.db.scalar(select(TallyRecord).where(TallyRecord.assembly_id == s.assembly_id)) is None  # nothing signed
    job = s.db.scalar(select(Job).where(Job.kind == "tally").order_by(Job.id.desc()))
    assert job.state == "failed"
    assert "篡改警报" in job.error_zh, job.error_zh
    assert "选票签名" in job.error_zh, job.error_zh
    assert "tampering alarm" in job.error_en, job.error_en
    assert "log entry 0" in job.error_en, job.error_en

    edit(honest)
    s.post(f"{base}/results/tally")
    assert s.assembly.state == "tallied"

    # Posted straight to the API: the server verifies the whole bundle itself.
    edit(honest.replace("agree", "disagree"))
    assert certify_as(s, "supervisor") == 400
    assert s.assembly.state == "tallied"
    assert s.db.scalar(select(Certification).where(Certification.assembly_id == s.assembly_id)) is None

    edit(honest)
    assert certify_as(s, "supervisor") == 200
    assert s.assembly.state == "certified"

    edit(honest.replace("agree", "disagree"))
    s.as_staff("organiser")
    s.post(f"{base}/results/publish")
    assert s.assembly.state == "certified"
    assert s.db.scalar(select(TallyRecord.bundle_sha256).where(TallyRecord.assembly_id == s.assembly_id)) is None

    alarms = list(s.db.scalars(select(AuditEvent).where(AuditEvent.chain == s.estate.id, AuditEvent.action == "tally.tampering")))
    assert [a.details["step"] for a in alarms] == ["signing the tally", "accepting a certification", "publication"]
    assert all("ballot signatures" in a.details["checks"] and a.details["problems"] >= 1 for a in alarms)
    s.as_staff("supervisor")
    page = s.client.get(f"{base}/results").get_data(as_text=True)
    assert page.count("篡改警报") >= 3, page
    for words in ("签署计票结果", "接受核证", "公示", "选票签名"):
        assert words in page
