"""What owners meet on their phones around the ballot (issue 16): the in-app browsers of WeChat,
Alipay and QQ and a phone without the key, each given a way forward and the estate's help line;
the owner's page after voting; a draft that survives a reload, the language switch and the back
button; and a lost answer, which resends the same signed ballot instead of making a second one."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.test_browser.assembly_world import (
    TITLES,
    closing,
    open_ballot,
    pdf_text,
    signin_owner,
    voting_an_hour_in,
)

pytestmark = pytest.mark.browser

HELP_PHONE = "0571-8888 6666"
WECHAT = (
    "Mozilla/5.0 (Linux; Android 14; V2309A) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/126.0 Mobile "
    "Safari/537.36 XWEB/1260117 MMWEBSDK/20240501 MicroMessenger/8.0.50.2701(0x28003253) WeChat/arm64 NetType/WIFI"
)
ALIPAY = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 "
    "Ariver/1.1.0 AliApp(AP/10.6.10.6000) Nebula AlipayDefined AlipayClient/10.6.10.6000 Language/zh-Hans"
)
QQ = (
    "Mozilla/5.0 (Linux; Android 13; PGT-AN10) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/109.0 "
    "MQQBrowser/6.2 TBS/047001 Mobile Safari/537.36 V1_AND_SQ_9.0.56_6372_YYB_D QQ/9.0.56.16895 NetType/WIFI"
)
QQ_BROWSER = (  # QQ's own browser app: a browser of its own, not an app's
    "Mozilla/5.0 (Linux; Android 13; PGT-AN10) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/109.0 "
    "MQQBrowser/14.6 Mobile Safari/537.36"
)


def walk_ballot(page, marks: dict[str, str]) -> None:
    """Through the items, one screen each, ticking the label given for an item's title."""
    steps = page.locator("fieldset[data-item]")
    for n in range(steps.count()):
        step = steps.nth(n)
        label = marks.get(step.get_attribute("data-title"))
        if label:
            step.locator(f"label:has-text('{label}') input").first.check()
        step.locator("[data-step=next]").click()
    page.wait_for_selector("#review:not([hidden])")


def text_sizes_and_targets(page) -> list[str]:
    """Header links and buttons under 44 px tall, and visible text under 16 px."""
    return page.evaluate(
        """() => {
      const out = [];
      for (const el of document.querySelectorAll('header a, header button')) {
        const r = el.getBoundingClientRect();
        if (r.height && r.height < 44) out.push(`header target ${el.textContent.trim()}: ${r.height}px tall`);
      }
      const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const el = node.parentElement;
        if (!node.textContent.trim() || !el || !el.getClientRects().length) continue;
        const size = parseFloat(getComputedStyle(el).fontSize);
        if (size < 16) out.push(`text ${node.textContent.trim().slice(0, 20)}: ${size}px`);
      }
      for (const input of document.querySelectorAll('main input:not([type=hidden]):not([type=radio]):not([type=checkbox])')) {
        const r = input.getBoundingClientRect();
        if (r.height && r.height < 44) out.push(`field ${input.name}: ${r.height}px tall`);
      }
      return out;
    }"""
    )


def test_in_app_browsers_are_told_how_to_open_the_letter_in_the_phones_browser(browser, assembly_world, pdftools, tmp_path):
    world, base = assembly_world, assembly_world.base
    world.set_rules(help_phone=HELP_PHONE)
    token = world.letter("1-101")
    _context, wechat = world.browser_of(browser, user_agent=WECHAT)
    wechat.goto(f"{base}/r/{token}")
    said = wechat.inner_text("main")
    assert "您是在微信里打开的这个页面" in said
    assert "点微信右上角的“···”" in said
    assert "在浏览器打开" in said
    assert "在 Safari 中打开" in said
    assert wechat.locator("#id-name").count() == 0  # no key is made inside WeChat
    assert wechat.url == f"{base}/r/{token}"  # "open in browser" opens this same letter
    assert token not in wechat.content()
    assert wechat.locator(f"footer a[href='tel:057188886666']:text-is('{HELP_PHONE}')").count() == 1

    for agent, app, step in ((ALIPAY, "支付宝", "在浏览器中打开"), (QQ, " QQ ", "用浏览器打开")):
        _context, page = world.browser_of(browser, user_agent=agent)
        page.goto(f"{base}/signin")
        said = page.inner_text("main")
        assert f"您是在{app}里打开的这个页面" in said, said
        assert step in said, said
    _context, qq_browser = world.browser_of(browser, user_agent=QQ_BROWSER)
    qq_browser.goto(f"{base}/signin")
    assert qq_browser.locator("#in-app").count() == 0

    # The letter was not touched: the phone's browser registers with it.
    zhang = world.owner_phone(browser, "1-101", url=f"{base}/r/{token}")
    assert "/me" in zhang.url

    # The printed letter gives the help line, and how to leave an app's browser.
    from webapp.owners.letters import Letter, render_letters

    pdf = tmp_path / "letter.pdf"
    with world.live.app_context():
        estate = world.estate()
        pdf.write_bytes(
            render_letters(
                [
                    Letter(
                        estate_name=estate.name,
                        building="1",
                        unit="101",
                        url=f"{base}/r/x",
                        code="ABCD-EFGH-JKMN",
                        code_url=f"{base}/r",
                        expires_on=estate.created_at.date(),
                        help_text=estate.help_text,
                        organiser="筹备组",
                        help_phone=estate.help_phone,
                    )
                ]
            )
        )
    printed = pdf_text(pdf).replace(" ", "")
    assert "帮助热线：0571-88886666" in printed
    assert "在浏览器打开" in printed
    assert wechat.errors == []
    assert zhang.errors == []


