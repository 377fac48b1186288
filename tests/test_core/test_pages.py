"""What every page carries: forms refused without their CSRF token, a strict Content-Security-Policy
with no inline script, and the switch to English one tap away."""

from __future__ import annotations


def test_a_form_without_the_csrf_token_is_refused(client, two_estates):
    response = client.post("/login", data={"username": "org-a", "password": "correct horse battery"})
    assert response.status_code == 400


def test_pages_carry_a_strict_content_security_policy_and_no_inline_script(client, login, two_estates):
    login("org-a")
    response = client.get("/e/estate-a/members")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "<script>" not in response.get_data(as_text=True)
    assert " style=" not in response.get_data(as_text=True)


def test_english_is_one_tap_away(client, post, two_estates):
    response = post("/lang", {"lang": "en", "next": "/login"})
    assert response.status_code == 302
    assert "Staff login" in client.get("/login").get_data(as_text=True)
