"""The flows people click, in a real Chromium: an owner from the printed letter to a registered
phone, and supervisors signing a roll with keys their browsers made."""

from __future__ import annotations

import itertools
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select

from crypto.verify import verify_roll
from tests.factories import GOOD, ZHANG_TAIL
from tests.test_browser.net import new_page, staff_login

pytestmark = pytest.mark.browser
_slugs = itertools.count(1)


@pytest.fixture
def world(live):
    """A fresh estate with the test registry and its staff, committed in the live database."""
    from webapp.auth.operations import assign_role, create_staff
    from webapp.core.db import db
    from webapp.core.roles import Role
    from webapp.estates.operations import create_estate
    from webapp.registry.importing import import_file

    n = next(_slugs)
    with live.app_context():
        estate = create_estate(f"estate{n}", f"绿苑{n}号小区", actor="test")
        import_file(estate, GOOD, "registry.csv", actor="test")
        users = {}
        for role in ("organiser", "supervisor", "supervisor2"):
            name = {"organiser": "筹备组 林晓燕", "supervisor": "居委会 王敏", "supervisor2": "街道办 陈立新"}[role]
            user = create_staff(f"{role}-{n}", name, "correct horse battery", actor="test")
            assign_role(user, estate, Role.organiser if role == "organiser" else Role.supervisor, actor="test")
            users[role] = user.username
        db.session.commit()
        slug = estate.slug
    return {"slug": slug, "users": users, "base": live.base}


def print_letter_urls(browser, world, tmp_path: Path, label: str = "1-101") -> list[str]:
    """An organiser prints the letter; the QR code in the PDF is decoded back to its address."""
    import zxingcpp
    from PIL import Image

    context, page = new_page(browser, phone=False)
    staff_login(page, world["base"], world["users"]["organiser"])
    page.goto(f"{world['base']}/e/{world['slug']}/letters")
    page.fill("#units", label)
    page.click("button.primary")  # starts the letters job and goes to its page
    page.wait_for_selector("a[data-job-download]", state="visible", timeout=60_000)
    with page.expect_download() as download:
        page.click("a[data-job-download]")
    pdf = tmp_path / "letters.pdf"
    download.value.save_as(pdf)
    context.close()
    subprocess.run(["pdftoppm", "-r", "150", "-png", str(pdf), str(tmp_path / "page")], check=True)
    urls = []
    for png in sorted(tmp_path.glob("page*.png")):
        urls += [r.text for r in zxingcpp.read_barcodes(Image.open(png))]
    return urls


def test_an_owner_goes_from_the_printed_letter_to_a_registered_phone(browser, world, live, tmp_path, pdftools, shots):
    from webapp.core.db import db
    from webapp.devices.models import DeviceKey

    urls = print_letter_urls(browser, world, tmp_path)
    assert len(urls) == 1
    assert urls[0].startswith(world["base"] + "/r/")
    context, page = new_page(browser)
    page.goto(urls[0])
    assert page.url == f"{world['base']}/join"  # the token left the address bar at once
    shots(page, "1-identity")
    page.fill("#id-name", "张三")
    page.fill("#id-id_tail", ZHANG_TAIL)
    page.click("form button.primary")
    page.wait_for_url("**/join/device")
    shots(page, "2-device")
    page.click("[data-action=register-key]")
    page.wait_for_url("**/me")
    assert "189.75" in page.content()
    shots(page, "3-my-page")
    with live.app_context():
        key = db.session.scalar(select(DeviceKey).where(DeviceKey.label.is_not(None)).order_by(DeviceKey.id.desc()))
        assert key.alg == "ES256"
        assert key.jwk["crv"] == "P-256"
        assert key.state == "active"
        assert key.label.startswith("Mozilla/5.0 (")  # the whole user-agent string, for the device's name
    # signing in again later, on the same phone, with the key kept in IndexedDB
    page.click("nav form button.link")
    page.goto(f"{world['base']}/signin")
    shots(page, "4-sign-in")
    page.click("[data-action=signin]")
    page.wait_for_url("**/me")
    # the letter was used: scanning it again gets the polite refusal
    page.goto(urls[0])
    assert "不能使用" in page.content()
    assert page.errors == []
    context.close()


def test_a_wrong_answer_is_refused_in_the_browser(browser, world, tmp_path, pdftools):
    urls = print_letter_urls(browser, world, tmp_path)
    context, page = new_page(browser)
    page.goto(urls[0])
    page.fill("#id-name", "李四")
    page.fill("#id-id_tail", "000000")
    page.click("form button.primary")
    assert "不一致" in page.content()
    assert "4" in page.inner_text(".flash-error")
    context.close()


