"""An assembly from the organiser's draft to its published notice, in Chromium at phone size, as
its people click: the agenda's three item forms, owners' nominations signed on their phones,
the supervisors' vetting, the notice period, the notice and its PDF, and a revised notice."""

from __future__ import annotations

import random
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.test_browser.assembly_world import TITLES, local_input, pdf_pages, pdf_text, relogin, signin_owner, upload
from webapp.demo.registry import uscc

pytestmark = pytest.mark.browser
SHANGHAI = ZoneInfo("Asia/Shanghai")


def add_item(page, form: str, category: int, title: str, text: str = "", seats: int | None = None, by_election: bool = False) -> str:
    """On the assembly's page: the 'Add an item' form; returns the new item's address."""
    page.select_option("#i-form", form)
    page.select_option("#i-category", str(category))
    page.fill("#i-title", title)
    page.fill("#i-text", text)
    if seats is not None:
        page.fill("#i-seats", str(seats))
    if by_election:
        page.check("#i-by_election")
    page.click("form:has(#i-form) button.primary")
    page.wait_for_url("**/items/*")
    assert "事项已添加" in page.inner_text(".flash-success")
    return page.url


def test_an_organiser_drafts_owners_nominate_supervisors_vet_and_the_notice_is_published_then_revised(
    browser, assembly_world, clock, pdftools, shots, tmp_path
):
    world, base = assembly_world, assembly_world.base
    rng = random.Random(11)

    # Two owners register their phones with their letters.
    zhang = world.owner_phone(browser, "1-101")
    li = world.owner_phone(browser, "1-102")

    # -- the organiser drafts the assembly, on a phone --------------------------------------
    organiser = world.staff_page(browser, "organiser")
    organiser.goto(f"{base}/e/{world.slug}/assemblies")
    too_soon = (clock.now + timedelta(days=12)).astimezone(SHANGHAI).replace(hour=9, minute=0)
    organiser.fill("#a-title", "2026年第一次业主大会")
    organiser.select_option("#a-kind", "regular")
    organiser.fill("#a-description", "修订管理规约，补选业主委员会委员，选聘物业服务企业。")
    organiser.fill("#a-opens_at", local_input(too_soon))
    organiser.fill("#a-closes_at", local_input(too_soon + timedelta(days=7)))
    organiser.click("form:has(#a-title) button.primary")
    organiser.wait_for_url(re.compile(r".*/assemblies/\d+$"))
    assembly_url = organiser.url
    assembly_id = int(assembly_url.rsplit("/", 1)[1])

    statute_url = add_item(organiser, "resolution", 2, TITLES["statute"], "第十二条修改为：装修施工时间为每日八时至十八时。")
    organiser.set_input_files("#file", upload("管理规约修订稿.pdf"))
    organiser.click("form.upload button")
    assert "管理规约修订稿.pdf" in organiser.inner_text("ul.list")
    assert "SHA-256" in organiser.content()

    organiser.goto(assembly_url)
    add_item(organiser, "election", 3, TITLES["election"], "补选一名委员，任期至本届业主委员会届满。", seats=1, by_election=True)

    organiser.goto(assembly_url)
    firm_url = add_item(organiser, "selection", 4, TITLES["firm"], "现物业服务合同明年一月到期。")
    for name, fee in (("杭州安居物业服务有限公司", "2.30"), ("浙江绿城物业服务有限公司", "2.80")):
        organiser.fill("#b-name", name)
        organiser.fill("#b-uscc", uscc(rng))
        organiser.fill("#b-fee", fee)
        organiser.fill("#b-plan", "24小时门岗；电梯每月维保；保洁每日两次。")
        organiser.click("form:has(#b-name) button.primary")
        organiser.wait_for_url(firm_url)
        assert name in organiser.content()
    bid = organiser.locator("input[type=file][id^='file-']").first
    bid.set_input_files(upload("安居物业投标文件.pdf"))
    organiser.locator("form.upload:has(input[id^='file-']) button").first.click()
    assert "安居物业投标文件.pdf" in organiser.content()

    organiser.goto(assembly_url)
    agenda = organiser.inner_text("section:has(h2:text('议程'))")
    assert TITLES["statute"] in agenda
    assert TITLES["election"] in agenda
    assert TITLES["firm"] in agenda

    # -- the organiser calls for candidates; owners nominate: 张三 stands himself, and nominates
    # 李四, who accepts ------------------------------------------------------------------------
    zhang.goto(f"{base}/me")
    assert "2026年第一次业主大会" not in zhang.inner_text("main")  # a draft is the organisers' own
    organiser.click("button:text('开始征集候选人')")
    assert "已开始征集候选人" in organiser.inner_text(".flash-success")
    zhang.goto(f"{base}/me")
    assert "征集候选人" in zhang.inner_text(f"#call-{assembly_id}")
    zhang.click("a:text('提名候选人')")
    zhang.wait_for_url(f"**/me/a/{assembly_id}/nominate")
    zhang.fill("#s-statement", "退休教师，住在小区二十年，愿意为大家服务。")
    zhang.click("form:has(#s-statement) button.primary")
    zhang.wait_for_url("**/me/candidacies/*")
    zhang_candidacy = zhang.url
    zhang.click("[data-action=sign-document]")
    zhang.wait_for_selector("text=您的书面承诺已签署")
    assert zhang.errors == []

    zhang.goto(f"{base}/me/a/{assembly_id}/nominate")
    zhang.fill("#o-unit", "1-102")
    zhang.fill("#o-name", "李四")
    zhang.click("form:has(#o-unit) button")
    zhang.wait_for_url("**/me")
    assert "李四" in zhang.inner_text(".flash-success")

    li.goto(f"{base}/me")
    assert "有业主提名您" in li.inner_text("main")
    li.click("a:text('接受或拒绝提名，签署承诺')")
    li.wait_for_url("**/me/candidacies/*")
    li.fill("#s-statement", "从事财务工作二十年，愿意管好维修资金。")
    li.click("form:has(#s-statement) button")
    li.click("[data-action=sign-document]")
    li.wait_for_selector("text=您的书面承诺已签署")
    assert li.errors == []

    # -- a supervisor vets each with a written reason, and publishes the list -------------------
    supervisor = world.staff_page(browser, "supervisor")
    supervisor.goto(f"{base}/e/{world.slug}/assemblies/{assembly_id}/candidates")
    li_card = supervisor.locator(".row-card:has-text('李四')")
    li_card.locator("input[name='d-reason']").fill("符合本小区候选人条件")
    with supervisor.expect_navigation():
        li_card.locator("button:text-is('批准')").click()
    assert "已记录" in supervisor.inner_text(".flash-success")
    zhang_card = supervisor.locator(".row-card:has-text('张三')")
    zhang_card.locator("input[name='d-reason']").fill("经物业服务中心核实，尚欠缴物业服务费三个月，不符合候选人条件")
    with supervisor.expect_navigation():
        zhang_card.locator("button:text-is('驳回')").click()
    assert "已记录" in supervisor.inner_text(".flash-success")
    with supervisor.expect_navigation():  # (the flash of the page before must not be read)
        supervisor.click("button:text('公示审查通过的名单')")
    assert "已公示" in supervisor.inner_text(".flash-success")

    zhang.goto(zhang_candidacy)
    assert "尚欠缴物业服务费三个月" in zhang.inner_text("main")  # the candidate reads the reason
    supervisor.click("a:text('公示名单')")
    assert supervisor.url.endswith(f"/p/{world.slug}/a/{assembly_id}/candidates")
    listed = supervisor.inner_text("main")
    assert "李四" in listed
    assert "管好维修资金" in listed
    assert "张三" not in listed

    # -- the notice cannot be out yet: the list is on display, and voting opens too soon ---------
    organiser.goto(assembly_url)
    problems = organiser.inner_text("section:has(h2:text('发布公告'))")
    assert "公示期" in problems
    assert organiser.locator("form[action$='/publish'] button").is_disabled()

    clock.later(days=8)  # the candidates' list has been on display for the estate's 7 days
    relogin(organiser, base, world.users["organiser"])
    organiser.goto(assembly_url)
    problems = organiser.inner_text("section:has(h2:text('发布公告'))")
    assert "公示期" not in problems
    found = re.search(r"最早可于 (\d{4}-\d{2}-\d{2} \d{2}:\d{2})（北京时间）开始投票", problems)
    assert found, problems
    first = datetime.strptime(found.group(1), "%Y-%m-%d %H:%M").replace(tzinfo=SHANGHAI)
    assert abs(first - (clock.now + timedelta(days=15))) < timedelta(minutes=3)
    # Forced anyway (the button is disabled), the server refuses it with the same date.
    organiser.evaluate("() => document.querySelector(\"form[action$='/publish'] button\").disabled = false")
    organiser.click("form[action$='/publish'] button")
    assert found.group(1) in organiser.inner_text(".flash-error")
    assert "草稿" in organiser.inner_text("h2 .tag")

    # The organiser moves the opening past the first allowed date and publishes.
    opens = (clock.now + timedelta(days=16)).astimezone(SHANGHAI).replace(hour=9, minute=0)
    organiser.fill("#a-opens_at", local_input(opens))
    organiser.fill("#a-closes_at", local_input(opens + timedelta(days=7)))
    organiser.click("form:has(#a-opens_at) button")
    assert organiser.locator("form[action$='/publish'] button").is_enabled()
    organiser.click("form[action$='/publish'] button")
    assert "第 1 版公告已发布" in organiser.inner_text(".flash-success")

    # -- everyone reads the notice; its PDF is a real, printable PDF -----------------------------
    signin_owner(li, base)
    li.click("a:text('阅读公告')")
    li.wait_for_url(f"**/p/{world.slug}/a/{assembly_id}")
    notice = li.inner_text("main")
    for text in (
        TITLES["statute"],
        TITLES["election"],
        TITLES["firm"],
        "李四",
        "杭州安居物业服务有限公司",
        "管理规约修订稿.pdf",
        "安居物业投标文件.pdf",
    ):
        assert text in notice, text
    assert "张三" not in li.inner_text(f"section:has(h2:text('{TITLES['election']}'))")  # rejected: not on the ballot
    assert opens.strftime("%Y-%m-%d %H:%M") in notice
    shots(li, "notice")
    with li.expect_download() as download:
        li.click("a[href$='notice.pdf']")
    pdf = tmp_path / "notice.pdf"
    download.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF-")
    assert download.value.suggested_filename.endswith("-v1.pdf")
    text = pdf_text(pdf)
    assert "2026年第一次业主大会" in text
    assert TITLES["firm"] in text
    png = pdf_pages(pdf, tmp_path / "notice-page")
    assert png
    assert png[0].stat().st_size > 10_000

    # -- an edit after publication needs a new version; the public page says what changed -------
    organiser.goto(statute_url)
    organiser.fill("#i-text", "第十二条修改为：装修施工时间为每日八时至十二时、十四时至十八时。")
    organiser.click("form:has(#i-text) button")
    organiser.goto(assembly_url)
    assert "公告发布后议程有变动。请发布新版本" in organiser.inner_text("main")
    organiser.click("form[action$='/publish'] button:text('发布新版本')")
    assert "第 2 版公告已发布" in organiser.inner_text(".flash-success")

    li.goto(f"{base}/p/{world.slug}/a/{assembly_id}")
    assert "第 2 版" in li.inner_text("main")
    versions = li.inner_text("section:has(h2:text('本公告的各个版本'))")
    assert f"事项“{TITLES['statute']}”的说明改变" in versions
    li.click("a:text-is('第 1 版')")
    assert "旧版本" in li.inner_text("main")
    for page in (zhang, li, organiser, supervisor):
        assert page.errors == [], page.errors
