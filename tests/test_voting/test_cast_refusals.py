"""Bad input at the ballot box: each refused with a clear reason in the
voter's language and nothing written — no ballot row, no audit event, no log growth."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from crypto.keys import generate_p256
from tests.factories import PDF, TITLES
from webapp.audit.models import AuditEvent
from webapp.core.db import db_clock as real_db_clock
from webapp.core.db import db_now as real_db_now
from webapp.voting.models import Ballot, PaperEntry


def written(s) -> tuple[int, int]:
    ballots = s.db.scalar(select(func.count(Ballot.id)).where(Ballot.assembly_id == s.assembly_id))
    accepted = s.db.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "ballot.accept"))
    return ballots, accepted


def choices(s) -> dict:
    ids = s.item_ids()
    return {ids[TITLES["statute"]]: "agree", ids[TITLES["election"]]: [s.options(TITLES["election"])[0]]}


@pytest.fixture
def nothing_written(voting):
    """Asserts, after the test, that no ballot was written and none was acknowledged."""
    before = written(voting)
    yield voting
    voting.db.expire_all()
    assert written(voting) == before


def refused(s, body, *, status: int, says: str, raw: bytes | None = None, **kwargs):
    if raw is not None:
        response = s.client.post(f"/api/v1/a/{s.assembly_id}/ballots", data=raw, content_type="application/json", **kwargs)
    else:
        response = s.client.post(f"/api/v1/a/{s.assembly_id}/ballots", json=body, **kwargs)
    answer = response.get_json()
    assert response.status_code == status, answer
    assert says in answer["error"], answer
    assert answer["error_en"]
    return answer


def test_malformed_json_is_refused_as_malformed(nothing_written):
    refused(nothing_written, None, raw=b'{"ballot": "x", "kid": ', status=400, says="格式不正确")


@pytest.mark.parametrize(
    "body", [[], {"ballot": 1, "kid": "k", "sig": "s"}, {"ballot": "{}", "kid": "k"}, {"ballot": "{}", "kid": "k", "sig": "s", "extra": 1}]
)
def test_a_submission_of_the_wrong_shape_is_refused(nothing_written, body):
    refused(nothing_written, body, status=400, says="格式不正确")


def test_an_oversized_submission_is_refused_before_it_is_read(nothing_written):
    s = nothing_written
    raw = json.dumps({"ballot": "x" * (200 * 1024), "kid": "k", "sig": "s"}).encode()
    refused(s, None, raw=raw, status=413, says="过大")


def test_a_ballot_over_the_size_limit_inside_a_small_submission_is_refused(nothing_written):
    s = nothing_written
    body = s.ballot("1-101", choices(s))
    body["ballot"] = body["ballot"][:-1] + ',"pad":"' + "x" * (70 * 1024) + '"}'
    refused(s, body, status=400, says="过大")


def test_a_non_canonical_encoding_is_refused_even_when_signed(nothing_written):
    s = nothing_written
    signed = s.ballot("1-101", choices(s))
    loose = json.dumps(json.loads(signed["ballot"]), ensure_ascii=False, indent=1)  # same content, other bytes
    signer = s.devices["1-101"].signer
    refused(s, {"ballot": loose, "kid": signer.kid, "sig": signer.sign_b64(loose.encode())}, status=400, says="规范格式")


def test_a_key_not_on_the_roll_is_refused_and_told_where_to_vote(nothing_written):
    s = nothing_written
    stranger = generate_p256()
    answer = refused(s, s.ballot("1-101", choices(s), signer=stranger), status=403, says="不在冻结名册上")
    assert "纸质选票" in answer["error"]


def test_another_members_key_cannot_sign_for_a_member(nothing_written):
    s = nothing_written
    refused(s, s.ballot("1-101", choices(s), signer=s.devices["1-102"].signer), status=403, says="不在冻结名册上")


def test_a_key_revoked_after_the_freeze_is_refused_with_the_paper_alternative(nothing_written):
    from webapp.devices import operations as device_ops
    from webapp.devices.models import DeviceKey

    s = nothing_written
    key = s.db.scalar(select(DeviceKey).where(DeviceKey.kid == s.devices["1-101"].signer.kid))
    device_ops.revoke_key(key, actor=s.staff["supervisor"], reason="手机丢失")
    s.db.commit()
    refused(s, s.ballot("1-101", choices(s)), status=403, says="已被注销")


def test_a_forged_signature_is_refused(nothing_written):
    s = nothing_written
    body = s.ballot("1-101", choices(s))
    other = s.ballot("1-101", {**choices(s), s.item_ids()[TITLES["statute"]]: "disagree"})
    refused(s, {**body, "sig": other["sig"]}, status=403, says="签名无效")


def test_another_assemblys_ballot_is_refused(nothing_written):
    s = nothing_written
    refused(s, s.ballot("1-101", choices(s), assembly="a" * 32), status=400, says="另一次会议")


def test_a_ballot_for_another_roll_is_refused(nothing_written):
    s = nothing_written
    refused(s, s.ballot("1-101", choices(s), roll_root="0" * 64), status=400, says="表决名册")


def test_a_ballot_answering_an_old_notice_is_refused_with_a_reload_hint(nothing_written):
    s = nothing_written
    refused(s, s.ballot("1-101", choices(s), notice="0" * 64), status=400, says="刷新页面")


def signed_as_is(s, label: str, change) -> dict:
    """A ballot the client library would not make, signed by the member's real key."""
    from crypto.canonical import canonical_json

    ballot = json.loads(s.ballot(label, choices(s))["ballot"])
    change(ballot)
    text = canonical_json(ballot).decode("utf-8")
    signer = s.devices[label].signer
    return {"ballot": text, "kid": signer.kid, "sig": signer.sign_b64(text.encode("utf-8"))}


