"""Voting in Chromium at phone size, as people click: an owner's ballot with every item form, its
review, signature and receipt checked in the browser; turnout and the public list of units that
voted; a proxy from the letter of proxy to the proxy's ballot; a paper ballot sheet entered by
two organisers whose entries differ, decided by a supervisor."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta

import pytest

from tests.test_browser.assembly_world import (
    BIDDERS,
    PROXY,
    TITLES,
    announce,
    freeze_and_sign,
    job_done,
    opening,
    pdf_text,
    qr_urls,
    relogin,
    signin_owner,
    upload,
)
from tests.test_browser.net import check_again

pytestmark = pytest.mark.browser


def open_ballot(page, base: str) -> None:
    """From the owner's page to the ballot, the way an owner gets there."""
    signin_owner(page, base)
    page.click("a:text('立即投票')")
    page.wait_for_url("**/ballot")
    page.wait_for_selector("#ballot")


def item(page, title: str):
    return page.locator(f"fieldset[data-title='{title}']")


def sign_and_send(page) -> None:
    page.click("[data-step=sign]")
    page.wait_for_url("**/receipt/*")
    page.wait_for_selector("#receipt-check.flash-success")
    check_again(page)  # with the verdict shown


def test_an_owner_votes_on_every_item_form_and_the_receipt_is_checked_in_the_browser(browser, assembly_world, clock, shots):
    world, base = assembly_world, assembly_world.base
    assembly_id = announce(world, clock, attachment=True)
    zhang = world.owner_phone(browser, "1-101")
    freeze_and_sign(world, assembly_id)
    clock.at(opening(world, assembly_id) + timedelta(hours=1))

    organiser = world.staff_page(browser, "organiser")
    organiser.goto(f"{base}/e/{world.slug}/assemblies/{assembly_id}/turnout")
    assert re.search(r"已投票的业主\s*0 人", organiser.inner_text("main"))
    public = f"{base}/p/{world.slug}/a/{assembly_id}/turnout"
    zhang.goto(public)
    assert "还没有房屋投票" in zhang.inner_text("main")

    open_ballot(zhang, base)
    statute, election, firm = item(zhang, TITLES["statute"]), item(zhang, TITLES["election"]), item(zhang, TITLES["firm"])
    # One item per screen, the proposal first and in full, the rule in one line under the choices.
    assert statute.is_visible()
    assert not election.is_visible()
    assert not firm.is_visible()
    assert "第 1 项，共 3 项" in statute.inner_text()
    assert statute.locator(".proposal p.pre").inner_text() == "管理规约修订稿见附件。"
    # Its attachment opens in the phone's viewer (in a new tab: the ballot stays), not as a download.
    link = statute.locator("a.attachment")
    assert link.inner_text() == "阅读附件：管理规约修订稿.pdf"
    assert link.get_attribute("target") == "_blank"
    opened = zhang.request.get(base + link.get_attribute("href"))
    assert opened.ok
    assert opened.headers["content-disposition"].startswith("inline")
    assert opened.headers["content-type"] == "application/pdf"
    assert zhang.locator("details").count() == 0  # nothing hidden under 阅读全文
    assert statute.locator(".threshold").inner_text() == "通过需要：参与表决的业主中，面积和人数都过半数同意（《民法典》第二百七十八条）。"
    for choice in statute.locator("label.choice").all():
        assert choice.bounding_box()["height"] >= 44
    statute.locator("label:has-text('同意') input").first.check()
    shots(zhang, "5-ballot")
    zhang.click("#item-1 [data-step=next]")
    assert election.is_visible()
    assert zhang.locator("#skipped").is_hidden()  # a choice was made: nothing to say
    assert not statute.is_visible()
    assert "第 2 项，共 3 项" in election.inner_text()
    check_again(zhang)
    counter = election.locator("[data-counter]")
    assert counter.inner_text() == "已选 0 个，最多可选 2 个"
    election.locator("label:has-text('陈静') input").check()
    assert counter.inner_text() == "已选 1 个，最多可选 2 个"
    election.locator("label:has-text('刘洋') input").check()
    assert counter.inner_text() == "已选 2 个，最多可选 2 个"
    assert election.locator("label:has-text('周敏') input").is_disabled()  # the counter stops at the seats
    election.locator("label:has-text('刘洋') input").uncheck()
    assert election.locator("label:has-text('周敏') input").is_enabled()
    election.locator("label:has-text('周敏') input").check()
    zhang.click("#item-2 [data-step=next]")
    assert firm.is_visible()
    assert firm.locator("input:checked").count() == 0  # the firm selection stays unmarked
    zhang.go_back()  # the back button goes to the previous item, with its choices
    assert election.is_visible()
    assert election.locator("input:checked").count() == 2
    zhang.go_forward()
    assert firm.is_visible()
    zhang.click("#item-3 [data-step=next]")
    zhang.wait_for_selector("#review:not([hidden])")
    check_again(zhang)  # the check-your-answers page, revealed by the page's script
    answers = [(li.locator(".q").inner_text(), li.locator(".a").inner_text()) for li in zhang.locator("#review-list li").all()]
    assert answers == [
        (TITLES["statute"], "同意"),
        (TITLES["election"], "周敏（2-201）、陈静（2-101）"),
        (TITLES["firm"], "弃权（未勾选）"),
    ]
    # 修改 returns to that item only, and from there straight back to the answers.
    zhang.locator("#review-list li", has_text=TITLES["election"]).locator("button:text-is('修改')").click()
    assert election.is_visible()
    assert not statute.is_visible()
    assert zhang.locator("#review").is_hidden()
    election.locator("label:has-text('周敏') input").uncheck()
    election.locator("label:has-text('刘洋') input").check()
    zhang.click("#item-2 [data-step=next]:text('保存并返回检查页')")
    zhang.wait_for_selector("#review:not([hidden])")
    assert zhang.locator("#review-list li .a").all_inner_texts() == ["同意", "刘洋（2-102）、陈静（2-101）", "弃权（未勾选）"]
    shots(zhang, "6-review")
    sign_and_send(zhang)
    check = zhang.inner_text("#receipt-check")
    assert check.startswith("已在本设备上核对"), check
    code = zhang.inner_text("p.code")
    assert re.fullmatch(r"[0-9A-Z]{4}(-[0-9A-Z]{4})+", code), code
    chosen = zhang.inner_text("section:has(h2:text-is('您的选择'))")
    assert "同意" in chosen
    assert "刘洋（2-102）、陈静（2-101）" in chosen
    assert "弃权" in chosen
    assert "业主本人的密钥" in zhang.inner_text("main")
    shots(zhang, "7-receipt")

    # One ballot per household: the ballot page now sends the owner to the receipt.
    zhang.goto(f"{base}/me/a/{assembly_id}/ballot")
    assert "您家已经投票" in zhang.inner_text("main")
    assert zhang.locator("#ballot").count() == 0

    organiser.reload()
    assert re.search(r"已投票的业主\s*1 人", organiser.inner_text("main"))
    assert "89.50" in organiser.inner_text("main")
    zhang.goto(public)
    units = zhang.locator("td.unit").all_inner_texts()
    assert units == ["1-101"]
    assert zhang.errors == []
    assert organiser.errors == []


