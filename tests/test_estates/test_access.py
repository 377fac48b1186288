"""The walls between estates and the roles within one: staff of one estate reach nothing of another
(a foreign estate looks like an unknown one), only platform admins create estates, import
registries, grant roles and set an estate's rules; members are listed, searched and paged."""

from __future__ import annotations

import pytest
from sqlalchemy import select


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


def test_a_platform_admin_can_create_an_estate(client, login, post, two_estates, db_session):
    login("root")
    response = post("/admin/estates", {"slug": "new-estate", "name": "新小区"})
    assert response.status_code == 302
    assert client.get("/e/new-estate/").status_code == 200


def test_members_are_searchable_by_unit_and_paginated(client, login, two_estates):
    login("org-a")
    page = client.get("/e/estate-a/members?q=S-1").get_data(as_text=True)
    assert "明远商贸有限公司" in page
    assert "张三" not in page


def test_a_platform_admin_sets_the_estates_rules_and_the_change_is_audited(client, login, post, two_estates, db_session):

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
