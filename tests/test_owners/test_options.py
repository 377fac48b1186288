"""Estate options and special owners: SMS codes, organisations, the developer's units, Redis."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import time_machine
from sqlalchemy import select

from tests.factories import REDIS_URL, ZHANG_TAIL, need_redis
from webapp.owners.models import Registration


@pytest.fixture
def sms_estate(estate, db_session):
    estate.sms_required = True
    db_session.commit()
    return estate


def sent_code(app) -> str:
    backend = app.extensions["ownersvote_sms"]
    return re.search(r"(\d{6})", backend.sent[-1][1]).group(1)


def test_with_sms_on_the_code_goes_to_the_registry_number_and_completes_registration(
    client, post, letter, device, sms_estate, app, db_session
):
    token, _ = letter()
    client.get(f"/r/{token}")
    response = post("/join", {"id-name": "张三", "id-id_tail": ZHANG_TAIL})
    assert response.headers["Location"].endswith("/join/phone")
    post("/join/phone", {"ph-phone": "138 1234 5678"})
    assert app.extensions["ownersvote_sms"].sent[-1][0] == "13812345678"
    post("/join/code", {"sc-sms_code": sent_code(app)})
    assert device.register().status_code == 200
    registration = db_session.scalar(select(Registration))
    assert registration.state == "approved"
    assert registration.phone_verified


def test_a_number_that_is_not_the_registrys_gets_no_code(client, post, letter, sms_estate, app):
    token, _ = letter()
    client.get(f"/r/{token}")
    post("/join", {"id-name": "张三", "id-id_tail": ZHANG_TAIL})
    before = len(app.extensions.get("ownersvote_sms").sent) if "ownersvote_sms" in app.extensions else 0
    page = post("/join/phone", {"ph-phone": "13900000000"}, follow_redirects=True).get_data(as_text=True)
    assert "不一致" in page
    after = len(app.extensions["ownersvote_sms"].sent) if "ownersvote_sms" in app.extensions else 0
    assert after == before


def test_a_wrong_sms_code_does_not_register(client, post, letter, sms_estate, app, db_session):
    token, _ = letter()
    client.get(f"/r/{token}")
    post("/join", {"id-name": "张三", "id-id_tail": ZHANG_TAIL})
    post("/join/phone", {"ph-phone": "13812345678"})
    wrong = "000000" if sent_code(app) != "000000" else "111111"
    page = post("/join/code", {"sc-sms_code": wrong}).get_data(as_text=True)
    assert "验证码不正确，还可再试 4 次" in page
    assert db_session.scalar(select(Registration)) is None


def test_an_organisation_goes_to_the_queue_even_when_its_details_match(client, post, letter, device, db_session):
    token, _ = letter("S-1")
    client.get(f"/r/{token}")
    post("/join", {"id-name": "明远商贸有限公司", "id-id_tail": "0100Y43"[-6:]})
    assert device.register().status_code == 200
    registration = db_session.scalar(select(Registration))
    assert registration.state == "pending"
    assert registration.tail_matched


def test_a_supervisor_can_approve_the_developers_representative_for_an_unsold_unit(post, ask_review, login, staff, estate, db_session):
    registration = ask_review("3-301", "开发商代表", "123456", "代表建设单位，持授权书")
    login("supervisor")
    post(
        f"/e/{estate.slug}/registrations/{registration.id}/approve",
        {f"r{registration.id}-as_developer": "y", f"r{registration.id}-reason": "核对了建设单位授权书"},
    )
    db_session.expire_all()
    registration = db_session.get(Registration, registration.id)
    assert registration.state == "approved"
    assert registration.member_ref == "developer"
    assert registration.can_vote


def test_a_delivered_unit_cannot_be_approved_for_the_developer(post, ask_review, login, staff, estate, db_session):
    registration = ask_review("1-101", "某人", "123456", "x")
    login("supervisor")
    post(
        f"/e/{estate.slug}/registrations/{registration.id}/approve",
        {f"r{registration.id}-as_developer": "y", f"r{registration.id}-reason": "试试"},
    )
    db_session.expire_all()
    assert db_session.get(Registration, registration.id).state == "pending"


@pytest.mark.redis
def test_with_redis_the_scan_limit_holds_across_app_processes(app, database_url):
    import redis

    need_redis()
    import uuid

    from webapp import create_app

    # Both "processes" share Redis and a key prefix of their own, so no other run can interfere.
    prefix = f"ownersvote-test-{uuid.uuid4().hex}"
    config = {"SQLALCHEMY_DATABASE_URI": database_url, "RATELIMIT_STORAGE_URI": REDIS_URL, "RATELIMIT_KEY_PREFIX": prefix}
    apps = [create_app(config) for _ in range(2)]
    first, second = (a.test_client() for a in apps)
    # The clock stands still: on a loaded machine 31 requests can take longer than the limit's
    # minute, and the first hits would leave the window (seen in a clean-clone run beside others).
    with time_machine.travel(datetime.now(UTC), tick=False):
        codes = [first.get("/r/" + "C" * 43).status_code for _ in range(30)]
        assert codes == [303] * 30
        assert second.get("/r/" + "C" * 43).status_code == 429
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"*{prefix}*"):
        client.delete(key)