def test_a_proxy_approved_before_the_roll_freezes_registers_with_a_letter_and_votes_for_the_owner(
    browser, assembly_world, clock, pdftools, tmp_path
):
    world, base = assembly_world, assembly_world.base
    assembly_id = announce(world, clock)
    proxies = f"{base}/e/{world.slug}/assemblies/{assembly_id}/proxies"

    organiser = world.staff_page(browser, "organiser")
    organiser.goto(f"{base}/e/{world.slug}/assemblies/{assembly_id}")
    organiser.click("nav.actions a:text('委托')")
    organiser.wait_for_url(proxies)
    organiser.fill("#unit", "1-201")
    organiser.fill("#name", PROXY[0])
    organiser.fill("#tail", PROXY[1])
    organiser.fill("#scope", "代为参加2026年第一次业主大会并对全部事项表决")
    organiser.fill("#signed_on", (date.today()).isoformat())
    organiser.set_input_files("#scan", upload("王芳委托书.pdf"))
    organiser.click("form:has(#scan) button.primary")
    assert "委托书已录入" in organiser.inner_text(".flash-success")

    supervisor = world.staff_page(browser, "supervisor")
    supervisor.goto(proxies)
    card = supervisor.locator(".row-card:has-text('1-201')")
    card.locator("input[name=reason]").fill("委托书内容完整，业主本人签名，已电话核实")
    card.locator("button:text-is('批准')").click()
    assert "已记录审核结果" in supervisor.inner_text(".flash-success")

    organiser.reload()
    with organiser.expect_download() as download:
        organiser.click("button:text('打印受托人告知书')")
    letter = tmp_path / "proxy-letter.pdf"
    download.value.save_as(letter)
    urls = qr_urls(letter, tmp_path)
    assert len(urls) == 1
    assert urls[0].startswith(f"{base}/r/")
    proxy = world.owner_phone(browser, "1-201", name=PROXY[0], id_tail=PROXY[1], url=urls[0])
    assert "受托人" in proxy.inner_text(".flash-success")
    owner = world.owner_phone(browser, "1-201")  # 王芳 sees who votes for her, and could withdraw
    letters = owner.inner_text("section:has(h2:text-is('我的委托书'))")
    assert f"{PROXY[0]} 受您委托" in letters
    assert "已通过" in letters
    assert owner.locator("a:text('撤回这份委托')").count() == 1

    # The supervisor makes a key in this browser, freezes the roll for the assembly, signs it.
    supervisor.goto(f"{base}/staff/keys")
    with supervisor.expect_navigation():
        supervisor.click("[data-action=register-key]")
    supervisor.goto(f"{base}/e/{world.slug}/roll")
    supervisor.select_option("#assembly", label="2026年第一次业主大会")
    supervisor.click("form button.primary")
    supervisor.wait_for_url("**/roll/*/sign")
    supervisor.wait_for_selector("#roll-check.flash-success")
    supervisor.click("[data-action=sign-roll]")
    supervisor.wait_for_url("**/p/**/roll/*")
    supervisor.goto(f"{base}/e/{world.slug}/assemblies/{assembly_id}")
    assert "本次业主大会按第 1 号表决名册表决" in supervisor.inner_text("main")

    clock.at(opening(world, assembly_id) + timedelta(hours=2))
    open_ballot(proxy, base)
    assert "受托人" in proxy.inner_text("main")
    item(proxy, TITLES["statute"]).locator("label:has-text('反对') input").check()
    proxy.click("#item-1 [data-step=next]")
    item(proxy, TITLES["election"]).locator("label:has-text('周敏') input").check()
    proxy.click("#item-2 [data-step=next]")
    item(proxy, TITLES["firm"]).locator(f"label:has-text('{BIDDERS[1][0]}') input").check()
    proxy.click("#item-3 [data-step=next]")
    assert proxy.locator("#review-list li .a").all_inner_texts() == ["反对", "周敏（2-201）", f"{BIDDERS[1][0]} · 2.80 元/平方米·月"]
    sign_and_send(proxy)
    assert "受托人的密钥" in proxy.inner_text("main")
    proxy.goto(f"{base}/p/{world.slug}/a/{assembly_id}/turnout")
    assert proxy.locator("td.unit").all_inner_texts() == ["1-201"]
    # One ballot per household: the owner, who did not vote first, is told it has voted.
    signin_owner(owner, base)
    assert "表决名册已冻结，委托不能再撤回" in owner.inner_text("main")
    mine = owner.inner_text("section:has(h2:text-is('业主大会'))")
    assert "已投票" in mine
    assert "由您的受托人投票" in mine
    assert owner.locator("a:text('立即投票')").count() == 0
    owner.goto(f"{base}/me/a/{assembly_id}/ballot")
    assert "您家已经投票" in owner.inner_text("main")
    assert owner.locator("#ballot").count() == 0
    relogin(organiser, base, world.users["organiser"])
    for page in (organiser, supervisor, proxy, owner):
        assert page.errors == [], page.errors