def test_supervisors_make_keys_freeze_and_sign_the_roll_in_their_browsers(browser, world, live):
    from sqlalchemy import update

    from webapp.core.db import db
    from webapp.estates.models import Estate

    with live.app_context():
        # One UPDATE, no read before it: on the live SQLite file a read-then-write transaction
        # fails at once if the server commits in between (a stale WAL snapshot).
        db.session.execute(update(Estate).where(Estate.slug == world["slug"]).values(roll_signatures_required=2))
        db.session.commit()
    for n, who in enumerate(("supervisor", "supervisor2")):
        context, page = new_page(browser, phone=False)
        staff_login(page, world["base"], world["users"][who])
        page.goto(f"{world['base']}/staff/keys")
        with page.expect_navigation():
            page.click("[data-action=register-key]")
        assert page.locator("table code").count() == 1
        if n == 0:
            page.goto(f"{world['base']}/e/{world['slug']}/roll")
            page.click("form button.primary")
            page.wait_for_url("**/roll/1/sign")
        else:
            page.goto(f"{world['base']}/e/{world['slug']}/roll/1/sign")
        page.wait_for_selector("#roll-check.flash-success")
        page.click("[data-action=sign-roll]")
        page.wait_for_url("**/p/**/roll/1")
        assert page.errors == []
        context.close()
    context, page = new_page(browser)
    doc = page.request.get(f"{world['base']}/p/{world['slug']}/roll/1.json").json()
    context.close()
    report = verify_roll(doc)
    assert report.ok, report.failures
    assert len(report.facts["roll_signers"]) == 2
    algs = {s["jwk"]["crv"] for s in doc["supervisors"]}
    assert algs <= {"Ed25519", "P-256"}


def test_a_supervisor_approves_in_the_browser_what_the_automatic_check_could_not_match(browser, world, tmp_path, pdftools, shots):
    urls = print_letter_urls(browser, world, tmp_path)
    owner_context, owner = new_page(browser)
    owner.goto(urls[0])
    owner.fill("#id-name", "张叁")
    owner.fill("#id-id_tail", ZHANG_TAIL)
    owner.click("form button.primary")
    owner.fill("#rv-note", "身份证上是张叁，房产证上是张三")
    owner.click("form[action$='/join/review'] button")
    owner.wait_for_url("**/join/device")
    owner.click("[data-action=register-key]")
    owner.wait_for_url("**/me")
    assert "正在审核" in owner.content()

    staff_context, supervisor = new_page(browser)
    staff_login(supervisor, world["base"], world["users"]["supervisor"])
    supervisor.goto(f"{world['base']}/e/{world['slug']}/registrations")
    assert "身份证上是张叁" in supervisor.content()
    shots(supervisor, "5-supervisor-queue")
    supervisor.select_option("select[id$='-holder']", label=supervisor.locator("select[id$='-holder'] option").nth(1).inner_text())
    supervisor.fill("input[id$='-reason']", "核对房产证和身份证，为同一人")
    supervisor.click("form.decision button.primary")
    assert "已记录审核结果" in supervisor.content()
    staff_context.close()

    owner.reload()
    assert "您已登记，由您代表本户投票" in owner.content()
    assert owner.errors == []
    owner_context.close()


def test_a_supervisor_in_a_browser_without_their_key_makes_one_on_the_sign_page_and_signs(browser, world):
    """A phone walk found the sign page offering its button in a browser holding none of the
    supervisor's keys, saying so only after the tap, and the keys page leading nowhere back."""
    base, slug = world["base"], world["slug"]
    context, elsewhere = new_page(browser, phone=False)  # the key made on another computer
    staff_login(elsewhere, base, world["users"]["supervisor"])
    elsewhere.goto(f"{base}/staff/keys")
    with elsewhere.expect_navigation():
        elsewhere.click("[data-action=register-key]")
    elsewhere.goto(f"{base}/e/{slug}/roll")
    elsewhere.click("form button.primary")  # freeze
    elsewhere.wait_for_url("**/roll/1/sign")
    context.close()
    context, page = new_page(browser)  # this phone holds no key of theirs
    staff_login(page, base, world["users"]["supervisor"])
    page.goto(f"{base}/e/{slug}/roll/1/sign")
    page.wait_for_selector("#roll-key", state="visible")
    assert page.locator("#roll-sign").is_hidden()
    assert "这个浏览器里还没有您的签名密钥" in page.inner_text("#roll-key")
    with page.expect_navigation():
        page.click("#roll-key [data-action=register-key]")
    assert page.url.endswith(f"/e/{slug}/roll/1/sign")  # back where the task is
    page.wait_for_selector("#roll-check.flash-success")
    assert page.locator("#roll-key").is_hidden()
    page.click("[data-action=sign-roll]")
    page.wait_for_url("**/p/**/roll/1")
    assert "您已签署第 1 号名册" in page.inner_text("main")
    assert page.errors == []
    context.close()


def test_the_add_item_form_shows_seats_only_for_an_election(browser, world):
    """A phone walk found the seats of a committee election on the form of a yes/no item."""
    from datetime import UTC, datetime, timedelta

    base, slug = world["base"], world["slug"]
    context, page = new_page(browser)
    staff_login(page, base, world["users"]["organiser"])
    page.goto(f"{base}/e/{slug}/assemblies")
    opens = datetime.now(UTC) + timedelta(days=40)
    page.fill("#a-title", "2027年第一次业主大会")
    page.fill("#a-opens_at", opens.strftime("%Y-%m-%dT09:00"))
    page.fill("#a-closes_at", (opens + timedelta(days=7)).strftime("%Y-%m-%dT18:00"))
    with page.expect_navigation():
        page.click("#new-assembly button.primary")
    seats = page.locator("[data-only-for]")
    page.select_option("#i-form", "resolution")
    assert seats.is_hidden()
    assert page.locator("#i-seats").is_disabled()
    election = seats.get_attribute("data-only-for").split()[0]
    page.select_option("#i-form", election)
    assert seats.is_visible()
    assert page.locator("#i-seats").is_enabled()
    assert page.errors == []
    context.close()
