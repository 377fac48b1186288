"""Notices on the owner's page: what was published for them, newest first, in their language, and
an optional text message that goes only to their own number of record."""

from __future__ import annotations

from sqlalchemy import select

from webapp.owners.models import Notification, Registration
from webapp.owners.notifications import notify, sms_numbers


def me(client) -> str:
    return client.get("/me").get_data(as_text=True)


def test_published_notices_appear_on_the_owners_page_newest_first_and_can_be_marked_read(client, post, onboard, estate, db_session):
    onboard()
    assert "暂无通知" in me(client)
    notify(estate.id, kind="notice", zh="业主大会公告：2026年第一次业主大会", en="Notice of the owners' assembly", url="/p/lvyuan/a/1")
    notify(estate.id, kind="result", zh="表决结果公示：2026年第一次业主大会", en="Results published", url="https://elsewhere.example/x")
    db_session.commit()
    page = me(client)
    assert "2 条新通知" in page
    assert page.index("表决结果公示") < page.index("业主大会公告")
    assert '<a href="/p/lvyuan/a/1">' in page
    assert "elsewhere.example" not in page
    post("/me/notices/read")
    assert all(n.read_at is not None for n in db_session.scalars(select(Notification)))
    assert "新通知" not in me(client)
    assert "表决结果公示" in me(client)


def test_notices_speak_english_when_chosen(client, post, onboard, estate, db_session):
    onboard()
    notify(estate.id, kind="result", zh="表决结果公示", en="Results published: first assembly", url="/p/lvyuan/a/1/results")
    db_session.commit()
    post("/lang", {"lang": "en", "next": "/me"})
    page = me(client)
    assert "Results published: first assembly" in page
    assert "1 new" in page


def test_an_owner_gets_notice_texts_on_the_number_of_record_and_can_stop_them(client, post, onboard, estate, db_session, app):
    onboard()
    response = post("/me/notices/phone", {"np-phone": "138 1234 5678"}, follow_redirects=True)
    assert "通知短信将发送到 138****5678" in response.get_data(as_text=True)
    with app.test_request_context():
        assert sms_numbers(estate.id) == ["13812345678"]
    registration = db_session.scalar(select(Registration))
    assert "13812345678" not in (registration.notify_phone_enc or "")  # kept encrypted
    response = post("/me/notices/phone", {"np-phone": ""}, follow_redirects=True)
    assert "不再发送通知短信" in response.get_data(as_text=True)
    db_session.expire_all()
    with app.test_request_context():
        assert sms_numbers(estate.id) == []


def test_a_number_that_is_not_the_owners_of_record_is_refused_and_nothing_is_kept(client, post, onboard, estate, db_session, app):
    onboard()
    page = post("/me/notices/phone", {"np-phone": "13900001111"}, follow_redirects=True).get_data(as_text=True)
    assert "这不是登记簿中您的手机号（138****5678）" in page
    assert "物业服务中心" in page
    page = post("/me/notices/phone", {"np-phone": "12345"}, follow_redirects=True).get_data(as_text=True)
    assert "请输入 11 位手机号" in page
    db_session.expire_all()
    assert db_session.scalar(select(Registration)).notify_phone_enc is None
    with app.test_request_context():
        assert sms_numbers(estate.id) == []


def test_an_owner_without_a_number_in_the_registry_is_told_how_to_get_texts(client, post, onboard, db_session):
    onboard("2-201")  # 张三's second unit: the registry gives no number on that line... but he is one holder
    registration = db_session.scalar(select(Registration))
    registration.holder.phone_hash = None
    db_session.commit()
    page = post("/me/notices/phone", {"np-phone": "13812345678"}, follow_redirects=True).get_data(as_text=True)
    assert "登记簿中没有您的手机号" in page
    assert "通知仍会显示在本页" in page
    assert db_session.scalar(select(Registration)).notify_phone_enc is None


def test_notices_and_the_number_form_need_a_signed_in_owner(client, post):
    assert client.get("/me").status_code in (302, 303)
    assert post("/me/notices/phone", {"np-phone": "13812345678"}).status_code in (302, 303)
    assert post("/me/notices/read").status_code in (302, 303)