def test_two_organisers_enter_a_paper_sheet_and_a_supervisor_decides_where_they_differ(browser, assembly_world, clock, pdftools, tmp_path):
    world, base = assembly_world, assembly_world.base
    assembly_id = announce(world, clock)
    freeze_and_sign(world, assembly_id)
    clock.at(opening(world, assembly_id) + timedelta(hours=3))
    paper = f"{base}/e/{world.slug}/assemblies/{assembly_id}/paper"

    first = world.staff_page(browser, "organiser")
    first.goto(f"{base}/e/{world.slug}/assemblies/{assembly_id}")
    first.click("nav.actions a:text('纸质表决票')")
    first.wait_for_url(paper)
    first.fill("#units", "1-202")
    first.click("form:has(#units) button")  # the sheets are made in the background
    job_done(first)
    with first.expect_download() as download:
        first.click("a[data-job-download]")
    sheets = tmp_path / "sheets.pdf"
    download.value.save_as(sheets)
    first.goto(paper)
    serial = first.locator("td[data-label='编号']").first.inner_text().strip()
    assert re.fullmatch(r"P-[0-9A-F]{10}", serial), serial
    assert serial in pdf_text(sheets).replace(" ", "")
    scan = upload("表决票扫描件-1-202.pdf", b"%PDF-1.4\n% the returned sheet of 1-202\n%%EOF\n")

    def enter(page, candidate: str) -> str:
        page.fill("#serial", serial)
        page.locator(f"fieldset:has(legend:text('{TITLES['statute']}')) label:has-text('同意') input").first.check()
        page.locator(f"fieldset:has(legend:text('{TITLES['election']}')) label:has-text('{candidate}') input").check()
        page.locator(f"fieldset:has(legend:text('{TITLES['firm']}')) label:has-text('{BIDDERS[0][0]}') input").check()
        page.set_input_files("#scan", scan)
        page.click("form:has(#serial) button.primary")
        return page.inner_text("p.flash[role=status]")

    assert "还需另一位组织者独立录入" in enter(first, "陈静")
    second = world.staff_page(browser, "organiser2")
    second.goto(paper)
    said = enter(second, "刘洋")  # the second organiser reads the election mark differently
    assert "不一致" in said, said
    assert "两次录入不一致" in second.inner_text("table")

    supervisor = world.staff_page(browser, "supervisor")
    supervisor.goto(paper)
    dispute = supervisor.locator(".row-card", has_text=serial)
    entries = dispute.locator("ul.entries li").all_inner_texts()
    assert [line.split()[0] for line in entries] == [TITLES["statute"], TITLES["election"], TITLES["firm"]]
    assert "陈静" in entries[1]
    assert "刘洋" in entries[1]
    assert "两次录入不一致" in entries[1]
    assert "两次录入不一致" not in entries[0]
    assert "两次录入不一致" not in entries[2]
    dispute.locator(f"fieldset:has(legend:text('{TITLES['statute']}')) label:has-text('同意') input").first.check()
    dispute.locator(f"fieldset:has(legend:text('{TITLES['election']}')) label:has-text('陈静') input").check()
    dispute.locator(f"fieldset:has(legend:text('{TITLES['firm']}')) label:has-text('{BIDDERS[0][0]}') input").check()
    dispute.locator("input[name=reason]").fill("扫描件上勾选的是陈静，刘洋一栏只有一个墨点")
    dispute.locator("button:text('按上面的勾选计入')").click()
    assert "已记录审核结果" in supervisor.inner_text(".flash-success")
    assert "已计入" in supervisor.inner_text("table")
    # In the public list once the sequencer's next batch holds it (a second or so).
    for _ in range(60):
        supervisor.goto(f"{base}/p/{world.slug}/a/{assembly_id}/turnout")
        if supervisor.locator("td.unit").count():
            break
        supervisor.wait_for_timeout(500)
    assert supervisor.locator("td.unit").all_inner_texts() == ["1-202"]
    for page in (first, second, supervisor):
        assert page.errors == [], page.errors


