"""Inspections (webapp/inspections): a supervisor records an inspection, a rectification notice and a
follow-up, each signed by the supervisor's own device key and verified before anything is stored;
the firm serving the estate reads them and answers in writing; bad input is refused with a reason
and nothing half-written."""

from __future__ import annotations

import io
import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from crypto import inspection as fmt
from tests.factories import (
    csrf_of,
    exact_folded,
    followup_document,
    inspection_document,
    notice_document,
    photo_bytes,
    post_signed,
    sign_document,
    text_of,
)
from webapp.attachments.models import Attachment
from webapp.audit.models import AuditEvent
from webapp.auth.models import StaffUser
from webapp.core.db import db
from webapp.firms.models import FirmUser
from webapp.inspections import operations as ops
from webapp.inspections.models import FirmAnswer, FollowUp, Inspection, RectificationNotice

from .helpers import OTHER_FIRM, draft_of, inspect, issued, ranking_by_inspections, recorded

WATCHED = (Inspection, RectificationNotice, FollowUp, FirmAnswer, Attachment)


def counts() -> dict[str, int]:
    found = {model.__name__: db.session.scalar(select(func.count()).select_from(model)) for model in WATCHED}
    found["audit"] = db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action.like("inspection.%")))
    return found


# --- the happy path -------------------------------------------------------------------------------


def test_a_supervisor_records_a_signed_inspection_with_a_photo_and_it_is_audited(client, login, world):
    photo = photo_bytes()
    inspection = recorded(client, login, world, {"stairwells": 6, "fire-lanes": 3}, photos=[(photo, "stairs.jpg")])
    document = json.loads(inspection.document)
    # 12%·6/10 + 12%·3/10 + the other 76% in full: 76 + 7.2 + 3.6 = 86.8
    assert inspection.score == "434/5"
    assert fmt.inspection_score(document) * 5 == 434
    assert inspection.firm_id == world["firm"].id
    assert inspection.digest == fmt.document_digest(document)
    photos = ops.photos_of("inspection", inspection.id)
    assert [p.content_type for p in photos] == ["image/jpeg"]
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "inspection.record"))
    assert event.details["digest"] == inspection.digest
    assert event.details["score"] == "86.80"
    page = client.get(f"/e/lvyuan/inspections/{inspection.id}")
    assert page.status_code == 200
    assert "已核验" in text_of(page)
    assert "86.80" in text_of(page)
    # The signed record checks offline with nothing but the crypto package.
    record = client.get(f"/e/lvyuan/inspections/{inspection.id}.json").get_json()
    assert fmt.verify_signed(record) == inspection.digest


def test_the_inspection_page_shows_the_rounded_score_and_folds_the_exact_fraction(client, login, world):
    inspection = recorded(client, login, world, {"stairwells": 6, "fire-lanes": 3})
    assert inspection.score == "434/5"
    outside, folds = exact_folded(client.get(f"/e/lvyuan/inspections/{inspection.id}"))
    assert "86.80 分（满分 100）" in outside
    assert "434/5" not in outside
    [fold] = folds
    assert fold.strip().startswith("精确值（用于核对）")
    assert "434/5" in fold


def test_the_organiser_reads_inspections_but_cannot_record_one(client, login, world):
    inspection = recorded(client, login, world)
    client.post("/logout")
    login("organiser")
    assert client.get(f"/e/lvyuan/inspections/{inspection.id}").status_code == 200
    assert client.get("/e/lvyuan/inspections/new").status_code == 403
    csrf = csrf_of(client, "/e/lvyuan/inspections")
    response = post_signed(client, "/e/lvyuan/inspections", csrf, json.loads(inspection.document), world["signers"]["supervisor"])
    assert response.status_code == 403