def test_a_phone_without_the_key_gets_the_ways_forward_not_a_used_letter(browser, assembly_world):
    world, base = assembly_world, assembly_world.base
    world.set_rules(help_phone=HELP_PHONE)
    token = world.letter("1-102")
    owner = world.owner_phone(browser, "1-102", url=f"{base}/r/{token}")
    assert owner.locator(f"footer a[href='tel:057188886666']:text-is('{HELP_PHONE}')").count() == 1

    _context, other = world.browser_of(browser)  # a new phone, or the browser's data cleared
    other.goto(f"{base}/r/{token}")
    assert "这封告知书已经用于登记" in other.inner_text("main")
    ways = other.inner_text("#no-key")
    assert "用登记时的手机" in ways
    assert "补发一份新的告知书" in ways
    assert "旧密钥即被注销" in ways
    assert "纸质表决票" in ways
    assert other.locator(f"#no-key a[href='tel:057188886666']:text-is('{HELP_PHONE}')").count() == 1

    other.goto(f"{base}/signin")
    assert other.locator("#no-key").is_hidden()
    other.click("[data-action=signin]")
    other.wait_for_selector("#no-key:not([hidden])")
    assert "不是您登记时用的手机" in other.inner_text("#signin-status")
    assert "扫描告知书上的二维码来登记" not in other.inner_text("main")  # no loop back to the letter
    assert owner.errors == []
    assert other.errors == []


def test_after_voting_my_page_shows_voted_with_the_time_and_the_receipt_while_open_and_after(browser, assembly_world, clock, shots):
    world, base = assembly_world, assembly_world.base
    assembly_id, zhang = voting_an_hour_in(world, browser, clock)
    open_ballot(zhang, base)
    walk_ballot(zhang, {TITLES["statute"]: "同意"})
    zhang.click("[data-step=sign]")
    zhang.wait_for_url("**/receipt/*")
    code = zhang.inner_text("p.code")

    def my_assembly() -> str:
        zhang.goto(f"{base}/me")
        return zhang.inner_text("section:has(h2:text-is('业主大会'))")

    mine = my_assembly()
    assert "立即投票" not in mine
    assert re.search(r"已投票 · \d{4}-\d{2}-\d{2} \d{2}:\d{2}", mine), mine
    # The README's picture ends below the assemblies, where a card ends, not across one.
    box = zhang.locator("section:has(h2:text-is('业主大会'))").bounding_box()
    shots(zhang, "8-my-page-voted", max_height=round(box["y"] + box["height"] + 16))
    zhang.click("a:text('查看回执')")
    zhang.wait_for_url(f"**/receipt/{code}")

    clock.at(closing(world, assembly_id) + timedelta(hours=1))  # and after the close
    signin_owner(zhang, base)
    mine = my_assembly()
    assert "已投票" in mine
    assert "立即投票" not in mine
    assert zhang.locator("a:text('查看回执')").count() == 1
    assert zhang.errors == []


