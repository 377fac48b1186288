"""Staff login, roles per estate and the walls between estates."""

from __future__ import annotations

import re

import pytest

from tests.test_registry.test_import import GOOD
from webapp.registry.importing import import_file


@pytest.fixture
def two_estates(make_estate, make_staff, db_session):
    a, b = make_estate("estate-a", "甲小区"), make_estate("estate-b", "乙小区")
    import_file(a, GOOD, "a.csv", actor="test")
    db_session.commit()
    make_staff("org-a", estate=a, role="organiser")
    make_staff("sup-a", estate=a, role="supervisor")
    make_staff("org-b", estate=b, role="organiser")
    make_staff("root", admin=True)
    return a, b


def test_login_with_a_wrong_password_is_refused(client, post, two_estates):
    response = post("/login", {"username": "org-a", "password": "wrong password!"})
    assert response.status_code == 200
    assert "错误" in response.get_data(as_text=True)


def test_an_organiser_sees_the_members_of_their_estate(client, login, two_estates):
    login("org-a")
    page = client.get("/e/estate-a/members").get_data(as_text=True)
    assert "张三" in page
    assert "1-101" in page


@pytest.mark.parametrize("path", ["/e/estate-a/", "/e/estate-a/members", "/e/estate-a/registry/import", "/e/estate-a/staff"])
def test_staff_of_estate_b_reach_nothing_of_estate_a(client, login, two_estates, path):
    login("org-b")
    assert client.get(path).status_code == 404


def test_an_unknown_estate_and_a_foreign_one_look_the_same(client, login, two_estates):
    login("org-b")
    assert client.get("/e/estate-a/").status_code == client.get("/e/nowhere/").status_code == 404


def test_organisers_and_supervisors_cannot_import_or_grant_roles(client, login, post, two_estates):
    login("sup-a")
    assert client.get("/e/estate-a/registry/import").status_code == 403
    assert post("/e/estate-a/staff", {"username": "org-b", "role": "supervisor"}).status_code == 403
    assert client.get("/admin/estates").status_code == 403


def test_anonymous_visitors_are_sent_to_the_login_page(client, two_estates):
    response = client.get("/e/estate-a/members")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_a_platform_admin_can_create_an_estate(client, login, post, two_estates, db_session):
    login("root")
    response = post("/admin/estates", {"slug": "new-estate", "name": "新小区"})
    assert response.status_code == 302
    assert client.get("/e/new-estate/").status_code == 200


def test_an_organiser_cannot_also_be_made_supervisor_of_the_same_estate(client, login, post, two_estates):
    login("root")
    response = post("/e/estate-a/staff", {"username": "org-a", "role": "supervisor"}, follow_redirects=True)
    assert "不能兼任" in response.get_data(as_text=True)


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


def test_members_are_searchable_by_unit_and_paginated(client, login, two_estates):
    login("org-a")
    page = client.get("/e/estate-a/members?q=S-1").get_data(as_text=True)
    assert "明远商贸有限公司" in page
    assert "张三" not in page


def test_english_is_one_tap_away(client, post, two_estates):
    response = post("/lang", {"lang": "en", "next": "/login"})
    assert response.status_code == 302
    assert "Staff login" in client.get("/login").get_data(as_text=True)


def test_a_platform_admin_sets_the_estates_rules_and_the_change_is_audited(client, login, post, two_estates, db_session):
    from sqlalchemy import select

    from webapp.audit.models import AuditEvent

    a, _b = two_estates
    login("root")
    response = post(
        "/e/estate-a/settings",
        {"name": "甲小区", "roll_signatures_required": "2", "letter_valid_days": "20", "sms_required": "y", "help_text": "物业 0571-1"},
    )
    assert response.status_code == 302
    db_session.expire_all()
    assert (a.roll_signatures_required, a.letter_valid_days, a.sms_required, a.help_text) == (2, 20, True, "物业 0571-1")
    event = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "estate.settings"))
    assert event.details["changes"]["roll_signatures_required"] == {"from": 1, "to": 2}


def test_the_help_line_is_a_phone_number_set_in_the_estates_settings(client, login, post, two_estates, db_session):
    a, _b = two_estates
    login("root")
    fields = {"name": "甲小区", "roll_signatures_required": "1", "letter_valid_days": "30"}
    refused = post("/e/estate-a/settings", {**fields, "help_phone": "call the office"})
    assert refused.status_code == 200
    assert "请输入电话号码" in refused.get_data(as_text=True)
    assert post("/e/estate-a/settings", {**fields, "help_phone": "0571-8888 6666"}).status_code == 302
    db_session.expire_all()
    assert a.help_phone == "0571-8888 6666"


def test_organisers_and_supervisors_cannot_change_the_estates_rules(client, login, post, two_estates):
    login("sup-a")
    assert post("/e/estate-a/settings", {"name": "x", "roll_signatures_required": "1", "letter_valid_days": "30"}).status_code == 403


def test_the_member_list_pages_through_a_large_estate(client, login, make_estate, make_staff, db_session):
    from webapp.demo.registry import demo_csv
    from webapp.registry.importing import import_file

    estate = make_estate("big", "大小区")
    import_file(estate, demo_csv(), "demo.csv", actor="test")
    db_session.commit()
    make_staff("org-big", estate=estate, role="organiser")
    login("org-big")
    first = client.get("/e/big/members").get_data(as_text=True)
    assert "第 1 页，共 23 页" in first
    assert "/e/big/members?page=2" in first
    last = client.get("/e/big/members?page=23").get_data(as_text=True)
    assert "开发建设单位（未售及未交付房屋）" in last
    assert "page=22" in last


def test_staff_refused_a_page_of_their_own_estate_are_told_why_and_what_to_do(client, login, two_estates):
    login("sup-a")
    response = client.get("/e/estate-a/registry/import")
    page = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "没有这个页面的权限" in page
    assert "平台管理员" in page
