"""The README's ten minutes with the demo, walked in Chromium at phone size (390×844, Chinese):
the home page's way in, a demo owner's ballot in the assembly that closes a few minutes after
the demo is made, the close, the tally as a background job, a certification by each of the two
demo supervisors in their own browser (each makes a signing key there first), publication, and
the owner's tracking code found in the final tree head.

The demo is made as ``ownersvote demo`` makes it (``ensure_demo``), on a database and server of
its own in demo mode; its short assembly closes sooner here (``closes_in``, the same setting as
``--closes-in``), with the real clock: nothing is moved, the test waits for the states a person
would see.
"""

from __future__ import annotations

import re
import threading
import time
from datetime import timedelta

import pytest

from tests.test_browser.assembly_world import job_done
from tests.test_browser.net import check_again, new_page
from webapp.demo.assemblies import CLOSING_SOON_TITLE
from webapp.demo.setup import DEMO_LOGINS, DEMO_NAMES

pytestmark = pytest.mark.browser

# Long enough for one owner to vote in a loaded CI run, short enough not to keep the suite idle.
CLOSES_IN = timedelta(seconds=30)
PASSWORDS = {username: password for username, password, _role in DEMO_LOGINS}


@pytest.fixture
def demo(browser, tmp_path_factory, instance_dir):
    """``ownersvote demo`` on a fresh database: the demo made, then served in demo mode; its
    ``person()`` opens a phone of one's own (closed, and its last page checked, at the end)."""
    from werkzeug.serving import make_server

    from webapp import create_app
    from webapp.core.db import db
    from webapp.core.migrate import upgrade
    from webapp.demo.setup import ensure_demo

    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.sqlite3'}"
    upgrade(url)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "OWNERSVOTE_DEMO": True})
    with app.app_context():
        assert ensure_demo(CLOSES_IN)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    contexts = []

    def person():
        context, page = new_page(browser)
        contexts.append(context)
        return page

    app.base, app.person = f"http://127.0.0.1:{server.server_port}", person
    yield app
    try:
        for context in contexts:
            context.close()
    finally:
        server.shutdown()
        with app.app_context():
            db.engine.dispose()