@pytest.mark.parametrize("bad", ["maybe", ["agree"], 3])
def test_a_resolution_choice_outside_the_item_is_refused(nothing_written, bad):
    s = nothing_written
    item = s.item_ids()[TITLES["statute"]]
    refused(s, signed_as_is(s, "1-101", lambda b: b["choices"].__setitem__(item, bad)), status=400, says="无效的选择")


def test_a_candidate_not_on_the_ballot_is_refused(nothing_written):
    s = nothing_written
    refused(s, s.ballot("1-101", {**choices(s), s.item_ids()[TITLES["election"]]: ["c-nobody"]}), status=400, says="无效的选择")


def test_an_item_not_on_the_notice_is_refused(nothing_written):
    s = nothing_written
    refused(s, s.ballot("1-101", {**choices(s), "no-such-item": "agree"}), status=400, says="无效的选择")


def test_marking_more_candidates_than_seats_is_refused_online(nothing_written):
    s = nothing_written
    both = s.options(TITLES["election"])
    assert len(both) == 2  # one seat, two candidates
    refused(s, s.ballot("1-101", {**choices(s), s.item_ids()[TITLES["election"]]: both}), status=400, says="无效的选择")


def test_a_ballot_one_millisecond_after_the_close_by_the_database_clock_is_refused(voting, monkeypatch):
    """The real database clock decides, in the inserting transaction (the scenario had replaced
    it with the test's clock)."""
    from webapp.core import db as database

    s = voting
    monkeypatch.setattr(database, "db_now", real_db_now)
    monkeypatch.setattr(database, "db_clock", real_db_clock)
    db_now = real_db_now
    # a moment before the close, by that clock, a ballot is accepted
    s.assembly.closes_at = db_now() + timedelta(seconds=30)
    s.db.commit()
    code, answer = s.cast(s.ballot("1-102", choices(s)))
    assert code == 201, answer
    s.sequence()
    # one millisecond after it, the next is not
    body = s.ballot("1-101", choices(s))
    s.assembly.closes_at = db_now() - timedelta(milliseconds=1)
    s.db.commit()
    before = written(s)
    answer = refused(s, body, status=409, says="截止")
    assert "没有被接收" in answer["error"]
    s.db.expire_all()
    assert written(s) == before


def test_resending_the_same_signed_ballot_returns_the_same_receipt_and_writes_nothing(voting):
    s = voting
    body = s.ballot("1-101", choices(s))
    code, first = s.cast_in_log(body)
    assert code == 201
    before = written(s)
    code, again = s.cast(body)
    assert code == 200
    assert again["repeated"] is True
    assert again["receipt"] == first["receipt"]
    s.db.expire_all()
    assert written(s) == before


def test_the_same_signed_ballot_resent_after_the_close_still_gets_its_receipt(voting):
    """A phone that never heard the answer resends its ballot, perhaps after the close: the very
    bytes stored in time are answered with their receipt; a new ballot is refused as late."""
    s = voting
    body = s.ballot("1-101", choices(s))
    code, first = s.cast_in_log(body)
    assert code == 201
    s.at(s.assembly.closes_at + timedelta(minutes=5))
    code, again = s.cast(body)
    assert code == 200
    assert again["repeated"] is True
    assert again["receipt"]["code"] == first["receipt"]["code"]
    code, late = s.cast(s.ballot("1-102", choices(s)))
    assert code != 201


def test_a_second_different_ballot_is_refused_when_replacing_is_off(voting):
    s = voting
    assert s.cast(s.ballot("1-101", choices(s)))[0] == 201
    before = written(s)
    code, answer = s.cast(s.ballot("1-101", {**choices(s), s.item_ids()[TITLES["statute"]]: "disagree"}))
    assert code == 409
    assert "已经投过票" in answer["error"]
    s.db.expire_all()
    assert written(s) == before


@pytest.mark.parametrize("username", ["supervisor", "root"])
def test_a_supervisor_or_the_platform_admin_cannot_cast_even_an_owners_signed_ballot(voting, make_staff, username):
    s = voting
    if username == "root":
        make_staff("root", admin=True)
    body = s.ballot("1-101", choices(s))
    s.as_staff(username)
    before = written(s)
    code, answer = s.cast(body)
    assert code == 403
    assert "工作人员账号不能投票" in answer["error"]
    assert "业主身份" in answer["error"]
    s.db.expire_all()
    assert written(s) == before


def test_the_same_organiser_cannot_enter_a_paper_sheet_twice(voting):
    from webapp.voting import paper as paper_ops
    from webapp.voting.turnout import member_for_unit

    s = voting
    sheet = paper_ops.new_sheets(s.assembly, [member_for_unit(s.assembly, "3-301")], actor=s.staff["organiser"])[0]
    s.db.commit()
    s.as_staff("organiser")
    ids = s.item_ids()
    form = {"serial": sheet.serial, f"m-{ids[TITLES['statute']]}": "agree"}

    def enter():
        return s.post(
            f"/e/{s.estate.slug}/assemblies/{s.assembly_id}/paper",
            {**form, "scan": (io.BytesIO(PDF), "scan.pdf")},
            content_type="multipart/form-data",
            follow_redirects=True,
        ).get_data(as_text=True)

    enter()
    assert s.db.scalar(select(func.count(PaperEntry.id)).where(PaperEntry.sheet_id == sheet.id)) == 1
    page = enter()
    assert "您已经录过这张" in page
    s.db.expire_all()
    assert s.db.scalar(select(func.count(PaperEntry.id)).where(PaperEntry.sheet_id == sheet.id)) == 1
    assert written(s)[0] == 0