def test_a_notice_and_a_followup_record_each_item_and_close_the_notice_when_all_are_rectified(client, login, world):
    inspection = recorded(client, login, world, {"stairwells": 2})
    notice = issued(client, world, inspection, items=["楼道堆物清理", "消防通道画线", "公告栏更新收费标准"])
    assert (notice.items, notice.state, notice.deadline) == (3, "open", world["today"] + timedelta(days=7))
    day = world["today"].isoformat()
    signer = world["signers"]["supervisor"]
    csrf = csrf_of(client, f"/e/lvyuan/notices/{notice.id}")
    first = followup_document(notice, signer, [True, False, True], day=day, photos=[photo_bytes(colour=(1, 2, 3))])
    response = post_signed(
        client, f"/e/lvyuan/notices/{notice.id}/followups", csrf, first, signer, photos=[(photo_bytes(colour=(1, 2, 3)), "a.jpg")]
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    db.session.refresh(notice)
    assert notice.state == "open"
    second = followup_document(notice, signer, [True, True, True], day=day)
    assert post_signed(client, f"/e/lvyuan/notices/{notice.id}/followups", csrf, second, signer).status_code == 200
    db.session.refresh(notice)
    assert notice.state == "rectified"
    assert [f.rectified for f in notice.followups] == [2, 3]
    page = text_of(client.get(f"/e/lvyuan/notices/{notice.id}"))
    assert "3 项中已整改 2 项" in page or "2 of 3 items rectified" in page
    assert "第 2 项（消防通道画线）：未整改" in page  # each item with the notice's text, not a bare number
    third = followup_document(notice, signer, [True, True, True], day=day)
    refused = post_signed(client, f"/e/lvyuan/notices/{notice.id}/followups", csrf, third, signer)
    assert refused.status_code == 400
    assert "都已整改完毕" in refused.get_json()["error"]


def test_the_firm_reads_its_notice_answers_it_and_the_staff_read_the_answer(client, login, post, world):
    inspection = recorded(client, login, world, {"handrails": 4}, photos=[(photo_bytes(), "rail.jpg")])
    notice = issued(client, world, inspection)
    client.post("/logout")
    assert post("/firm/login", {"username": "lvyuan-pm", "password": "firm password 1"}).status_code == 302
    home = text_of(client.get("/firm"))
    assert "整改通知" in home
    assert "绿苑小区" in home
    assert "尚未答复" in home
    # What waits for an answer comes first, with its deadline and a way straight to it.
    raw = client.get("/firm").get_data(as_text=True)
    assert f"有 1 份整改通知等待您答复，最早的整改期限是 {notice.deadline.isoformat()}" in home
    assert raw.index('id="to-answer"') < raw.index("<h2")
    assert f'href="/firm/notices/{notice.id}">答复第 {notice.id} 号整改通知' in raw
    assert "发布公开账目（三公开）" in home  # the account links publish, and say so
    assert client.get(f"/firm/notices/{notice.id}").status_code == 200
    photo = ops.photos_of("inspection", inspection.id)[0]
    assert client.get(f"/files/{photo.id}").status_code == 200
    answer = post(f"/firm/notices/{notice.id}", {"text": "已安排保洁班组三日内清理3号楼楼道，并张贴提示。"}, follow_redirects=True)
    assert "答复已记录" in text_of(answer)
    assert 'id="to-answer"' not in client.get("/firm").get_data(as_text=True)  # answered: nothing waits
    assert "尚未答复" not in text_of(client.get("/firm"))  # nor the inspection the notice came from
    reply = db.session.scalar(select(FirmAnswer))
    assert (reply.notice_id, reply.firm_id) == (notice.id, world["firm"].id)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "inspection.answer"))
    assert (event.actor, event.chain) == ("firm:lvyuan-pm", world["estate"].id)
    assert post(f"/firm/inspections/{inspection.id}", {"text": "检查意见收到。"}).status_code == 302
    client.post("/logout")
    login("supervisor")
    assert "已安排保洁班组三日内清理3号楼楼道" in text_of(client.get(f"/e/lvyuan/notices/{notice.id}"))
    assert "检查意见收到" in text_of(client.get(f"/e/lvyuan/inspections/{inspection.id}"))


