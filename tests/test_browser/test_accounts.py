"""Who organises, and the open accounts, in Chromium at phone size and in Chinese (issue 21, items
2 and 3): a supervisor records the estate's 物管会 from the estate's menu, and the public pages
name it; an organiser publishes a quarterly income and expense statement, signed by the server;
an owner opens it from their own page on the phone and reads it, checked, with its totals."""

from __future__ import annotations

import json

import pytest

from crypto import disclosure as fmt

pytestmark = pytest.mark.browser


def test_the_organiser_publishes_a_statement_and_an_owner_reads_it_on_the_phone(browser, assembly_world, shots):
    world = assembly_world
    body_name = f"{world.name}物业管理委员会"

    supervisor = world.staff_page(browser, "supervisor")
    supervisor.goto(f"{world.base}/e/{world.slug}/")
    supervisor.click("nav.tabs a:text('组织机构')")
    supervisor.select_option("#kind", "management")
    supervisor.fill("#members", "陈立新 主任\n王敏 副主任\n赵德明 委员")
    supervisor.fill("#term_start", "2026-01-01")
    supervisor.fill("#term_end", "2028-12-31")
    supervisor.fill("#basis", "翠湖街道办事处 翠街发〔2025〕12号")
    supervisor.click("#record-body button.primary")
    assert body_name in supervisor.inner_text("#current-body")
    shots(supervisor, "organising-body")

    organiser = world.staff_page(browser, "organiser")
    organiser.goto(f"{world.base}/e/{world.slug}/")
    organiser.click("nav.tabs a:text('账目公开')")
    organiser.click("#publish-kinds a:text('收支情况')")
    assert body_name in organiser.inner_text("main")
    organiser.fill("#title", "2026年第三季度收支公示")
    organiser.fill("#period_from", "2026-07-01")
    organiser.fill("#period_until", "2026-09-30")
    organiser.fill("#income", "停车费收入 36000.00\n广告位出租 12000.50 电梯轿厢广告")
    organiser.fill("#total_income", "48000.50")
    organiser.fill("#expense", "公共设施维修 8000.00\n审计费 1500 第三方审计")
    organiser.fill("#total_expense", "9000")  # mistyped: the lines say 9500
    shots(organiser, "accounts-publish")
    organiser.click("#publish-form button.primary")
    assert "支出各行之和为 9,500.00 元，与填写的支出合计 9,000.00 元不符" in organiser.inner_text("main")
    organiser.fill("#total_expense", "9500")
    organiser.click("#publish-form button.primary")
    assert "已核验" in organiser.inner_text("#disclosure-verified")
    assert "38,500.50" in organiser.inner_text("#disclosure-totals")

    owner = world.owner_phone(browser, "2-101")
    owner.click("#open-accounts a.button")
    assert "2026年第三季度收支公示" in owner.inner_text("#accounts")
    owner.click("#accounts a:has-text('2026年第三季度收支公示')")
    assert "已核验：由服务器密钥签名，每个合计都等于各行之和。" in owner.inner_text("#disclosure-verified")
    totals = owner.inner_text("#disclosure-totals")
    assert "48,000.50" in totals
    assert "9,500.00" in totals
    assert "38,500.50" in totals
    assert f"{body_name} 于" in owner.inner_text("main")
    shots(owner, "accounts-statement", max_height=3 * 844)
    with owner.expect_download() as download:
        owner.click("a:text('下载签名的数据文件')")
    document = json.loads(download.value.path().read_bytes())
    assert fmt.verify_disclosure(document)["totals"] == {"income": 4800050, "expense": 950000, "net": 3850050}

    owner.goto(f"{world.base}/p/{world.slug}/assemblies")
    assert f"组织者：{body_name}" in owner.inner_text("main")