def test_a_ballot_in_progress_survives_a_reload_the_language_switch_and_the_back_button(browser, assembly_world, clock):
    world, base = assembly_world, assembly_world.base
    assembly_id, zhang = voting_an_hour_in(world, browser, clock)
    signin_owner(zhang, base)
    assert text_sizes_and_targets(zhang) == []  # the owner's page
    zhang.click("a:text('立即投票')")
    zhang.wait_for_selector("#ballot")
    assert text_sizes_and_targets(zhang) == []  # the ballot
    dialogs: list[str] = []

    def answer(dialog) -> None:
        dialogs.append(dialog.type)
        dialog.dismiss()  # "stay on this page"

    zhang.on("dialog", answer)
    zhang.locator("#item-1 label:has-text('反对') input").check()
    zhang.click("#item-1 [data-step=next]")
    zhang.locator("#item-2 label:has-text('陈静') input").check()
    # The back button goes to the item before, with its choice, and forward again.
    zhang.go_back()
    zhang.wait_for_selector("#item-1:not([hidden])")
    assert zhang.locator("#item-1 label:has-text('反对') input").is_checked()
    zhang.go_forward()
    zhang.wait_for_selector("#item-2:not([hidden])")

    # A tap on 退出 asks first, and staying keeps everything.
    zhang.click("header button:text-is('退出')", no_wait_after=True)
    zhang.wait_for_timeout(500)
    assert dialogs == ["beforeunload"]
    assert zhang.url.endswith("/ballot#item-2")
    assert zhang.locator("#item-2 label:has-text('陈静') input").is_checked()

    # The language switch loses nothing (the draft is in this tab), and does not ask.
    zhang.click("header button:text-is('English')")
    zhang.wait_for_selector("#ballot")
    assert "Item 2 of 3" in zhang.inner_text("#item-2")
    assert zhang.locator("#item-2 label:has-text('陈静') input").is_checked()
    zhang.click("header button:text-is('中文')")
    zhang.wait_for_selector("#ballot")
    assert dialogs == ["beforeunload"]

    # A reload keeps the draft and the screen.
    zhang.remove_listener("dialog", answer)
    zhang.on("dialog", lambda dialog: dialog.accept())
    zhang.reload()
    zhang.wait_for_selector("#item-2:not([hidden])")
    assert zhang.locator("#item-2 label:has-text('陈静') input").is_checked()
    assert zhang.locator("#item-1 label:has-text('反对') input").is_checked()

    zhang.click("#item-2 [data-step=next]")
    zhang.click("#item-3 [data-step=next]")
    zhang.click("[data-step=sign]")
    zhang.wait_for_url("**/receipt/*")
    kept = zhang.evaluate("() => Object.keys(sessionStorage).filter(k => k.startsWith('ownersvote:'))")
    assert kept == []  # sent: nothing of the ballot stays in the browser
    assert zhang.errors == []


@pytest.mark.parametrize("lost", ["network", "502"])
def test_a_lost_answer_resends_the_same_signed_ballot_and_gets_the_receipt(browser, assembly_world, clock, lost):
    from webapp.core.db import db
    from webapp.voting.models import Ballot

    world, base = assembly_world, assembly_world.base
    assembly_id, zhang = voting_an_hour_in(world, browser, clock)
    open_ballot(zhang, base)
    walk_ballot(zhang, {TITLES["statute"]: "同意"})

    sent: list[str] = []

    def store_then_lose(route) -> None:
        sent.append(route.request.post_data)
        route.fetch()  # the server stores the ballot and answers …
        if lost == "network":  # … but the answer never reaches the phone
            route.abort("connectionreset")
        else:
            route.fulfill(status=502, body="Bad Gateway")

    zhang.route("**/api/v1/a/*/ballots", store_then_lose)
    zhang.click("[data-step=sign]")
    zhang.wait_for_selector("#ballot-status.flash-error")
    said = zhang.inner_text("#ballot-status")
    assert "可能已经保存" in said, said
    assert "没有计入" not in said
    assert "未保存" not in said
    assert zhang.inner_text("[data-step=sign]") == "再次发送同一张选票"
    assert zhang.locator("#review-list button:text-is('修改')").count() == 0  # signed: no other ballot now
    zhang.unroute("**/api/v1/a/*/ballots")

    zhang.route("**/api/v1/a/*/ballots", lambda route: (sent.append(route.request.post_data), route.continue_()))
    zhang.click("[data-step=sign]")
    zhang.wait_for_url("**/receipt/*")
    zhang.wait_for_selector("#receipt-check.flash-success")
    assert len(sent) == 2
    assert sent[0] == sent[1]
    with world.live.app_context():
        assert db.session.scalar(select(func.count(Ballot.id)).where(Ballot.assembly_id == assembly_id)) == 1
    assert [e for e in zhang.errors if "ERR_CONNECTION_RESET" not in e and "502" not in e] == []