def test_a_platform_admin_creates_a_firm_login_from_the_firms_page_and_can_disable_it(client, login, post, world, make_staff):
    make_staff("root", admin=True)
    login("root")
    firm = world["firm"]
    created = post(
        f"/admin/firms/{firm.id}/accounts",
        {"account-username": "lvyuan-desk", "account-display_name": "绿苑物业 客服 林晓燕", "account-password": "desk password 1"},
    )
    assert created.status_code == 302
    again = post(
        f"/admin/firms/{firm.id}/accounts",
        {"account-username": "supervisor", "account-display_name": "冒名", "account-password": "desk password 1"},
    )
    assert again.status_code == 400
    assert "已被使用" in text_of(again)
    account = next(a for a in firm.accounts if a.username == "lvyuan-desk")
    client.post("/logout")
    assert post("/firm/login", {"username": "lvyuan-desk", "password": "desk password 1"}).status_code == 302
    assert client.get("/firm").status_code == 200
    client.post("/logout")
    login("root")
    post(f"/admin/firms/{firm.id}/accounts/{account.id}/disable", {"reason-reason": "离职"})
    client.post("/logout")
    refused = post("/firm/login", {"username": "lvyuan-desk", "password": "desk password 1"})
    assert refused.status_code == 200
    assert "已停用" in text_of(refused)


# --- bad input: each refused with a reason, nothing half-written ---------------------------------------


def test_an_inspection_of_another_estate_by_a_supervisor_not_of_it_is_refused(client, login, world):
    login("sup-qiushi")
    before = counts()
    assert client.get("/e/lvyuan/inspections/new").status_code == 404
    assert client.get(f"/e/lvyuan/inspections/draft/{world['form'].id}.json").status_code == 404
    csrf = csrf_of(client, "/e/qiushi/inspections/new")
    own = draft_of(client, world, world["other_estate"])
    # A document naming 绿苑 posted to 绿苑 by a supervisor of 秋实: not found.
    foreign = inspection_document(
        {**own, "estate": {"id": world["estate"].id, "name": world["estate"].name}}, world["signers"]["sup-qiushi"]
    )
    assert post_signed(client, "/e/lvyuan/inspections", csrf, foreign, world["signers"]["sup-qiushi"]).status_code == 404
    # Posted to the supervisor's own estate, it names another: refused with the reason.
    refused = post_signed(client, "/e/qiushi/inspections", csrf, foreign, world["signers"]["sup-qiushi"])
    assert refused.status_code == 400
    assert "另一个小区" in refused.get_json()["error"]
    # And the operation itself refuses a supervisor who is not of the estate.
    actor = db.session.scalar(select(StaffUser).where(StaffUser.username == "sup-qiushi"))
    with pytest.raises(ops.InspectionError, match="only a supervisor of this estate"):
        ops.record_inspection(
            world["estate"],
            actor=actor,
            document=foreign,
            kid=world["signers"]["sup-qiushi"].kid,
            sig=sign_document(world["signers"]["sup-qiushi"], foreign),
        )
    assert counts() == before


def test_a_signature_by_a_key_not_the_inspectors_is_refused(client, login, world):
    before = counts()
    login("supervisor")
    csrf = csrf_of(client, "/e/lvyuan/inspections/new")
    other = world["signers"]["supervisor2"]  # a supervisor of the estate, but not the one posting
    document = inspection_document(draft_of(client, world), other)
    refused = post_signed(client, "/e/lvyuan/inspections", csrf, document, other)
    assert refused.status_code == 400
    assert "不是您本人已登记的有效签名密钥" in refused.get_json()["error"]
    # The supervisor's own key named, but the bytes signed by another key: the signature fails.
    mine = world["signers"]["supervisor"]
    document = inspection_document(draft_of(client, world), mine)
    refused = post_signed(client, "/e/lvyuan/inspections", csrf, document, mine, sig=sign_document(other, document))
    assert refused.status_code == 400
    assert "签名无效" in refused.get_json()["error"]
    # A score changed after signing breaks the signature too.
    signed = sign_document(mine, document)
    document["items"][0]["score"] = 0
    assert post_signed(client, "/e/lvyuan/inspections", csrf, document, mine, sig=signed).status_code == 400
    assert counts() == before


