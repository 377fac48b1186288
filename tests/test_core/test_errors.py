"""Bad input gets a page that says what happened and what to do, never a server error."""

from __future__ import annotations

import re

import pytest


@pytest.mark.parametrize(
    "path", ["/p/lvyuan/roll/99999999999999999999", "/p/lvyuan/roll/99999999999999999999.json", "/e/lvyuan/units/2147483648"]
)
def test_an_id_beyond_the_integer_range_is_simply_not_found(client, make_estate, path):
    make_estate()
    response = client.get(path)
    assert response.status_code == 404
    assert "页面不存在" in response.get_data(as_text=True)


def test_a_staff_key_posted_with_a_numeric_label_is_refused_with_a_reason(client, login, make_staff):
    from crypto.keys import generate_ed25519

    make_staff("admin", admin=True)
    login("admin")
    page = client.get("/staff/keys").get_data(as_text=True)
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    challenge = client.get("/device/challenge?purpose=staff-key").get_json()
    signer = generate_ed25519()
    body = {
        "jwk": signer.jwk,
        "signature": signer.sign_b64(challenge["message"].encode()),
        "challenge": challenge["challenge"],
        "label": 12345,
    }
    response = client.post("/staff/keys", json=body, headers={"X-CSRFToken": csrf})
    assert response.status_code == 400
    assert "格式" in response.get_json()["error"]


def test_a_json_body_that_is_not_an_object_is_refused(client, login, make_staff):
    make_staff("admin", admin=True)
    login("admin")
    page = client.get("/staff/keys").get_data(as_text=True)
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    response = client.post("/staff/keys", json=[1, 2, 3], headers={"X-CSRFToken": csrf})
    assert response.status_code == 400


def test_error_pages_speak_english_when_chosen_and_say_what_to_do(client, post):
    post("/lang", {"lang": "en", "next": "/"})
    page = client.get("/no/such/page").get_data(as_text=True)
    assert "Page not found" in page
    assert "Start again from the home page" in page


def test_an_unexpected_failure_shows_a_page_and_saves_nothing(app):
    from sqlalchemy import select

    from webapp import create_app
    from webapp.core.db import db
    from webapp.estates.models import Estate

    fresh = create_app({"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"], "SERVER_NAME": "ownersvote.test"})

    @fresh.get("/__boom")
    def boom():  # a view that writes, then fails before its commit
        db.session.add(Estate(slug="half-written", name="x"))
        db.session.flush()
        raise RuntimeError("boom")

    response = fresh.test_client().get("/__boom")
    assert response.status_code == 500
    assert "没有被保存" in response.get_data(as_text=True)
    with fresh.app_context():
        assert db.session.scalar(select(Estate).where(Estate.slug == "half-written")) is None
        db.engine.dispose()


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example/", "evil", "/ok\r\nSet-Cookie: x=1"])
def test_a_next_address_off_this_site_is_never_followed(target):
    from webapp.core.views import local_target

    assert local_target(target, "/home") == "/home"
    assert local_target("/e/demo/assemblies/1", "/home") == "/e/demo/assemblies/1"


def test_the_language_switch_does_not_redirect_off_the_site(client):
    import re

    page = client.get("/").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = client.post("/lang", data={"lang": "en", "next": "//evil.example/", "csrf_token": token})
    assert response.status_code == 302
    assert "evil" not in response.headers["Location"]
