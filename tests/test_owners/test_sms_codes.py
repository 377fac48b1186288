"""The SMS code of registration lives on the server: kept only as a keyed hash, its wrong tries
counted there whatever the cookie, resent at most once a minute; an owner whose code never
arrives can ask the supervisors instead."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select

from tests.factories import ZHANG_TAIL, restore, saved
from webapp.core.models import ServerSession
from webapp.owners.models import SmsCode


@pytest.fixture
def sms_on(estate, db_session):
    estate.sms_required = True
    db_session.commit()
    return estate


def _to_code_step(client, post, letter):
    token, _ = letter()
    client.get(f"/r/{token}")
    post("/join", {"id-name": "张三", "id-id_tail": ZHANG_TAIL})
    post("/join/phone", {"ph-phone": "13812345678"})
    return token


def test_the_sms_code_is_kept_only_as_a_keyed_hash_on_the_server(client, post, letter, sms_on, app, db_session):
    import re

    _to_code_step(client, post, letter)
    code = re.search(r"(\d{6})", app.extensions["ownersvote_sms"].sent[-1][1]).group(1)
    record = db_session.scalar(select(SmsCode))
    assert record.code_hash not in (hashlib.sha256(code.encode()).hexdigest(), code)
    assert code not in saved(client)
    assert record.code_hash not in saved(client)
    stored = b"".join(db_session.scalars(select(ServerSession.data)).all())
    assert code.encode() not in stored
    assert record.code_hash.encode() not in stored


def test_wrong_codes_count_on_the_server_whatever_the_cookie(client, post, letter, sms_on, app, db_session):
    _to_code_step(client, post, letter)
    fresh = saved(client)
    for _ in range(5):
        restore(client, fresh)  # every try from the same saved cookie
        post("/join/code", {"sc-sms_code": "000001"})
    assert db_session.scalar(select(SmsCode)).attempts == 5
    restore(client, fresh)
    page = post("/join/code", {"sc-sms_code": "000001"}).get_data(as_text=True)
    assert "错误次数过多" in page


def test_the_code_page_names_the_masked_number_and_offers_resend_and_review(client, post, letter, sms_on):
    _to_code_step(client, post, letter)
    page = client.get("/join/code").get_data(as_text=True)
    assert "138****5678" in page
    assert "重新发送验证码" in page
    assert "收不到验证码" in page
    assert "第 2 步（共 3 步）" in page


def test_a_code_cannot_be_resent_within_a_minute(client, post, letter, sms_on, app):
    _to_code_step(client, post, letter)
    sent = len(app.extensions["ownersvote_sms"].sent)
    page = post("/join/phone", {"ph-phone": "13812345678"}, follow_redirects=True).get_data(as_text=True)
    assert "秒后再重新发送" in page
    assert len(app.extensions["ownersvote_sms"].sent) == sent


def test_an_owner_whose_code_never_arrives_can_ask_the_supervisors(client, post, letter, sms_on, db_session):
    from webapp.owners.models import Registration

    _to_code_step(client, post, letter)
    response = post("/join/review", {"rv-name": "张三", "rv-note": "收不到短信"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/join/device")
    registration = db_session.scalar(select(Registration))
    assert registration.state == "pending"
    assert registration.tail_matched
    assert registration.holder_id is not None
