"""Every staff page, on a phone (390×844), with real amounts of data in it, as organiser,
supervisor and platform admin.  The page net (tests/test_browser/net.py) checks each page:
nothing wider than the screen, no WCAG 2.1 A/AA violation.  These tests add what the net cannot
know: the pages speak Chinese (or English when chosen), show times in the estate's time zone, and
show no raw codes.  With OWNERSVOTE_SCREENSHOTS=docs/screenshots they save staff-*.png."""

from __future__ import annotations

import re
from datetime import UTC

import pytest

from tests.test_browser import staff_world
from tests.test_browser.net import new_page, staff_login

pytestmark = pytest.mark.browser

# What must never reach a staff page: codes, raw values and user-agent strings, in any language...
CODES = ["roll.sign", "letter.issue", "device_key", "registration.", "staff.role", "True", "False", "None", "UTC", "X11;", "Mozilla/5.0"]
# ...and, on a Chinese page, the English words the application stores.
ENGLISH = ["delivered", "approved", "rejected", "pending", "automatic identity check", "active", "revoked", "organiser", "supervisor"]
RAW = CODES + ENGLISH


@pytest.fixture(scope="module")
def big(live):
    data = staff_world.build(live)
    data["base"] = live.base
    return data


def visit(page, big, path: str, shot: str | None = None, shots=None) -> str:
    page.goto(big["base"] + path)
    assert page.url.startswith(big["base"]), page.url
    text = page.inner_text("main")
    if shot and shots:
        shots(page, f"staff-{shot}", max_height=3 * 844)
    return text


def no_raw(text: str, allowed: tuple[str, ...] = ()) -> None:
    def raw(word: str) -> str:  # the word on its own: not inside a username such as "supervisor-1"
        return rf"(?<![\w.-]){re.escape(word)}" + (r"(?![\w-])" if word[-1].isalnum() else "")

    found = [word for word in RAW if word not in allowed and re.search(raw(word), text)]
    assert found == [], f"raw words on the page: {found}"


def test_the_organisers_pages_fit_a_phone_and_speak_chinese(browser, big, shots):
    slug = big["slug"]
    context, page = new_page(browser)
    staff_login(page, big["base"], big["users"]["organiser"])
    no_raw(visit(page, big, "/", "organiser-start", shots))
    text = visit(page, big, f"/e/{slug}/", "organiser-overview", shots)
    assert "1200" in text.replace(",", "") or "1,200" in text
    no_raw(visit(page, big, f"/e/{slug}/members", "organiser-members", shots))
    visit(page, big, f"/e/{slug}/members?page=3")
    visit(page, big, f"/e/{slug}/members?q=明远")
    visit(page, big, f"/e/{slug}/letters", "organiser-letters", shots)
    visit(page, big, f"/e/{slug}/roll", "organiser-roll", shots)
    text = visit(page, big, "/staff/keys", "organiser-keys", shots)
    assert "iPhone · 微信" in text
    no_raw(text)
    visit(page, big, "/staff/password", "organiser-password", shots)
    assert page.errors == []
    context.close()


def test_the_supervisors_pages_fit_a_phone_with_hundreds_of_events(browser, big, live, shots):
    from sqlalchemy import select

    from webapp.audit.models import AuditEvent
    from webapp.core.db import db
    from webapp.core.timefmt import local
    from webapp.estates.operations import get_estate

    slug = big["slug"]
    context, page = new_page(browser)
    staff_login(page, big["base"], big["users"]["supervisor"])
    visit(page, big, f"/e/{slug}/")

    text = visit(page, big, f"/e/{slug}/registrations", "supervisor-queue", shots)
    assert f"（{big['pending']}）" in text or f"({big['pending']})" in text
    assert "Maximilian-Alexander Vandenberghe-Oppenheimer" in text
    assert "阿卜杜热合曼·买买提艾力" in text
    assert "自动核验" in text or "核对了不动产权证书" in text
    no_raw(text)

    text = visit(page, big, f"/e/{slug}/units/{big['owner_unit']}", "supervisor-unit", shots)
    assert "Android 手机 · Chrome" in text
    assert "已撤销" in text
    no_raw(text)
    text = visit(page, big, f"/e/{slug}/units/{big['co_unit']}")
    assert "iPhone · 微信" in text
    visit(page, big, f"/e/{slug}/units/{big['pending_unit']}")

    text = visit(page, big, f"/e/{slug}/audit", "supervisor-audit", shots)
    assert big["events"] > 200
    no_raw(text)
    assert "签署了表决名册" in text and "补发告知书" in text or "作废" in text
    with live.app_context():
        estate = get_estate(slug)
        last = db.session.scalar(select(AuditEvent).where(AuditEvent.chain == estate.id).order_by(AuditEvent.seq.desc()).limit(1))
        shown, utc = local(last.at, estate, "%Y-%m-%d %H:%M:%S"), last.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    assert shown in text
    assert utc == shown or utc not in text
    for n in (2, 3):
        no_raw(visit(page, big, f"/e/{slug}/audit?page={n}"))

    visit(page, big, f"/e/{slug}/roll")
    visit(page, big, f"/e/{slug}/roll/1/sign")
    visit(page, big, f"/e/{slug}/letters")
    visit(page, big, f"/e/{slug}/members")
    text = visit(page, big, "/staff/keys", "supervisor-keys", shots)
    for kid in big["kids"]["supervisor"]:
        assert kid[:16] in text.replace("\n", "").replace(" ", "")
    assert "Linux 电脑 · Chromium" in text
    assert "Windows 电脑 · Edge" in text
    assert "已撤销" in text
    no_raw(text)
    assert page.errors == []
    context.close()


