"""Bad input and faults after the close: certifying, publishing, objecting and the tally job.

Each case is refused with a clear message in the reader's language (Chinese unless they chose
English) or recovered, and leaves nothing half-written: no row, no state change and no audit event
for the refused action.  The database failing in the middle of the tally job fails the job cleanly,
and running it again gives the same tally document as a clean run.
"""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.exc import OperationalError

import tally as tally_engine
from crypto import roll as croll
from crypto.canonical import canonical_json
from crypto.keys import generate_ed25519
from tests.factories import (
    TITLES,
    ZHANG_TAIL,
    Device,
    as_supervisor,
    close,
    count,
    events,
    page_text,
    payload_of,
    post_certification,
    published,
    signed,
    staff_bundle,
    start_tally,
    state,
    tallied,
    vote,
)
from webapp.audit.models import AuditEvent
from webapp.jobs.models import Job
from webapp.results.models import Certification, Objection, TallyRecord

# ------------------------------------------------------------------------------------------------
# Helpers


def certifications(s) -> int:
    return count(s, Certification, Certification.assembly_id == s.assembly_id)


def flip_a_bit(sig: str) -> str:
    raw = bytearray(base64.urlsafe_b64decode(sig + "=" * (-len(sig) % 4)))
    raw[len(raw) // 2] ^= 0x01
    encoded = base64.urlsafe_b64encode(bytes(raw)).decode()
    return encoded.rstrip("=") if not sig.endswith("=") else encoded


def assert_nothing_certified(s, *, before: int = 0, events_before: int = 0) -> None:
    assert certifications(s) == before
    assert events(s, "tally.certify") == events_before
    assert events(s, "assembly.certified") == 0
    assert state(s) == "tallied"


@pytest.fixture
def voting_two_signatures(estate, db_session, request):
    """The ``voting`` assembly of an estate whose rules ask two supervisors to certify a tally
    (k = 2), fixed in the notice when it is published."""
    estate.tally_signatures_required = 2
    db_session.commit()
    s = request.getfixturevalue("voting")
    assert s.assembly.current_notice.document["rules"]["required_signatures"] == 2
    return s


# ------------------------------------------------------------------------------------------------
# Certifying: a tally that is not the server's, forged and replayed signatures


def test_a_signature_over_a_tally_one_number_off_from_the_servers_is_refused_and_names_the_difference(voting):
    s = voting
    tallied(s)
    csrf = as_supervisor(s)
    bundle = staff_bundle(s)
    statute = s.item_ids()[TITLES["statute"]]
    changed = json.loads(json.dumps(bundle))
    changed["tally"]["items"][statute]["counts"]["agree"]["heads"] += 1  # one number
    theirs, ours = payload_of(changed), payload_of(bundle)
    assert theirs["tally_sha256"] != ours["tally_sha256"]

    # The browser says what it signed: the server names the difference.
    response = post_certification(s, csrf, signed(s, "supervisor", theirs, payload=json.dumps(theirs)))
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert "计票结果" in error, error
    assert theirs["tally_sha256"][:16] in error, error
    assert ours["tally_sha256"][:16] in error, error
    assert "not the server's tally" in response.get_json()["error_en"]
    assert_nothing_certified(s)

    # One number off elsewhere in what was signed: the log's size.
    shorter = {**ours, "log_size": ours["log_size"] - 1}
    response = post_certification(s, csrf, signed(s, "supervisor", shorter, payload=json.dumps(shorter)))
    assert response.status_code == 400, response.get_json()
    assert "投票日志的大小不同" in response.get_json()["error"], response.get_json()
    assert_nothing_certified(s)

    # Without the payload it signed, the signature simply does not verify over the server's tally.
    response = post_certification(s, csrf, signed(s, "supervisor", theirs), english=True)
    assert response.status_code == 400
    assert "does not verify" in response.get_json()["error"], response.get_json()
    assert_nothing_certified(s)

    # Nothing was wedged: the right signature is still accepted.
    assert post_certification(s, csrf, signed(s, "supervisor", ours)).status_code == 200
    assert certifications(s) == 1
    assert state(s) == "certified"


def test_a_tally_changed_in_the_database_by_one_number_cannot_be_certified(voting):
    from sqlalchemy.orm.attributes import flag_modified

    s = voting
    tallied(s)
    record = s.db.scalar(select(TallyRecord).where(TallyRecord.assembly_id == s.assembly_id))
    statute = s.item_ids()[TITLES["statute"]]
    document = json.loads(json.dumps(record.document))
    document["items"][statute]["counts"]["disagree"]["heads"] -= 1
    record.document = document
    flag_modified(record, "document")
    s.db.commit()

    csrf = as_supervisor(s)
    bundle = staff_bundle(s)
    # A careless tool signs the digest the bundle claims instead of recomputing it.
    payload = {**payload_of(bundle), "tally_sha256": bundle["certification"]["tally_sha256"]}
    response = post_certification(s, csrf, signed(s, "supervisor", payload))
    assert response.status_code == 400
    assert "计票结果与其摘要不符" in response.get_json()["error"], response.get_json()
    assert_nothing_certified(s)


def test_forged_supervisor_signatures_are_refused_and_write_nothing(voting):
    s = voting
    tallied(s)
    as_supervisor(s, "supervisor2")  # supervisor2 has a key of their own, registered
    csrf = as_supervisor(s)
    payload = payload_of(staff_bundle(s))
    good = signed(s, "supervisor", payload)
    stranger = generate_ed25519()
    cases = {
        "a key nobody registered": ({**croll.sign_payload(stranger, payload), "declared_not_voted": True}, "不是您已登记的有效签名密钥"),
        "another supervisor's key": (signed(s, "supervisor2", payload), "不是您已登记的有效签名密钥"),
        "my key id, another key's signature": ({**good, "sig": stranger.sign_b64(canonical_json(payload))}, "签名无效"),
        "one bit flipped": ({**good, "sig": flip_a_bit(good["sig"])}, "签名无效"),
        "not a signature at all": ({**good, "sig": "not base64 !"}, "签名无效"),
        "an empty signature": ({**good, "sig": ""}, "签名无效"),
    }
    for case, (body, reason) in cases.items():
        response = post_certification(s, csrf, body)
        assert response.status_code == 400, (case, page_text(response)[:300])
        assert reason in response.get_json()["error"], (case, response.get_json())
        assert_nothing_certified(s)
    for malformed in ({"kid": good["kid"]}, {"kid": 1, "sig": good["sig"]}, [good]):
        response = post_certification(s, csrf, malformed)
        assert response.status_code == 400
        assert response.get_json()["error"] == "请求格式不正确"
        assert_nothing_certified(s)


def test_a_replayed_signature_twice_or_from_another_assembly_is_refused_and_adds_no_certification(voting_two_signatures):
    s = voting_two_signatures
    tallied(s)
    csrf = as_supervisor(s)
    payload = payload_of(staff_bundle(s))
    body = signed(s, "supervisor", payload, payload=json.dumps(payload))
    assert post_certification(s, csrf, body).status_code == 200
    assert (certifications(s), events(s, "tally.certify"), state(s)) == (1, 1, "tallied")

    # The same signature posted again.
    response = post_certification(s, csrf, body)
    assert response.status_code == 400
    assert "您已经核证过" in response.get_json()["error"]
    assert_nothing_certified(s, before=1, events_before=1)

    # Replayed by another supervisor: it is not their key.
    csrf2 = as_supervisor(s, "supervisor2")
    response = post_certification(s, csrf2, body)
    assert response.status_code == 400
    assert "不是您已登记的有效签名密钥" in response.get_json()["error"]
    assert_nothing_certified(s, before=1, events_before=1)

    # A signature made for another assembly (here everything else alike), with or without the
    # payload that was signed.
    other = {**payload, "assembly": f"{s.estate.slug}/assembly-{s.assembly_id + 1000}"}
    response = post_certification(s, csrf2, signed(s, "supervisor2", other, payload=json.dumps(other)))
    assert response.status_code == 400
    assert "另一次会议" in response.get_json()["error"], response.get_json()
    assert other["assembly"] in response.get_json()["error"], response.get_json()
    response = post_certification(s, csrf2, signed(s, "supervisor2", other))
    assert response.status_code == 400
    assert "签名无效" in response.get_json()["error"]
    # A payload claimed but not the one signed is not believed: the plain refusal.
    response = post_certification(s, csrf2, signed(s, "supervisor2", other, payload=json.dumps(payload)))
    assert response.status_code == 400
    assert "签名无效" in response.get_json()["error"]
    assert_nothing_certified(s, before=1, events_before=1)

    # The second supervisor's own signature completes the certification; after that a replay of
    # either is refused and the count stays at two.
    good2 = signed(s, "supervisor2", payload)
    assert post_certification(s, csrf2, good2).status_code == 200
    assert (certifications(s), state(s), events(s, "assembly.certified")) == (2, "certified", 1)
    for who, token, again in (("supervisor2", csrf2, good2), ("supervisor", None, body)):
        if token is None:
            token = as_supervisor(s, who)
        response = post_certification(s, token, again)
        assert response.status_code == 400
        assert "尚未核证完毕" in response.get_json()["error"]
    assert (certifications(s), events(s, "tally.certify"), events(s, "assembly.certified")) == (2, 2, 1)


# ------------------------------------------------------------------------------------------------
# Who may certify


def test_an_organiser_can_never_certify_and_is_told_why(voting, make_staff, make_estate):
    s = voting
    tallied(s)
    s.as_staff("organiser")
    organiser_key = generate_ed25519()
    s.sup_keys["organiser"] = organiser_key
    csrf = s.staff_key("organiser")  # an organiser may hold a signing key (for other duties)
    payload = payload_of(staff_bundle(s))

    page = s.client.get(f"/e/{s.estate.slug}/assemblies/{s.assembly_id}/certify")
    assert page.status_code == 403, page_text(page)[:2000]
    assert "组织者不能核证" in page_text(page), page_text(page)[:2000]
    response = post_certification(s, csrf, signed(s, "organiser", payload))
    assert response.status_code == 403
    assert "组织者不能核证" in response.get_json()["error"]
    assert "organiser can never certify" in response.get_json()["error_en"]
    assert_nothing_certified(s)

    # A supervisor of another estate learns nothing of this one.
    other = make_estate("other", "别的小区")
    make_staff("stranger-sup", estate=other, role="supervisor")
    s.as_staff("stranger-sup")
    s.sup_keys["stranger-sup"] = generate_ed25519()
    csrf = s.staff_key("stranger-sup")
    assert post_certification(s, csrf, signed(s, "stranger-sup", payload)).status_code == 404
    assert_nothing_certified(s)


def test_a_supervisor_who_voted_as_an_owner_cannot_certify_unless_the_estate_allows_it(voting):
    from webapp.registry.models import OwnerHolder

    s = voting
    tallied(s)
    # The supervisor is 张三 of 1-101, who voted (recognised by the identity hash on their account).
    zhang = s.db.scalar(select(OwnerHolder).where(OwnerHolder.name == "张三"))
    s.staff["supervisor"].id_hash = zhang.id_hash
    s.db.commit()
    assert not s.estate.voters_may_certify  # off by default

    csrf = as_supervisor(s)
    page = page_text(s.client.get(f"/e/{s.estate.slug}/assemblies/{s.assembly_id}/certify"))
    assert "作为业主投了票" in page
    assert "须由其他监督员核证" in page
    payload = payload_of(staff_bundle(s))
    response = post_certification(s, csrf, signed(s, "supervisor", payload))  # even declaring not to have voted
    assert response.status_code == 400, response.get_json()
    assert "作为业主投了票" in response.get_json()["error"], response.get_json()
    assert_nothing_certified(s)

    # A supervisor who did not vote must still say so where the estate does not allow voters.
    s.staff["supervisor"].id_hash = None
    s.db.commit()
    response = post_certification(s, csrf, signed(s, "supervisor", payload, declared_not_voted=False))
    assert response.status_code == 400
    assert "请确认您没有在本次会议中" in response.get_json()["error"]
    assert_nothing_certified(s)

    # Where the estate allows it, the supervisor who voted may certify.
    s.staff["supervisor"].id_hash = zhang.id_hash
    s.estate.voters_may_certify = True
    s.db.commit()
    assert post_certification(s, csrf, signed(s, "supervisor", payload, declared_not_voted=False)).status_code == 200
    assert certifications(s) == 1
    assert state(s) == "certified"


# ------------------------------------------------------------------------------------------------
# Publishing, tallying too early, the public bundle


def test_publishing_with_one_signature_short_is_refused_with_how_many_are_missing(voting_two_signatures):
    from webapp.results import operations as ops

    s = voting_two_signatures
    tallied(s)
    csrf = as_supervisor(s)
    assert post_certification(s, csrf, signed(s, "supervisor", payload_of(staff_bundle(s)))).status_code == 200
    assert state(s) == "tallied"

    s.as_staff("organiser")
    response = s.post(f"/e/{s.estate.slug}/assemblies/{s.assembly_id}/results/publish", follow_redirects=True)
    page = page_text(response)
    assert "还需要 1 位监督员签名" in page, page[:3000]
    assert "1 / 2" in page, page[:3000]
    assert state(s) == "tallied"
    assert count(s, Job, Job.kind == "publish") == 0
    assert events(s, "job.start") == 1
    assert events(s, "assembly.publish") == 0
    record = s.db.scalar(select(TallyRecord).where(TallyRecord.assembly_id == s.assembly_id))
    assert record.bundle_sha256 is None
    assert s.client.get(f"/p/{s.estate.slug}/a/{s.assembly_id}/bundle.json").status_code == 404

    # The operation itself refuses the same way (a job queued earlier, a script).
    with pytest.raises(ops.ResultsError) as refused:
        ops.publish(s.assembly, actor=s.staff["organiser"])
    assert "还需要 1 位监督员签名" in refused.value.zh
    assert "1 more supervisor signature" in refused.value.en
    s.db.commit()  # whatever the refused operation left in the session would now be kept: nothing
    assert state(s) == "tallied"
    assert events(s, "assembly.publish") == 0


def test_tallying_while_voting_is_open_is_refused_with_the_closing_time_in_the_estates_zone(voting):
    from webapp.core.timefmt import local
    from webapp.results import operations as ops

    s = voting
    vote(s)
    closes = local(s.assembly.closes_at, s.estate)
    response = start_tally(s)
    assert response.status_code == 302
    page = page_text(s.client.get(response.headers["Location"]))
    assert f"投票仍在进行，到 {closes} 截止" in page, page[:3000]
    assert state(s) == "voting"
    assert count(s, TallyRecord) == 0
    assert count(s, Job, Job.kind == "tally") == 0
    assert events(s, "assembly.tally") == 0

    s.client.set_cookie("lang", "en", domain="ownersvote.test")
    response = start_tally(s)
    page = page_text(s.client.get(response.headers["Location"]))
    assert f"voting is still open until {closes}" in page, page[:3000]
    s.client.delete_cookie("lang", domain="ownersvote.test")

    with pytest.raises(ops.ResultsError) as refused:
        ops.compute_tally(s.assembly, actor=s.staff["organiser"])
    assert closes in refused.value.zh
    s.db.commit()  # whatever the refused operation left in the session would now be kept: nothing
    assert state(s) == "voting"
    assert count(s, TallyRecord) == 0


def test_the_public_bundle_and_announcement_of_an_unpublished_assembly_are_404_while_staff_fetch_the_bundle(voting):
    s = voting
    public_bundle = f"/p/{s.estate.slug}/a/{s.assembly_id}/bundle.json"
    announcement = f"/p/{s.estate.slug}/a/{s.assembly_id}/announcement.pdf"
    staff_url = f"/e/{s.estate.slug}/assemblies/{s.assembly_id}/bundle.json"
    vote(s)
    s.post("/logout")
    assert s.client.get(public_bundle).status_code == 404  # voting
    close(s)
    assert s.client.get(public_bundle).status_code == 404  # closed
    assert start_tally(s).status_code == 302
    s.post("/logout")
    response = s.client.get(public_bundle)
    assert response.status_code == 404
    assert "审计数据包与核证后的结果一并公布" in page_text(response)
    response = s.client.get(announcement)
    assert response.status_code == 404
    assert "结果公告与核证后的结果一并公布" in page_text(response)
    assert s.client.get(staff_url).status_code in (302, 401)  # staff only: sign in first
    csrf = as_supervisor(s)
    assert s.client.get(staff_url).status_code == 200
    assert post_certification(s, csrf, signed(s, "supervisor", payload_of(staff_bundle(s)))).status_code == 200
    assert state(s) == "certified"
    s.post("/logout")
    assert s.client.get(public_bundle).status_code == 404
    assert s.client.get(announcement).status_code == 404
    s.as_staff("organiser")
    assert s.client.get(staff_url).status_code == 200
    s.post(f"/e/{s.estate.slug}/assemblies/{s.assembly_id}/results/publish")
    assert state(s) == "published"
    s.post("/logout")
    assert s.client.get(public_bundle).status_code == 200
    assert s.client.get(announcement).status_code == 200


# ------------------------------------------------------------------------------------------------
# Objections


def objections(s) -> tuple[int, int]:
    return count(s, Objection), events(s, "objection.file")


def test_objections_by_staff_anonymous_people_or_another_estates_owner_are_refused_with_the_reason(voting, make_estate, db_session, app):
    from tests.factories import GOOD
    from webapp.owners import operations as owner_ops
    from webapp.registry.importing import import_file
    from webapp.registry.models import Unit

    s = voting
    published(s)
    url = f"/p/{s.estate.slug}/a/{s.assembly_id}/objections"

    for username in ("organiser", "supervisor"):
        s.as_staff(username)
        response = s.post(url, {"text": "统计有误"}, follow_redirects=True)
        assert "只有本小区已登记的业主可以提出异议" in page_text(response), (username, page_text(response)[:2000])
        assert objections(s) == (0, 0)

    s.post("/logout")
    response = s.post(url, {"text": "统计有误"}, follow_redirects=True)
    assert "请先在手机上登录业主账号" in page_text(response), page_text(response)[:2000]
    assert objections(s) == (0, 0)

    # 张三 also owns a flat in another estate, and signs in there.
    other = make_estate("other", "别的小区")
    import_file(other, GOOD, "registry.csv", actor="test")
    db_session.commit()
    unit = next(u for u in db_session.scalars(select(Unit).where(Unit.estate_id == other.id)) if u.label == "1-101")
    issued = owner_ops.issue_letters(other, [unit], actor="test", pii_key=app.config["OWNERSVOTE_PII_HMAC_KEY"])
    db_session.commit()
    s.client.get(f"/r/{issued[0].token}")
    s.post("/join", {"id-name": "张三", "id-id_tail": ZHANG_TAIL})
    assert Device(s.client).register().status_code == 200
    response = s.post(url, {"text": "统计有误"}, follow_redirects=True)
    assert "只有本小区已登记的业主可以提出异议" in page_text(response), page_text(response)[:2000]
    assert objections(s) == (0, 0)


def test_an_objection_after_the_publication_period_is_refused_with_when_it_ended(voting):
    from webapp.core.timefmt import local

    s = voting
    published(s)
    url = f"/p/{s.estate.slug}/a/{s.assembly_id}/objections"
    s.sign_in("1-102")
    response = s.post(url, {"text": "第1号楼的统计有疑问"}, follow_redirects=True)
    assert "异议已提交" in page_text(response) or objections(s) == (1, 1)
    assert objections(s) == (1, 1)

    until = local(s.assembly.results_until, s.estate)
    s.at(s.assembly.results_until + timedelta(minutes=1))
    s.sign_in("1-102")
    response = s.post(url, {"text": "我还有一个异议"}, follow_redirects=True)
    assert f"公示期已于 {until} 结束" in page_text(response), page_text(response)[:3000]
    assert objections(s) == (1, 1)

    # Archived: still refused with the reason.
    objection = s.db.scalar(select(Objection))
    s.as_staff("supervisor")
    s.post(f"/e/{s.estate.slug}/assemblies/{s.assembly_id}/objections/{objection.id}/answer", {"answer": "已核对，统计无误。"})
    s.as_staff("organiser")
    s.post(f"/e/{s.estate.slug}/assemblies/{s.assembly_id}/results/archive")
    assert state(s) == "archived"
    s.sign_in("1-101")
    response = s.post(url, {"text": "归档后的异议"}, follow_redirects=True)
    assert f"公示期已于 {until} 结束" in page_text(response), page_text(response)[:3000]
    assert objections(s) == (1, 1)


# ------------------------------------------------------------------------------------------------
# The database failing during the tally job


class DatabaseFailure:
    """Make the database fail, as a restarting server does, on the first statement that starts
    with ``prefix`` and has a parameter value holding ``containing``; once."""

    def __init__(self, prefix: str, containing: str = ""):
        self.prefix, self.containing, self.fired = prefix, containing, False

    def _mentions(self, parameters) -> bool:
        values = parameters.values() if isinstance(parameters, dict) else parameters or ()
        return not self.containing or any(self.containing in str(v) for v in values)

    def __call__(self, conn, cursor, statement, parameters, context, executemany):
        if not self.fired and statement.lstrip().upper().startswith(self.prefix) and self._mentions(parameters):
            self.fired = True
            raise OperationalError(statement, parameters, Exception("server closed the connection unexpectedly"))


@pytest.mark.parametrize(
    ("prefix", "containing"),
    [
        ("INSERT INTO TALLIES", ""),  # writing the tally record
        ("UPDATE ASSEMBLIES", "tallied"),  # its state step
        ("INSERT INTO AUDIT_EVENTS", "assembly.tally"),  # its audit event
        ("UPDATE JOBS", "done"),  # the commit of it all with the job's "done"
    ],
    ids=["tally-record", "state-step", "audit-event", "final-commit"],
)
def test_a_database_failure_in_the_tally_job_fails_it_cleanly_and_a_retry_gives_the_same_tally(voting, prefix, containing):
    from crypto.roll import tally_digest
    from webapp.core.db import db
    from webapp.results import operations as ops

    s = voting
    vote(s)
    close(s)
    clean = tally_digest(tally_engine.tally_document(ops.tally_input(s.assembly)))  # what a clean run computes
    s.db.commit()

    failure = DatabaseFailure(prefix, containing)
    bind = db.engines[None]  # the test's connection (an engine outside the tests)
    event.listen(bind, "before_cursor_execute", failure)
    try:
        response = start_tally(s)
    finally:
        event.remove(bind, "before_cursor_execute", failure)
    assert failure.fired
    assert response.status_code == 302
    job = s.db.scalar(select(Job).where(Job.kind == "tally"))
    assert job.state == "failed"
    assert "数据库" in job.error_zh, job.error_zh
    assert "没有保存任何结果" in job.error_zh, job.error_zh
    assert "重试" in job.error_zh, job.error_zh
    assert "database" in job.error_en
    assert "server closed" not in job.error_en
    page = page_text(s.client.get(response.headers["Location"]))
    assert job.error_zh in page
    assert "重试" in page
    # Nothing half-written: no tally, the assembly still closed, no audit event of a tally.
    assert count(s, TallyRecord) == 0
    assert state(s) == "closed"
    assert events(s, "assembly.tally") == 0
    assert s.db.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "job.retry")) == 0

    response = s.post(f"/e/{s.estate.slug}/jobs/{job.id}/retry")
    assert response.status_code == 303
    s.db.expire_all()
    job = s.db.get(Job, job.id)
    assert (job.state, job.attempts) == ("done", 2), (job.error_en, job.message_en)
    record = s.db.scalar(select(TallyRecord).where(TallyRecord.assembly_id == s.assembly_id))
    assert record.sha256 == clean == tally_digest(record.document)
    assert state(s) == "tallied"
    assert events(s, "assembly.tally") == 1
    from webapp.oversight.integrity import check_estate

    report = check_estate(s.estate)
    assert report.ok, report.findings
