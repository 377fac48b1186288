"""A key made after the roll froze (issue 16, item 1), in Chromium at phone size: the owner's page
offers no ballot and says why, how long and the paper alternative; two supervisors check and sign
the roll supplement in their own browsers; the owner then votes on the new phone."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.test_browser.assembly_world import announce, opening, relogin, signin_owner
from tests.test_browser.net import check_again

pytestmark = pytest.mark.browser


def test_a_key_made_after_the_freeze_waits_for_two_supervisors_then_votes(browser, assembly_world, clock, shots):
    world, base = assembly_world, assembly_world.base
    world.set_rules(roll_signatures_required=2)
    assembly_id = announce(world, clock)

    # Each supervisor makes a signing key in their own browser; both sign the roll there.
    supervisors = {}
    for who in ("supervisor", "supervisor2"):
        page = supervisors[who] = world.staff_page(browser, who)
        page.goto(f"{base}/staff/keys")
        with page.expect_navigation():
            page.click("[data-action=register-key]")
    first, second = supervisors["supervisor"], supervisors["supervisor2"]
    first.goto(f"{base}/e/{world.slug}/roll")
    first.select_option("#assembly", label="2026年第一次业主大会")
    first.click("form button.primary")
    first.wait_for_url("**/roll/1/sign")
    for page in (first, second):
        page.goto(f"{base}/e/{world.slug}/roll/1/sign")
        page.wait_for_selector("#roll-check.flash-success")
        page.click("[data-action=sign-roll]")
        page.wait_for_url("**/p/**/roll/1")
    clock.at(opening(world, assembly_id) + timedelta(hours=1))

    # 张三 registers after the freeze, as the demo's printed tip leads a newcomer to do.
    zhang = world.owner_phone(browser, "1-101")
    zhang.reload()
    waiting = zhang.locator(f"#key-waiting-{assembly_id}")
    text = waiting.inner_text()
    assert "已请监督员签署名册补充" in text
    assert "2 位中已有 0 位签名" in text
    assert "通常在一天之内完成" in text
    assert "纸质表决票" in text
    assert zhang.locator("a:text('立即投票')").count() == 0
    check_again(zhang)
    shots(zhang, "supplement-1-owner-waits")

    for n, (who, page) in enumerate(supervisors.items()):
        relogin(page, base, world.users[who])  # the clock moved past their sessions
        page.goto(f"{base}/e/{world.slug}/roll")
        page.click("a:has-text('等待补入名册的密钥')")
        page.wait_for_selector("[data-action=sign-supplement]:not([disabled])")
        assert page.locator("[id^=supplement-check-].flash-success").count() == 1
        check_again(page)
        if n == 0:
            shots(page, "supplement-2-supervisor-signs")
        page.click("[data-action=sign-supplement]")
        page.wait_for_load_state("networkidle")
        page.wait_for_url("**/roll/supplements")

    signin_owner(zhang, base)
    zhang.goto(f"{base}/me")
    assert zhang.locator(f"#key-waiting-{assembly_id}").count() == 0
    zhang.click("a:text('立即投票')")
    zhang.wait_for_url("**/ballot")
    steps = zhang.locator("fieldset[data-item]")
    for n in range(steps.count()):  # one item per screen: the first agreed, the rest left blank
        step = steps.nth(n)
        if n == 0:
            step.locator("label:has-text('同意') input").first.check()
        step.locator("[data-step=next]").click()
    zhang.wait_for_selector("#review:not([hidden])")
    zhang.click("[data-step=sign]")
    zhang.wait_for_url("**/receipt/*")
    zhang.wait_for_selector("#receipt-check.flash-success")
    check_again(zhang)
    assert zhang.errors == []
    assert first.errors == []
    assert second.errors == []
