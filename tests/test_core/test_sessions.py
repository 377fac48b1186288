"""Sessions live on the server: a saved copy of the cookie is worth nothing once the session it
named has moved on (a spent challenge, a registered key, a logout, a privilege change)."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import func, select

from tests.factories import ZHANG_TAIL, Device, restore, saved
from webapp.core.models import DeviceChallenge, ServerSession
from webapp.devices.models import DeviceKey


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


@pytest.mark.redis
def test_sessions_live_in_redis_when_it_is_configured(app):
    import redis

    from webapp import create_app
    from webapp.core.sessions import RedisSessions

    try:
        redis.Redis.from_url("redis://127.0.0.1:6379/0").ping()
    except redis.exceptions.ConnectionError:
        from tests.factories import IN_CI

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
