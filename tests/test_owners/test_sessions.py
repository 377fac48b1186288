"""Sessions live on the server: a saved copy of the cookie is worth nothing once the session it
named has moved on (a spent challenge, a registered key, a logout, a privilege change)."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import func, select

from tests.test_owners.conftest import ZHANG_TAIL, Device
from webapp.core.models import DeviceChallenge, ServerSession
from webapp.devices.models import DeviceKey
from webapp.owners.models import SmsCode

COOKIE = "ownersvote_session"


def saved(client) -> str:
    return client.get_cookie(COOKIE, domain="ownersvote.test").value


def restore(client, value: str) -> None:
    client.set_cookie(COOKIE, value, domain="ownersvote.test")


def test_the_cookie_holds_a_random_id_and_the_store_only_its_hash(client, login, make_estate, make_staff, db_session):
    make_staff("admin", admin=True)
    login("admin")
    sid = saved(client)
    assert len(sid) >= 40
    assert "." not in sid
    stored = db_session.scalars(select(ServerSession.id)).all()
    assert hashlib.sha256(sid.encode()).hexdigest() in stored
    assert sid not in stored


def test_a_saved_cookie_cannot_replay_a_spent_sign_in_challenge(client, onboard, device, post):
    onboard()
    post("/logout")
    challenge, signature = device.prove("signin")
    body = {"kid": device.signer.kid, "signature": signature, "challenge": challenge}
    csrf = device.csrf()
    before = saved(client)
    assert client.post("/signin", json=body, headers={"X-CSRFToken": csrf}).status_code == 200
    post("/logout")
    restore(client, before)
    replay = client.post("/signin", json=body, headers={"X-CSRFToken": csrf})
    assert replay.status_code in (400, 403)
    assert client.get("/me").status_code == 302


def test_a_challenge_is_spent_by_exactly_one_use(app, client, db_session):
    from webapp.core import challenges

    with app.test_request_context():
        issued = challenges.issue("signin", "http://ownersvote.test")
        from flask import session

        record_id = session["challenge:signin"]
        challenges.spend("signin", issued["challenge"])
        session["challenge:signin"] = record_id  # a copy of the session that still points to it
        with pytest.raises(challenges.ProofError, match="expired or was already used"):
            challenges.spend("signin", issued["challenge"])
    assert db_session.get(DeviceChallenge, record_id).used_at is not None


def test_a_cookie_saved_after_the_identity_step_cannot_register_a_second_key(client, post, letter, device, db_session):
    token, _ = letter()
    client.get(f"/r/{token}")
    post("/join", {"id-name": "张三", "id-id_tail": ZHANG_TAIL})
    after_identity = saved(client)
    assert device.register().status_code == 200
    restore(client, after_identity)
    assert client.get("/device/challenge?purpose=register").status_code == 403
    second = Device(client)
    response = client.post(
        "/join/device", json={"jwk": second.signer.jwk, "signature": "x", "challenge": "y"}, headers={"X-CSRFToken": second.csrf()}
    )
    assert response.status_code in (400, 403)
    assert db_session.scalar(select(func.count(DeviceKey.id))) == 1


def test_a_registration_never_gets_a_second_key_through_the_join_path(app, onboard, db_session):
    from crypto.keys import generate_p256
    from webapp.devices import operations as device_ops
    from webapp.owners.models import Registration

    onboard()
    registration = db_session.scalar(select(Registration))
    with pytest.raises(device_ops.DeviceKeyError, match="already has a device key"):
        device_ops.add_device_key(jwk=generate_p256().jwk, label=None, registration=registration)


def test_after_logout_a_saved_cookie_opens_no_staff_page(client, login, post, make_estate, make_staff):
    estate = make_estate()
    make_staff("sup", estate=estate, role="supervisor")
    login("sup")
    assert client.get(f"/e/{estate.slug}/audit").status_code == 200
    before_logout = saved(client)
    post("/logout")
    restore(client, before_logout)
    assert client.get(f"/e/{estate.slug}/audit").status_code == 302


def test_signing_in_gives_a_new_session_id(client, login, make_staff):
    make_staff("admin", admin=True)
    client.get("/login")
    anonymous = saved(client)
    login("admin")
    assert saved(client) != anonymous


def test_a_disabled_account_is_signed_out_at_once(client, login, make_staff, db_session):
    user = make_staff("admin", admin=True)
    login("admin")
    assert client.get("/admin/staff").status_code == 200
    user.active = False
    db_session.commit()
    assert client.get("/admin/staff").status_code == 302


def test_production_names_the_cookie_with_the_host_prefix(monkeypatch):
    from webapp.core.config import Settings

    settings = Settings(env="production", secret_key="x" * 40, pii_hmac_key="y" * 40)
    config = settings.flask_config()
    assert config["SESSION_COOKIE_NAME"].startswith("__Host-")
    assert config["SESSION_COOKIE_SECURE"]


# ---------------------------------------------------------------- the SMS code


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


@pytest.mark.redis
def test_sessions_live_in_redis_when_it_is_configured(app):
    import redis

    from webapp import create_app
    from webapp.core.sessions import RedisSessions

    try:
        redis.Redis.from_url("redis://127.0.0.1:6379/0").ping()
    except redis.exceptions.ConnectionError:
        from tests.conftest import IN_CI

        message = "Redis not reachable on 127.0.0.1:6379 (start redis-server; CI runs it)"
        pytest.fail(message) if IN_CI else pytest.skip(message)
    other = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "OWNERSVOTE_REDIS_URL": "redis://127.0.0.1:6379/0",
        }
    )
    assert isinstance(other.session_interface, RedisSessions)
    with other.test_request_context():
        from flask import session

        session["x"] = 1
        interface = other.session_interface
        store_id = interface._get_store_id(session.sid)
        assert session.sid not in store_id
        assert store_id.startswith("ownersvote:session:")