def test_a_photo_that_is_not_an_image_is_refused_with_the_reason(client, login, world):
    before = counts()
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    response, _doc = inspect(client, login, world, photos=[(pdf, "report.pdf")])
    assert response.status_code == 400
    assert "只接受 JPEG、PNG 图片" in response.get_json()["error"]
    assert counts() == before


def test_a_photo_with_camera_metadata_or_not_the_ones_signed_is_refused(client, login, world):
    before = counts()
    response, _doc = inspect(client, login, world, photos=[(photo_bytes(exif=True), "camera.jpg")])
    assert response.status_code == 400
    assert "EXIF" in response.get_json()["error"]
    login("supervisor")
    csrf = csrf_of(client, "/e/lvyuan/inspections/new")
    signer = world["signers"]["supervisor"]
    document = inspection_document(draft_of(client, world), signer, photos=[photo_bytes()])
    swapped = post_signed(client, "/e/lvyuan/inspections", csrf, document, signer, photos=[(photo_bytes("PNG"), "other.png")])
    assert swapped.status_code == 400
    assert "不一致" in swapped.get_json()["error"]
    assert counts() == before


def test_an_inspection_dated_ahead_naming_another_firm_or_replayed_is_refused(client, login, world):
    tomorrow = (world["today"] + timedelta(days=1)).isoformat()
    response, _doc = inspect(client, login, world, date=tomorrow)
    assert response.status_code == 400
    assert "之后" in response.get_json()["error"]
    response, _doc = inspect(client, login, world, firm={"name": OTHER_FIRM[0], "uscc": OTHER_FIRM[1]})
    assert response.status_code == 400
    assert "服务企业" in response.get_json()["error"]
    response, document = inspect(client, login, world)
    assert response.status_code == 200
    before = counts()
    csrf = csrf_of(client, "/e/lvyuan/inspections")
    again = post_signed(client, "/e/lvyuan/inspections", csrf, document, world["signers"]["supervisor"])
    assert again.status_code == 400
    assert "已经保存过" in again.get_json()["error"]
    assert counts() == before


def test_a_notice_with_a_deadline_not_after_today_is_refused(client, login, world):
    yesterday = (world["today"] - timedelta(days=1)).isoformat()
    response, _doc = inspect(client, login, world, date=yesterday)
    assert response.status_code == 200, response.get_data(as_text=True)
    inspection = db.session.scalar(select(Inspection))
    before = counts()
    csrf = csrf_of(client, f"/e/lvyuan/inspections/{inspection.id}")
    signer, today = world["signers"]["supervisor"], world["today"]
    # Signed yesterday (the day of the inspection) with today as the deadline: well formed, and
    # still refused: the deadline is not after today.
    document = notice_document(inspection, signer, day=yesterday, deadline=today.isoformat())
    refused = post_signed(client, f"/e/lvyuan/inspections/{inspection.id}/notices", csrf, document, signer)
    assert refused.status_code == 400
    assert "不在今天之后" in refused.get_json()["error"]
    # A deadline before the day it is issued is malformed.
    document = notice_document(inspection, signer, day=today.isoformat(), deadline=(today - timedelta(days=1)).isoformat())
    refused = post_signed(client, f"/e/lvyuan/inspections/{inspection.id}/notices", csrf, document, signer)
    assert refused.status_code == 400
    assert "deadline is after the day" in refused.get_json()["error_en"]
    # A notice signed yesterday with today as its deadline, checked today: not after today.
    supervisor = db.session.scalar(select(StaffUser).where(StaffUser.username == "supervisor"))
    document = notice_document(inspection, signer, day=(today - timedelta(days=1)).isoformat(), deadline=today.isoformat())
    with pytest.raises(ops.InspectionError, match="not after today"):
        ops.issue_notice(
            inspection, world["estate"], actor=supervisor, document=document, kid=signer.kid, sig=sign_document(signer, document)
        )
    assert counts() == before