def test_the_owners_phone_shows_the_servers_promise_at_once_then_the_verified_proof(browser, assembly_world, clock, live, shots):
    """Casting answers with a signed promise; the phone checks it, and shows the inclusion proof,
    checked too, once the sequencer's batch holds the ballot (issue 19, item 4)."""
    import time

    from webapp.voting import sequencer

    world, base = assembly_world, assembly_world.base
    assembly_id = announce(world, clock)
    zhang = world.owner_phone(browser, "1-101")
    freeze_and_sign(world, assembly_id)
    clock.at(opening(world, assembly_id) + timedelta(hours=1))
    # Hold the sequencer between passes (as a busy one would be) so the phone meets the promise
    # before the proof: wait for a pass that began after the change.
    live.config["OWNERSVOTE_SEQUENCER_EVERY"] = 3600
    seen = sequencer.status["passes"]
    deadline = time.monotonic() + 30
    while sequencer.status["passes"] < seen + 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    try:
        open_ballot(zhang, base)
        steps = zhang.locator("fieldset[data-item]")
        assert zhang.locator("#skipped").is_hidden()
        for n in range(steps.count()):
            steps.nth(n).locator("[data-step=next]").click()
            if n == 0:  # an item left blank is said to abstain on the next screen, not silently
                assert zhang.locator("#skipped").is_visible()
                assert f"“{steps.nth(0).get_attribute('data-title')}”上没有作出选择，这一项将按弃权计" in zhang.inner_text("#skipped")
        zhang.wait_for_selector("#review:not([hidden])")
        zhang.click("[data-step=sign]")
        zhang.wait_for_url("**/receipt/*")
        zhang.wait_for_selector("#receipt-pending.flash-info")
        assert "服务器签发了受理凭证" in zhang.inner_text("#receipt-pending")
        assert zhang.locator("#receipt-check").count() == 0  # no proof yet, and none claimed
        shots(zhang, "receipt-promise")
        with live.app_context():
            sequencer.run_once()  # the sequencer's next pass
        zhang.wait_for_selector("#receipt-check.flash-success", timeout=30_000)
        receipt = json.loads(zhang.get_attribute("#receipt-check", "data-receipt"))
        assert receipt["v"] == 3
        assert receipt["promise"]["leaf_hash"] == receipt["leaf_hash"]
        shots(zhang, "receipt-proof")
    finally:
        live.config["OWNERSVOTE_SEQUENCER_EVERY"] = 1.0
