"""Staff login: a wrong password is refused, failures back off the address they come from (and
cannot lock the staff member out), anonymous visitors go to the login page, and one person holds
at most one role per estate."""

from __future__ import annotations

import re


def test_login_with_a_wrong_password_is_refused(client, post, two_estates):
    response = post("/login", {"username": "org-a", "password": "wrong password!"})
    assert response.status_code == 200
    assert "错误" in response.get_data(as_text=True)


def test_anonymous_visitors_are_sent_to_the_login_page(client, two_estates):
    response = client.get("/e/estate-a/members")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_an_organiser_cannot_also_be_made_supervisor_of_the_same_estate(client, login, post, two_estates):
    login("root")
    response = post("/e/estate-a/staff", {"username": "org-a", "role": "supervisor"}, follow_redirects=True)
    assert "不能兼任" in response.get_data(as_text=True)


def _login_from(client, address: str, username: str, password: str):
    page = client.get("/login", environ_base={"REMOTE_ADDR": address}).get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    return client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token}, environ_base={"REMOTE_ADDR": address}
    )


def test_wrong_passwords_from_one_address_back_off_that_address_and_say_when_to_retry(client, two_estates):
    codes = [_login_from(client, "203.0.113.7", "org-a", f"guess number {i}").status_code for i in range(6)]
    assert codes[:5] == [200] * 5
    assert codes[5] == 429
    page = _login_from(client, "203.0.113.7", "org-a", "correct horse battery")
    assert page.status_code == 429  # even the right password waits out the back-off from that address
    assert "后再试" in page.get_data(as_text=True)
    assert "秒" in page.get_data(as_text=True)


def test_an_attacker_failing_on_purpose_cannot_lock_the_staff_member_out(client, two_estates):
    for i in range(12):
        _login_from(client, "203.0.113.7", "org-a", f"guess number {i}")
    response = _login_from(client, "198.51.100.20", "org-a", "correct horse battery")
    assert response.status_code == 302


def test_the_back_off_doubles_with_each_further_failure(db_session, app):
    from datetime import timedelta

    from webapp.auth import throttle
    from webapp.core.db import utcnow

    now = utcnow()
    waits = []
    with app.test_request_context():
        for _ in range(throttle.FREE_FAILURES + 3):
            until = throttle.failed("org-a", "203.0.113.7", now=now)
            waits.append(None if until is None else until - now)
    assert waits[: throttle.FREE_FAILURES - 1] == [None] * (throttle.FREE_FAILURES - 1)
    assert waits[-3:] == [timedelta(seconds=60), timedelta(seconds=120), timedelta(seconds=240)]