def test_a_followup_for_a_notice_of_another_estate_is_refused(client, login, world, make_staff):
    inspection = recorded(client, login, world)
    notice = issued(client, world, inspection)
    client.post("/logout")
    before = counts()
    login("sup-qiushi")
    signer = world["signers"]["sup-qiushi"]
    csrf = csrf_of(client, "/e/qiushi/inspections")
    document = followup_document(notice, signer, [True], day=world["today"].isoformat())
    # Through the other estate's address the notice does not exist, and through its own the
    # supervisor has no role: both 404, so notice ids of other estates cannot be probed.
    assert post_signed(client, f"/e/qiushi/notices/{notice.id}/followups", csrf, document, signer).status_code == 404
    assert post_signed(client, f"/e/lvyuan/notices/{notice.id}/followups", csrf, document, signer).status_code == 404
    actor = db.session.scalar(select(StaffUser).where(StaffUser.username == "sup-qiushi"))
    with pytest.raises(ops.InspectionError, match="of another estate"):
        ops.record_followup(
            notice, world["other_estate"], actor=actor, document=document, kid=signer.kid, sig=sign_document(signer, document)
        )
    assert counts() == before


def test_a_firm_reading_another_firms_notice_or_inspection_gets_404(client, login, post, world):
    inspection = recorded(client, login, world, photos=[(photo_bytes(), "a.jpg")])
    notice = issued(client, world, inspection)
    client.post("/logout")
    assert post("/firm/login", {"username": "qiushi-pm", "password": "firm password 2"}).status_code == 302
    before = counts()
    photo = ops.photos_of("inspection", inspection.id)[0]
    for url in (
        f"/firm/notices/{notice.id}",
        f"/firm/inspections/{inspection.id}",
        f"/firm/inspections/{inspection.id}.json",
        f"/files/{photo.id}",
        f"/firm/notices/{notice.id + 1000}",
    ):
        assert client.get(url).status_code == 404, url
    assert post(f"/firm/notices/{notice.id}", {"text": "不是我们的"}).status_code == 404
    assert "绿苑" not in text_of(client.get("/firm"))
    assert counts() == before


def test_a_firm_login_sees_nothing_of_owners_or_of_the_estates_staff_pages(client, post, world):
    assert post("/firm/login", {"username": "lvyuan-pm", "password": "firm password 1"}).status_code == 302
    for url in ("/e/lvyuan/", "/e/lvyuan/members", "/e/lvyuan/inspections", "/e/lvyuan/roll", "/e/lvyuan/evaluations"):
        assert client.get(url).status_code == 404, url
    assert client.get("/me").status_code == 302  # to the owners' sign-in
    assert client.get("/admin/firms").status_code == 403
    assert client.get("/staff/keys").status_code == 404


# --- the firm's photos with its answer ---------------------------------------------------------------------


def firm_login(post, who: str = "lvyuan-pm") -> None:
    password = {"lvyuan-pm": "firm password 1", "qiushi-pm": "firm password 2"}[who]
    assert post("/firm/login", {"username": who, "password": password}).status_code == 302


def with_photos(text: str, *photos: tuple[bytes, str]) -> dict:
    return {"text": text, "photo": [(io.BytesIO(data), name) for data, name in photos]}


def shown_files(page) -> list[int]:
    """The attachments a page shows as images, by id."""
    return [int(n) for n in re.findall(r'<img class="photo" src="/files/(\d+)"', page.get_data(as_text=True))]


