"""The owner's ballot on a phone (390×844, Chinese), for what a phone walk found missing: what
each candidate and each firm offers, read on the ballot itself, with the notice a tap away and
the choices kept; and a ballot signed after the close, refused, with what to do next."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.test_browser.assembly_world import BIDDERS, TITLES, closing, open_ballot, voting_an_hour_in

pytestmark = pytest.mark.browser


def watch_dialogs(page) -> list[str]:
    dialogs: list[str] = []

    def answer(dialog) -> None:
        dialogs.append(dialog.type)
        dialog.dismiss()  # "stay on this page"

    page.on("dialog", answer)
    return dialogs


def test_the_ballot_shows_what_each_candidate_and_firm_offers_and_the_notice_keeps_the_choices(browser, assembly_world, clock):
    world, base = assembly_world, assembly_world.base
    assembly_id, zhang = voting_an_hour_in(world, browser, clock)
    open_ballot(zhang, base)
    dialogs = watch_dialogs(zhang)
    zhang.click("#item-1 [data-step=next]")
    election = zhang.locator(f"fieldset[data-title='{TITLES['election']}']")
    assert election.is_visible()
    # Each candidate's statement, right under the name, in full and readable on the phone.
    for name in ("陈静", "刘洋", "周敏"):
        about = election.locator(f"label.choice:has-text('{name}') + .option-about")
        assert about.inner_text() == f"{name}：愿意为大家服务。"
        assert about.is_visible()
        box = about.bounding_box()
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= 390
    # Reading it (a tap on the text) ticks nothing; the name's label still does.
    election.locator(".option-about", has_text="陈静").click()
    assert election.locator("input:checked").count() == 0
    election.locator("label:has-text('陈静') input").check()
    assert zhang.evaluate("() => document.documentElement.scrollWidth") <= 390
    zhang.click("#item-2 [data-step=next]")
    firm = zhang.locator(f"fieldset[data-title='{TITLES['firm']}']")
    for name, _fee in BIDDERS:
        assert firm.locator(f"label.choice:has-text('{name}') + .option-about").inner_text() == "24小时保安，电梯维保。"
    firm.locator(f"label:has-text('{BIDDERS[0][0]}') input").check()

    # The notice, a tap away in this tab, without the browser asking; back, the choices are there.
    link = zhang.locator("#notice-link")
    assert link.inner_text() == "阅读会议公告"
    assert link.bounding_box()["height"] >= 44
    link.click()
    zhang.wait_for_url(f"**/p/{world.slug}/a/{assembly_id}")
    assert dialogs == []
    assert "陈静：愿意为大家服务。" in zhang.inner_text("main")
    zhang.go_back()
    zhang.wait_for_selector("#item-3:not([hidden])")
    assert firm.locator(f"label:has-text('{BIDDERS[0][0]}') input").is_checked()
    zhang.click("#item-3 [data-step=prev]")
    zhang.wait_for_selector("#item-2:not([hidden])")
    assert election.locator("label:has-text('陈静') input").is_checked()
    assert election.locator("input:checked").count() == 1
    assert dialogs == []
    assert zhang.errors == []


def test_a_ballot_signed_after_the_close_is_refused_and_the_owner_is_told_what_comes_next(browser, assembly_world, clock):
    world, base = assembly_world, assembly_world.base
    assembly_id, zhang = voting_an_hour_in(world, browser, clock)
    close = closing(world, assembly_id)
    open_ballot(zhang, base)  # the vote opens
    clock.at(close - timedelta(minutes=30))
    open_ballot(zhang, base)
    dialogs = watch_dialogs(zhang)
    zhang.locator("#item-1 label:has-text('同意') input").first.check()
    for step in (1, 2, 3):
        zhang.click(f"#item-{step} [data-step=next]")
    zhang.wait_for_selector("#review:not([hidden])")
    assert zhang.locator("#closed-next").is_hidden()

    clock.at(close + timedelta(minutes=1))  # the owner signs a minute late
    zhang.click("[data-step=sign]")
    zhang.wait_for_selector("#ballot-status.flash-error")
    assert "投票已于" in zhang.inner_text("#ballot-status")
    # No button that could only fail again, no answer to change: what comes next instead.
    assert zhang.locator("[data-step=sign]").is_hidden()
    assert zhang.locator("#review-list button").count() == 0
    next_steps = zhang.locator("#closed-next")
    assert next_steps.is_visible()
    assert "表决结果将在本次会议的页面上公布" in next_steps.inner_text()
    notice = next_steps.locator("a", has_text="会议页面（表决结果将在这里公布）")
    assert notice.get_attribute("href") == f"/p/{world.slug}/a/{assembly_id}"
    mine = next_steps.locator("a", has_text="我的页面")
    for link in (notice, mine):
        assert link.bounding_box()["height"] >= 44
    mine.click()
    zhang.wait_for_url("**/me")
    assert dialogs == []  # nothing left to lose: the browser does not ask

    # The ballot page, opened again, says the same, with the same links.
    zhang.goto(f"{base}/me/a/{assembly_id}/ballot")
    assert zhang.locator("#ballot").count() == 0
    again = zhang.locator("#closed-next")
    assert "不再接收选票" in again.inner_text()
    assert "表决结果将在本次会议的页面上公布" in again.inner_text()
    assert again.locator("a", has_text="会议页面（表决结果将在这里公布）").get_attribute("href") == f"/p/{world.slug}/a/{assembly_id}"
    assert again.locator("a", has_text="我的页面").count() == 1
    assert [e for e in zhang.errors if "status of 409" not in e] == []  # (the refusal above)
