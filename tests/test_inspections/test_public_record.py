"""The public record of an estate's inspections (/p/SLUG/inspections): owners and anyone else read
the inspections, notices, follow-ups and the firm's answers, each shown only after its signature
is checked, and download the signed inspections a published ranking names to check it offline.
The photos, and the name of the firm's answering account, stay with the estate's staff and the firm."""

from __future__ import annotations

import io
import json

from sqlalchemy import select, update

from crypto import inspection as fmt
from tests.factories import csrf_of, photo_bytes, text_of
from webapp.core.db import db
from webapp.inspections import operations as ops
from webapp.inspections.models import Inspection

from .helpers import issued, ranking_by_inspections, recorded


def _answer_as_firm(client, post, path: str, text: str) -> None:
    client.post("/logout")
    assert post("/firm/login", {"username": "lvyuan-pm", "password": "firm password 1"}).status_code == 302
    assert post(path, {"text": text}).status_code == 302


def _anyone(client):
    """A visitor with no cookie at all (the test's client stays signed in as whoever it was)."""
    return client.application.test_client()


def test_anyone_reads_the_estates_inspections_notices_and_answers_without_signing_in(client, login, post, world):
    inspection = recorded(client, login, world, {"stairwells": 2}, photos=[(photo_bytes(), "stairs.jpg")])
    notice = issued(client, world, inspection, items=["楼道堆物清理", "消防通道画线"])
    _answer_as_firm(client, post, f"/firm/notices/{notice.id}", "已安排保洁班组三日内清理楼道。")
    client = _anyone(client)

    listing = text_of(client.get("/p/lvyuan/inspections"))
    assert "物业检查" in listing or "Inspections of the property firm" in listing
    assert f"/p/lvyuan/inspections/{inspection.id}" in client.get("/p/lvyuan/inspections").get_data(as_text=True)

    response = client.get(f"/p/lvyuan/inspections/{inspection.id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    page = text_of(response)
    assert "楼道堆物清理" in page
    assert "消防通道画线" in page
    assert "已安排保洁班组三日内清理楼道" in page
    # No photo and no person's name: the photos are counted and said to be kept back.
    photo = ops.photos_of("inspection", inspection.id)[0]
    assert f"/files/{photo.id}" not in html
    assert "只给本小区工作人员和物业" in page or "estate's staff and the firm only" in page
    assert world["staff"]["supervisor"].display_name in page  # who inspected, as results name who certified
    assert "孙志强" not in page  # the firm's answering account
    # The inspector's key id is for technical readers only: in the fold, not in the sentence.
    fold = html.index('<details class="tech">')
    assert inspection.kid in html[fold:]
    assert inspection.kid[:10] not in html[:fold]
    assert client.get(f"/files/{photo.id}").status_code in (403, 404)


def test_the_public_signed_inspection_verifies_offline(client, login, world):
    inspection = recorded(client, login, world)
    client = _anyone(client)
    response = client.get(f"/p/lvyuan/inspections/{inspection.id}.json")
    assert response.status_code == 200
    record = response.get_json()
    fmt.verify_signed(record)  # raises if the signature or the document is not right
    assert record["document"]["estate"]["id"] == world["estate"].id


def test_an_inspection_under_another_estates_address_or_an_unknown_estate_is_404(client, login, world):
    inspection = recorded(client, login, world)
    client = _anyone(client)
    assert client.get(f"/p/qiushi/inspections/{inspection.id}").status_code == 404
    assert client.get(f"/p/qiushi/inspections/{inspection.id}.json").status_code == 404
    assert client.get("/p/no-such-estate/inspections").status_code == 404


def test_an_inspection_changed_in_the_database_shows_an_alarm_and_not_its_items(client, login, world):
    inspection = recorded(client, login, world, {"stairwells": 2})
    forged = inspection.document.replace('"notes":"', '"notes":"（已改）', 1)
    db.session.execute(update(Inspection).where(Inspection.id == inspection.id).values(document=forged))
    db.session.commit()
    client = _anyone(client)
    page = text_of(client.get(f"/p/lvyuan/inspections/{inspection.id}"))
    assert "核验失败" in page or "does not verify" in page
    assert "（已改）" not in page


def test_anyone_checks_a_ranking_with_the_inspections_it_links(client, login, world, make_staff):
    from crypto import ranking as rk

    recorded(client, login, world, {"stairwells": 0, "fire-lanes": 0})
    recorded(client, login, world)
    admin = make_staff("root", admin=True)
    ranking = ranking_by_inspections(world, admin)
    client = _anyone(client)
    html = client.get(f"/rankings/{ranking.id}").get_data(as_text=True)
    links = [f"/p/lvyuan/inspections/{i.id}.json" for i in db.session.scalars(select(Inspection).order_by(Inspection.id))]
    assert all(link in html for link in links)
    records = [client.get(link).get_json() for link in links]
    document = json.loads(client.get(f"/rankings/{ranking.id}/ranking.json").get_data(as_text=True))
    assert rk.verify_ranking(document, inspections=records)["inspections"] == 2


def test_the_estates_public_page_leads_to_the_inspections(client, world):
    assert "/p/lvyuan/inspections" in _anyone(client).get("/p/lvyuan/assemblies").get_data(as_text=True)


def test_a_score_changed_in_the_database_is_never_shown_only_the_signed_documents(client, login, world):
    inspection = recorded(client, login, world, {"stairwells": 2})
    signed = ops.verified_score(inspection)
    assert signed == inspection.score == "452/5"  # 90.40 of 100, by the signed document
    db.session.execute(update(Inspection).where(Inspection.id == inspection.id).values(score="100/1"))
    db.session.commit()
    for path in (
        "/p/lvyuan/inspections",
        f"/p/lvyuan/inspections/{inspection.id}",
        "/e/lvyuan/inspections",
        f"/e/lvyuan/inspections/{inspection.id}",
    ):
        reader = client if path.startswith("/e/") else _anyone(client)
        page = text_of(reader.get(path))
        assert "90.40" in page, path
        assert "100.00 分" not in page, path


def test_an_inspection_whose_signature_fails_says_so_in_the_list_instead_of_a_score(client, login, world):
    inspection = recorded(client, login, world, {"stairwells": 2})
    forged = inspection.document.replace('"notes":"', '"notes":"（已改）', 1)
    db.session.execute(update(Inspection).where(Inspection.id == inspection.id).values(document=forged))
    db.session.commit()
    page = text_of(_anyone(client).get("/p/lvyuan/inspections"))
    assert "核验失败" in page or "does not verify" in page
    assert "90.40" not in page


def test_the_public_page_says_how_many_photos_came_with_the_firms_answer_and_why_they_are_not_shown(client, login, post, world):
    inspection = recorded(client, login, world, {"stairwells": 2})
    notice = issued(client, world, inspection)
    client.post("/logout")
    assert post("/firm/login", {"username": "lvyuan-pm", "password": "firm password 1"}).status_code == 302
    csrf = csrf_of(client, f"/firm/notices/{notice.id}")
    answered = client.post(
        f"/firm/notices/{notice.id}",
        data={"text": "已清理，附整改后照片。", "csrf_token": csrf, "photo": [(io.BytesIO(photo_bytes(colour=(9, 9, 9))), "after.jpg")]},
        content_type="multipart/form-data",
    )
    assert answered.status_code == 302
    page = text_of(_anyone(client).get(f"/p/lvyuan/inspections/{inspection.id}"))
    assert "这条答复附有 1 张照片" in page or "1 photos came with this answer" in page


def test_the_firm_downloads_the_signed_notice_addressed_to_it_and_staff_see_each_notices_answers(client, login, post, world):
    inspection = recorded(client, login, world, {"stairwells": 2})
    notice = issued(client, world, inspection)
    client.post("/logout")
    assert post("/firm/login", {"username": "lvyuan-pm", "password": "firm password 1"}).status_code == 302
    record = client.get(f"/firm/notices/{notice.id}.json").get_json()
    fmt.verify_signed(record)
    assert post(f"/firm/notices/{notice.id}", {"text": "已收到，三日内整改。"}).status_code == 302
    client.post("/logout")
    assert post("/firm/login", {"username": "qiushi-pm", "password": "firm password 2"}).status_code == 302
    assert client.get(f"/firm/notices/{notice.id}.json").status_code == 404  # another firm's
    login("supervisor")
    page = text_of(client.get(f"/e/lvyuan/inspections/{inspection.id}"))
    assert "物业对本次检查的答复" in page
    assert "物业答复 1 条" in page  # the notice's line says it has an answer


def test_after_signing_the_page_the_supervisor_lands_on_says_it_was_signed_and_saved(client, login, world):
    inspection = recorded(client, login, world)
    assert "已在本机签名并保存" in text_of(client.get(f"/e/lvyuan/inspections/{inspection.id}"))
    assert "已在本机签名并保存" not in text_of(client.get(f"/e/lvyuan/inspections/{inspection.id}"))  # said once


def test_each_item_shows_its_points_of_100_and_they_add_up_to_the_score():
    from fractions import Fraction

    items = [
        {"id": "stairwells", "score": 4, "max": 10, "weight": 1200},
        {"id": "handrails", "score": 5, "max": 10, "weight": 800},
        {"id": "gate", "score": 2, "max": 3, "weight": 1250},
        {"id": "rest", "score": 10, "max": 10, "weight": 6750},
    ]
    points = [ops.item_points(item) for item in items]
    assert points == [("4.80", "12"), ("4.00", "8"), ("8.33", "12.50"), ("67.50", "67.50")]
    assert sum(Fraction(got) for got, _most in points) == Fraction(8463, 100)
    assert fmt.inspection_score({"items": items}) == Fraction(4 * 1200, 1000) + 4 + Fraction(2 * 1250, 300) + Fraction(675, 10)


def test_the_firm_is_told_before_it_answers_that_its_answer_is_public(client, login, post, world):
    inspection = recorded(client, login, world, {"stairwells": 2})
    notice = issued(client, world, inspection, items=["楼道堆物清理"])
    client.post("/logout")
    assert post("/firm/login", {"username": "lvyuan-pm", "password": "firm password 1"}).status_code == 302
    for path in (f"/firm/notices/{notice.id}", f"/firm/inspections/{inspection.id}"):
        page = text_of(client.get(path))
        assert "您的答复会随检查记录公开" in page or "Your answer is published with the inspection" in page, path
        assert "小区工作人员和监督员会看到您的答复" not in page, path