def test_the_firm_answers_with_photos_and_staff_and_the_firm_see_them_as_the_inspectors(client, login, post, world):
    inspection = recorded(client, login, world, {"stairwells": 2}, photos=[(photo_bytes(), "stairs.jpg")])
    notice = issued(client, world, inspection)
    client.post("/logout")
    firm_login(post)
    page = client.get(f"/firm/notices/{notice.id}").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page
    assert 'name="photo"' in page
    answered = post(
        f"/firm/notices/{notice.id}",
        with_photos(
            "3号楼楼道杂物已清理，见照片。", (photo_bytes(colour=(10, 20, 30)), "after-1.jpg"), (photo_bytes("PNG"), "after-2.png")
        ),
    )
    assert answered.status_code == 302, answered.get_data(as_text=True)
    reply = db.session.scalar(select(FirmAnswer))
    photos = ops.photos_of("answer", reply.id)
    assert [(p.kind, p.content_type, p.estate_id, p.uploaded_by) for p in photos] == [
        ("answer", "image/jpeg", world["estate"].id, "firm:lvyuan-pm"),
        ("answer", "image/png", world["estate"].id, "firm:lvyuan-pm"),
    ]
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "inspection.answer"))
    assert event.details["photos"] == 2
    assert shown_files(client.get(f"/firm/notices/{notice.id}")) == [p.id for p in photos]
    for p in photos:
        assert client.get(f"/files/{p.id}").status_code == 200
    # An answer to the inspection itself carries its photo too, shown beside the inspector's.
    assert post(f"/firm/inspections/{inspection.id}", with_photos("收到。", (photo_bytes(colour=(9, 9, 9)), "gate.jpg"))).status_code == 302
    second = db.session.scalar(select(FirmAnswer).where(FirmAnswer.inspection_id == inspection.id))
    [gate] = ops.photos_of("answer", second.id)
    inspector_photo = ops.photos_of("inspection", inspection.id)[0]
    assert shown_files(client.get(f"/firm/inspections/{inspection.id}")) == [inspector_photo.id, gate.id]
    for who in ("supervisor", "organiser"):
        client.post("/logout")
        login(who)
        assert shown_files(client.get(f"/e/lvyuan/notices/{notice.id}")) == [p.id for p in photos]
        assert shown_files(client.get(f"/e/lvyuan/inspections/{inspection.id}")) == [inspector_photo.id, gate.id]
        assert client.get(f"/files/{gate.id}").status_code == 200


def test_a_firms_photo_with_the_place_it_was_taken_or_too_many_or_not_an_image_is_refused_and_nothing_kept(client, login, post, world):
    inspection = recorded(client, login, world, {"stairwells": 2})
    notice = issued(client, world, inspection)
    client.post("/logout")
    firm_login(post)
    before = counts()
    refused = post(f"/firm/notices/{notice.id}", with_photos("已整改。", (photo_bytes(gps=True), "IMG_20261208.jpg")))
    assert refused.status_code == 200
    page = text_of(refused)
    assert "照片“IMG_20261208.jpg”带有拍摄信息（EXIF，可能含位置），没有保存" in page
    assert "已整改。" in page  # the answer written stays in the form
    too_many = [(photo_bytes(colour=(n, n, n)), f"p{n}.jpg") for n in range(fmt.MAX_PHOTOS + 1)]
    assert f"照片最多 {fmt.MAX_PHOTOS} 张" in text_of(post(f"/firm/notices/{notice.id}", with_photos("已整改。", *too_many)))
    not_image = text_of(post(f"/firm/notices/{notice.id}", with_photos("已整改。", (b"%PDF-1.4 not a photo", "report.jpg"))))
    assert "照片“report.jpg”没有保存" in not_image
    # No page can put files back into a file input: the refusal says to choose them again.
    assert "您选的照片没有随之保存：请重新选择。" in not_image
    without_text = text_of(post(f"/firm/notices/{notice.id}", with_photos("", (photo_bytes(), "after.jpg"))))
    assert "请填写答复。" in without_text
    assert "您选的照片没有随之保存：请重新选择。" in without_text
    assert counts() == before
    # Without the photo's metadata (as the page's script re-draws it) the same answer is kept.
    assert post(f"/firm/notices/{notice.id}", with_photos("已整改。", (photo_bytes(), "IMG_20261208.jpg"))).status_code == 302
    assert counts()["FirmAnswer"] == before["FirmAnswer"] + 1
    assert counts()["Attachment"] == before["Attachment"] + 1