def staff_login(page, base: str, username: str) -> None:
    """A staff member logs in from the header, as the README says."""
    page.goto(f"{base}/")
    page.click("header a:text-is('工作人员登录')")
    page.wait_for_url("**/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORDS[username])
    page.click("form button.primary")
    page.wait_for_url(f"{base}/")


def open_closing_assembly(page, base: str) -> None:
    """From the staff home page to the short assembly's page: the estate, its assemblies, it."""
    page.click("main a:text-is('绿苑小区（演示）')")
    page.wait_for_url("**/e/demo/")
    page.click("nav a:text-is('业主大会')")
    page.wait_for_url("**/e/demo/assemblies")
    page.click(f"a:has-text('{CLOSING_SOON_TITLE}')")
    page.wait_for_url(re.compile(r".*/e/demo/assemblies/\d+$"))


def wait_until_closed(page, timeout: float = 180) -> None:
    """Reload the notice, as a person watching the clock does, until it says voting has ended."""
    deadline = time.monotonic() + timeout
    raw = page._page  # the net checks the page once it has closed, not at every reload
    while "投票已结束" not in raw.inner_text("h1 + p .tag"):
        assert time.monotonic() < deadline, f"the demo assembly did not close: {raw.inner_text('main')[:300]}"
        raw.wait_for_timeout(2000)
        raw.reload()
    check_again(page)


def test_the_readme_demo_walk_votes_closes_tallies_certifies_twice_publishes_and_finds_the_receipt(demo):
    base = demo.base

    # 1. The home page in demo mode: the demo voters, every assembly with its turnout, the results.
    owner = demo.person()
    owner.goto(f"{base}/")
    home = owner.locator("#demo")
    assert home.locator("a[href='/demo/voters']").inner_text() == "以演示业主身份投票"
    assert home.locator("a[href='/p/demo/assemblies']").count() == 1
    for title in (CLOSING_SOON_TITLE, "2026年第二次业主大会会议", "2026年第一次临时业主大会会议", "2026年第一次业主大会会议（已公示）"):
        assert home.locator(f"li > a:text-is('{title}')").count() == 1, title
    assert home.locator("li:has(a:text-is('2026年第一次业主大会会议（已公示）')) a:text-is('表决结果')").count() == 1
    assert home.locator(f"li:has(a:text-is('{CLOSING_SOON_TITLE}')) a:text-is('投票率')").count() == 1

    # A demo owner votes in the short assembly and keeps the tracking code.
    owner.click("#demo a:text-is('以演示业主身份投票')")
    owner.wait_for_url("**/demo/voters")
    # The short assembly closes within two minutes: offered second, with its closing time, and
    # chosen it says how little time is left.
    assert f"正在投票的会议：{CLOSING_SOON_TITLE}" not in owner.inner_text("main")
    owner.click(f"main a:text-is('{CLOSING_SOON_TITLE}')")
    owner.wait_for_url("**/demo/voters?a=*")
    assert f"正在投票的会议：{CLOSING_SOON_TITLE}" in owner.inner_text("main")
    assert "不到两分钟就截止投票" in owner.inner_text("main")
    owner.locator("[data-action=demo-phone]").first.click()
    owner.wait_for_selector("#ballot")
    steps = owner.locator("fieldset[data-item]")
    assert steps.count() == 2  # one item per screen: the resolution, then the by-election
    resolution, election = steps.nth(0), steps.nth(1)
    assert "第 1 项，共 2 项" in resolution.inner_text()
    resolution.locator("label:has-text('同意') input").first.check()
    resolution.locator("[data-step=next]").click()
    candidates = election.locator("input[type=checkbox]")
    candidates.nth(0).check()
    candidates.nth(1).check()
    election.locator("[data-step=next]").click()
    owner.wait_for_selector("#review:not([hidden])")
    check_again(owner)
    owner.click("[data-step=sign]")
    owner.wait_for_url("**/receipt/*")
    owner.wait_for_selector("#receipt-check.flash-success")
    code = owner.inner_text("p.code")
    owner.goto(f"{base}/me")  # my page says 已投票 and links the receipt
    mine = owner.locator(f".row-card:has(strong:text-is('{CLOSING_SOON_TITLE}'))")
    assert "已投票" in mine.locator(".voted").inner_text()
    assert mine.locator("a:text-is('查看回执')").count() == 1

    # 2. It closes: the notice, linked from the home page, says so and offers no ballot.
    owner.goto(f"{base}/")
    owner.click(f"#demo a:text-is('{CLOSING_SOON_TITLE}')")
    owner.wait_for_url(re.compile(r".*/p/demo/a/\d+$"))
    wait_until_closed(owner)
    assert owner.locator("a:text-is('立即投票')").count() == 0

    # 3. The organiser runs the tally, a background job whose page says when it is done.
    organiser = demo.person()
    staff_login(organiser, base, "organiser")
    open_closing_assembly(organiser, base)
    assert "投票已结束" in organiser.inner_text("h2 .tag")
    organiser.click("nav.actions a:text-is('表决结果')")
    organiser.wait_for_url("**/results")
    manage = organiser.url
    organiser.click("button:text-is('计票')")
    assert re.match(r"计票完成：\d+ 张选票", job_done(organiser))

    # 4. Each supervisor, in a browser of their own: the certify page offers to make a signing
    # key there (the demo's keys were made elsewhere), checks the bundle, and signs.
    for n, who in enumerate(("supervisor", "supervisor2"), start=1):
        page = demo.person()
        staff_login(page, base, who)
        open_closing_assembly(page, base)
        page.click("nav.actions a:text-is('表决结果')")
        page.wait_for_url(manage)
        page.click("a:text-is('核验并核证')")
        page.wait_for_url("**/certify")
        page.wait_for_selector("#cert-key:not([hidden])")
        assert page.locator("#cert-sign").is_hidden()
        check_again(page)
        with page.expect_navigation():
            page.click("#cert-key [data-action=register-key]")
        page.wait_for_url("**/certify")
        page.wait_for_selector("#cert-summary.flash-success", timeout=60_000)
        page.wait_for_selector("#cert-sign:not([hidden])")
        assert page.locator("#cert-key").is_hidden()
        check_again(page)  # with the verifier's report unfolded
        page.check("#not-voted")
        page.click("[data-action=certify]")
        page.wait_for_url(manage)
        assert "您已核证" in page.inner_text("main")
        assert f"已有 {n} 个，共需 2 个" in page.inner_text("main")
        assert DEMO_NAMES[who] in page.inner_text("main")
        assert page.errors == [], page.errors

    # 5. The organiser publishes; the public results name the elected candidates.
    organiser.goto(manage)
    assert "已核证" in organiser.inner_text("p.muted .tag")
    organiser.click("button:text-is('公示结果')")
    assert "结果已公示" in job_done(organiser)

    owner.goto(f"{base}/")
    owner.click(f"#demo li:has(a:text-is('{CLOSING_SOON_TITLE}')) a:text-is('表决结果')")
    owner.wait_for_url(re.compile(r".*/p/demo/a/\d+/results$"))
    by_election = owner.inner_text("section.result:has(h2:has-text('补选业主委员会委员'))")
    assert len(re.findall(r"（\d+-\d+）\s*当选", by_election)) == 2, by_election
    parcel_lockers = owner.inner_text("section.result:has(h2:has-text('在小区东门增设快递柜'))")
    assert "通过" in parcel_lockers, parcel_lockers
    assert "未通过" not in parcel_lockers, parcel_lockers
    assert owner.locator("a:has-text('结果公告（PDF）')").count() == 1
    assert owner.locator("a[href$='bundle.json']").count() >= 1

    # 6. The tracking code is in the final tree head.
    owner.click("a:text-is('核对我的回执')")
    owner.wait_for_url("**/check")
    owner.fill("#code", code)
    owner.click("form button.primary")
    verdict = owner.inner_text("p.flash-success")
    assert "您的表决票在公开的投票记录里" in verdict
    assert "已计入投票截止时签名的最终投票记录" in verdict
    for person in (owner, organiser):
        assert person.errors == [], person.errors