def test_the_platform_admins_pages_fit_a_phone(browser, big, shots, tmp_path):
    from webapp.demo.registry import demo_csv

    slug = big["slug"]
    context, page = new_page(browser)
    staff_login(page, big["base"], big["users"]["admin"])
    visit(page, big, "/admin/estates", "admin-estates", shots)
    text = visit(page, big, "/admin/staff", "admin-staff", shots)
    assert "绿苑小区" in text
    assert "#" not in text
    no_raw(text)
    text = visit(page, big, f"/admin/staff/{big['user_ids']['supervisor']}", "admin-staff-account", shots)
    assert big["names"]["supervisor"] in text
    assert "Linux 电脑 · Chromium" in text
    no_raw(text)
    visit(page, big, f"/e/{slug}/")
    visit(page, big, f"/e/{slug}/staff", "admin-estate-staff", shots)
    visit(page, big, f"/e/{slug}/settings")
    page.fill("#roll_signatures_required", "0")
    page.click("main form button.primary")
    assert "1 到 9" in page.inner_text("main")
    shots(page, "staff-admin-settings", max_height=3 * 844)
    visit(page, big, f"/e/{slug}/audit")
    no_raw(visit(page, big, "/admin/audit", "admin-platform-audit", shots))
    visit(page, big, f"/e/{slug}/registry/import", "admin-import", shots)
    registry = tmp_path / "绿苑小区-不动产登记簿导出-2026年12月.csv"
    registry.write_bytes(demo_csv(seed=2027))
    page.set_input_files("input[type=file]", str(registry))
    page.click("main form button.primary")
    page.wait_for_url("**/registry/import/*")
    if shots:
        shots(page, "staff-admin-import-preview", max_height=3 * 844)
    visit(page, big, "/staff/keys")
    visit(page, big, "/staff/password")
    assert page.errors == []
    context.close()


def test_the_audit_log_speaks_english_when_chosen(browser, big):
    context, page = new_page(browser, locale="en-GB")
    staff_login(page, big["base"], big["users"]["supervisor"])
    page.click("nav button[lang=en]")
    text = visit(page, big, f"/e/{big['slug']}/audit")
    assert "Signed the electoral roll" in text and "Re-issued" in text or "Voided" in text
    no_raw(text, allowed=tuple(ENGLISH))
    text = visit(page, big, "/staff/keys")
    assert "Linux computer · Chromium" in text
    assert "Revoked" in text
    context.close()


def staff_pages(big) -> dict[str, list[str]]:
    slug = big["slug"]
    shared = [
        "/",
        f"/e/{slug}/",
        f"/e/{slug}/members",
        f"/e/{slug}/roll",
        f"/e/{slug}/letters",
        f"/e/{slug}/petitions",
        f"/e/{slug}/inspections",
        "/staff/keys",
        "/staff/password",
    ]
    return {
        "organiser": shared,
        "supervisor": shared
        + [
            f"/e/{slug}/registrations",
            f"/e/{slug}/units/{big['owner_unit']}",
            f"/e/{slug}/units/{big['co_unit']}",
            f"/e/{slug}/units/{big['pending_unit']}",
            f"/e/{slug}/audit",
            f"/e/{slug}/roll/1/sign",
        ],
        "admin": shared
        + [
            "/admin/estates",
            "/admin/staff",
            "/admin/audit",
            f"/admin/staff/{big['user_ids']['supervisor']}",
            f"/e/{slug}/audit",
            f"/e/{slug}/staff",
            f"/e/{slug}/settings",
            f"/e/{slug}/registry/import",
            "/admin/inspection-forms",
            "/admin/firms",
        ],
    }


@pytest.mark.parametrize("role", ["organiser", "supervisor", "admin"])
def test_every_staff_page_fits_a_phone_in_english_too(browser, big, role):
    """English words are longer than Chinese ones: the same pages, read in English."""
    context, page = new_page(browser, locale="en-GB")
    staff_login(page, big["base"], big["users"][role])
    page.click("nav button[lang=en]")
    for path in staff_pages(big)[role]:
        no_raw(visit(page, big, path), allowed=tuple(ENGLISH))
        assert page.get_attribute("html", "lang") == "en", path
    assert page.errors == []
    context.close()


def test_a_platform_admin_disables_an_account_and_its_open_session_ends_at_once(browser, big, live, shots):
    """Through the admin pages: disable, the staff member's next click is the login page; enable
    again, and the password works again."""
    from webapp.auth.models import StaffUser
    from webapp.core.db import db

    victim_context, victim = new_page(browser)
    staff_login(victim, big["base"], big["users"]["supervisor2"])
    visit(victim, big, f"/e/{big['slug']}/registrations")

    admin_context, admin = new_page(browser)
    staff_login(admin, big["base"], big["users"]["admin"])
    visit(admin, big, f"/admin/staff/{big['user_ids']['supervisor2']}")
    admin.fill("#disable-reason", "已调离翠湖街道，不再担任本小区监督员")
    admin.click("form[action$='/disable'] button")
    assert "已停用" in admin.inner_text("main")
    if shots:
        shots(admin, "staff-admin-account-disabled", max_height=3 * 844)

    victim.goto(f"{big['base']}/e/{big['slug']}/registrations")
    assert "/login" in victim.url
    staff_login(victim, big["base"], big["users"]["supervisor2"])
    assert "/login" in victim.url
    assert "此账号已停用" in victim.inner_text("main")

    admin.fill("#enable-reason", "调回本社区，恢复账户")
    admin.click("form[action$='/enable'] button")
    staff_login(victim, big["base"], big["users"]["supervisor2"])
    assert "/login" not in victim.url
    with live.app_context():
        assert db.session.get(StaffUser, big["user_ids"]["supervisor2"]).active
    victim_context.close()
    admin_context.close()