def test_another_firm_cannot_attach_a_photo_where_it_does_not_serve_nor_read_the_firms_photos(client, login, post, world):
    inspection = recorded(client, login, world, {"stairwells": 2})
    notice = issued(client, world, inspection)
    client.post("/logout")
    firm_login(post)
    assert post(f"/firm/notices/{notice.id}", with_photos("已整改。", (photo_bytes(), "after.jpg"))).status_code == 302
    [kept] = ops.photos_of("answer", db.session.scalar(select(FirmAnswer.id)))
    client.post("/logout")
    firm_login(post, "qiushi-pm")
    before = counts()
    for url in (f"/firm/notices/{notice.id}", f"/firm/inspections/{inspection.id}"):
        assert post(url, with_photos("不是我们的", (photo_bytes(colour=(5, 5, 5)), "x.jpg"))).status_code == 404, url
    assert client.get(f"/files/{kept.id}").status_code == 404
    other = db.session.scalar(select(FirmUser).where(FirmUser.username == "qiushi-pm"))
    with pytest.raises(ops.InspectionError, match="only the firm inspected may answer"):
        ops.answer(notice, account=other, text="不是我们的", photos=[(photo_bytes(colour=(6, 6, 6)), "y.jpg")])
    assert counts() == before


# --- the inspections measure in the district's ranking ---------------------------------------------------


def test_a_rule_weighing_inspections_ranks_the_firm_by_its_signed_inspections(client, login, world, make_staff):
    from crypto import ranking as rk
    from webapp.rankings.models import RankingEntry

    recorded(client, login, world, {"stairwells": 0, "fire-lanes": 0})  # 76
    recorded(client, login, world)  # 100
    admin = make_staff("root", admin=True)
    ranking = ranking_by_inspections(world, admin)
    document = json.loads(ranking.document)
    row = next(r for r in document["estates"] if r["estate"]["id"] == world["estate"].id)
    assert row["measures"]["inspections"] == "88/1"  # (76 + 100) / 2
    assert (row["score"], row["band"]) == ("88/1", "red")
    other = next(r for r in document["estates"] if r["estate"]["id"] == world["other_estate"].id)
    assert other["unscored"] == "no-inspection"
    entry = db.session.scalar(select(RankingEntry).where(RankingEntry.estate_id == world["estate"].id))
    assert entry.shown == "88.00"
    # Checked offline against the signed inspections the firm downloads.
    client.post("/logout")
    client.post("/firm/login", data={"username": "lvyuan-pm", "password": "firm password 1", "csrf_token": csrf_of(client, "/firm/login")})
    records = [client.get(f"/firm/inspections/{i.id}.json").get_json() for i in db.session.scalars(select(Inspection))]
    assert rk.verify_ranking(document, inspections=records)["inspections"] == 2
    page = text_of(client.get(f"/rankings/{ranking.id}"))
    assert "检查考核得分" in page


def test_a_ranking_is_not_made_on_an_inspection_whose_signature_does_not_bear_it_out(client, login, world, make_staff):
    from webapp.rankings import operations as rankings
    from webapp.rankings.models import Ranking

    inspection = recorded(client, login, world, {"stairwells": 0})
    changed = json.loads(inspection.document)
    changed["items"][0]["score"] = 10  # written into the database past the application
    inspection.document = json.dumps(changed, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    db.session.commit()
    assert not ops.checked(inspection).intact
    assert "核验失败" in text_of(client.get(f"/e/lvyuan/inspections/{inspection.id}"))
    admin = make_staff("root", admin=True)
    with pytest.raises(rankings.RankingError, match="does not verify; no ranking was made"):
        ranking_by_inspections(world, admin, score_percent=50)
    assert db.session.scalar(select(func.count()).select_from(Ranking)) == 0


def test_an_inspection_changed_in_the_database_is_named_by_the_integrity_check(client, login, world):
    from webapp.oversight.integrity import check_estate

    inspection = recorded(client, login, world)
    assert check_estate(world["estate"]).ok, check_estate(world["estate"]).findings
    forged = inspection.document.replace('"notes":"', '"notes":"（已改）', 1)
    assert forged != inspection.document
    db.session.execute(update(Inspection).where(Inspection.id == inspection.id).values(document=forged))
    db.session.commit()
    findings = check_estate(world["estate"]).findings
    assert {f.area for f in findings} == {"inspections"}  # its digest and its signature, both named
    assert any(f"inspection no. {inspection.id}: the document does not match its digest" in f.en for f in findings)
