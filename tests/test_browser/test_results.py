"""An assembly from its notice to its archive in Chromium at phone size: the roll signed in the
supervisors' browsers, owners voting on their phones, the close, the tally, a certification by
each of two supervisors in their own browser (the in-browser verifier first, then the key that
browser made), publication, an objection and its answer, the archive; the public results page,
and an owner proving that the ballot is in the final tree head."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest

from crypto.verify import verify_bundle
from tests.test_browser.assembly_world import (
    BIDDERS,
    TITLES,
    announce,
    closing,
    job_done,
    opening,
    pdf_text,
    phone_outside_the_browser,
    relogin,
    signin_owner,
    vote_outside_the_browser,
)
from tests.test_browser.net import check_again

pytestmark = pytest.mark.browser


def vote(page, base: str, marks: dict[str, list[str]]) -> str:
    """An owner votes from their page; returns the receipt's tracking code."""
    signin_owner(page, base)
    page.click("a:text('立即投票')")
    page.wait_for_selector("#ballot")
    steps = page.locator("fieldset[data-item]")
    for n in range(steps.count()):  # one item per screen, in order
        step = steps.nth(n)
        for label in marks.get(step.get_attribute("data-title"), []):
            step.locator(f"label:has-text('{label}') input").first.check()
        step.locator("[data-step=next]").click()
    page.wait_for_selector("#review:not([hidden])")
    page.click("[data-step=sign]")
    page.wait_for_url("**/receipt/*")
    page.wait_for_selector("#receipt-check.flash-success")
    return page.inner_text("p.code")


def test_an_assembly_runs_from_notice_to_archive_and_an_owner_proves_the_ballot_is_in_the_final_tree_head(
    browser, assembly_world, clock, pdftools, shots, tmp_path
):
    world, base = assembly_world, assembly_world.base
    world.set_rules(roll_signatures_required=2, tally_signatures_required=2)
    assembly_id = announce(world, clock)
    manage = f"{base}/e/{world.slug}/assemblies/{assembly_id}/results"

    zhang = world.owner_phone(browser, "1-101")
    li = world.owner_phone(browser, "1-102")
    others = {label: phone_outside_the_browser(world, label) for label in ("1-201", "1-202", "2-101", "2-102")}

    # Each supervisor makes a signing key in their own browser; the roll is frozen for the
    # assembly and signed in both browsers.
    supervisors = {}
    for who in ("supervisor", "supervisor2"):
        page = supervisors[who] = world.staff_page(browser, who)
        page.goto(f"{base}/staff/keys")
        with page.expect_navigation():
            page.click("[data-action=register-key]")
        assert page.locator("table code").count() == 1
    first, second = supervisors["supervisor"], supervisors["supervisor2"]
    first.goto(f"{base}/e/{world.slug}/roll")
    first.select_option("#assembly", label="2026年第一次业主大会")
    first.click("form button.primary")
    first.wait_for_url("**/roll/1/sign")
    for page in (first, second):
        page.goto(f"{base}/e/{world.slug}/roll/1/sign")
        page.wait_for_selector("#roll-check.flash-success")
        check_again(page)
        page.click("[data-action=sign-roll]")
        page.wait_for_url("**/p/**/roll/1")

    # Voting: two owners on their phones, four more elsewhere.
    clock.at(opening(world, assembly_id) + timedelta(hours=1))
    code = vote(zhang, base, {TITLES["statute"]: ["同意"], TITLES["election"]: ["陈静", "刘洋"], TITLES["firm"]: [BIDDERS[0][0]]})
    vote(li, base, {TITLES["statute"]: ["同意"], TITLES["election"]: ["陈静"], TITLES["firm"]: [BIDDERS[1][0]]})
    with li.expect_download() as download:  # 李四 keeps the receipt as a file
        li.click("a:text('下载回执')")
    receipt_file = tmp_path / download.value.suggested_filename
    download.value.save_as(receipt_file)
    for n, signer in enumerate(others.values()):
        vote_outside_the_browser(
            world,
            assembly_id,
            signer,
            {
                TITLES["statute"]: "agree" if n < 3 else "disagree",
                TITLES["election"]: ["陈静（2-101）", "周敏（2-201）"],
                TITLES["firm"]: BIDDERS[0][0],
            },
        )

    # After the close, the organiser computes the tally.
    clock.at(closing(world, assembly_id) + timedelta(minutes=5))
    organiser = world.staff_page(browser, "organiser")
    organiser.goto(f"{base}/e/{world.slug}/assemblies/{assembly_id}")
    assert "投票已结束" in organiser.inner_text("h2 .tag")
    organiser.click("nav.actions a:text('表决结果')")
    organiser.wait_for_url(manage)
    organiser.click("button:text('计票')")  # a background job, watched on its page
    assert "计票完成：6 张选票" in job_done(organiser)
    organiser.click("a:text('返回本次会议的表决结果')")
    organiser.wait_for_url(manage)

    # Each supervisor checks the bundle in their own browser and signs with that browser's key.
    for n, (who, page) in enumerate(supervisors.items(), start=1):
        relogin(page, base, world.users[who])
        page.goto(manage)
        page.click("a:text('核验并核证')")
        page.wait_for_url("**/certify")
        page.wait_for_selector("#cert-summary.flash-success", timeout=60_000)
        assert page.inner_text("#cert-summary") == "所有核验均已在本浏览器中通过。"
        check_again(page)  # with the verifier's report unfolded
        report = page.inner_text("#cert-report")
        assert "6 ballots (6 online, 0 paper)" in report, report
        if n == 1:
            shots(page, "certify")
        page.check("#not-voted")
        page.click("[data-action=certify]")
        page.wait_for_url(manage)
        assert "您已核证" in page.inner_text("main")
        assert f"已有 {n} 个，共需 2 个" in page.inner_text("main")
        assert page.errors == [], page.errors

    organiser.reload()
    assert "已核证" in organiser.inner_text("p.muted .tag")
    organiser.click("button:text('公示结果')")
    assert "结果已公示" in job_done(organiser)

    # The public results page, read on an owner's phone.
    signin_owner(li, base)
    assert "表决结果公示：2026年第一次业主大会" in li.inner_text("#notices")  # told on the owner's page
    shots(li, "me-notices")
    li.click("a:text-is('表决结果')")
    li.wait_for_url(f"**/p/{world.slug}/a/{assembly_id}/results")
    page_text = li.inner_text("main")
    assert "共收到表决票 6 张" in page_text
    assert "全体业主：专有部分面积 832.50 平方米，8 人。" in page_text
    assert "核证监督员：居委会 王敏、街道办 陈立新" in page_text or "核证监督员：街道办 陈立新、居委会 王敏" in page_text
    statute = li.inner_text(f"section.result:has(h2:text('{TITLES['statute']}'))")
    assert "通过" in statute
    assert "未通过" not in statute
    election = li.inner_text(f"section.result:has(h2:text('{TITLES['election']}'))")
    assert re.search(r"陈静（2-101）\s*当选", election), election
    firm = li.inner_text(f"section.result:has(h2:text('{TITLES['firm']}'))")
    assert re.search(rf"{BIDDERS[0][0]}\s*中选", firm), firm
    assert "607.10" in li.inner_text(f"section.result:has(h2:text('{TITLES['statute']}'))")  # the area that took part
    shots(li, "results")
    # The owner checks the published result on the phone itself (the independent verifier).
    li.click("#check-result button:text-is('在本机核验')")
    li.wait_for_selector("#rv-summary.flash-success", timeout=60_000)
    assert "本页的数字就是监督员核证的结果" in li.inner_text("#rv-summary")
    assert "VERIFIED" in li.text_content("#rv-report")
    assert li.locator("#check-result button").is_enabled()  # done: it may be run again
    with li.expect_download() as download:
        li.click("a:text('结果公告（PDF）')")
    announcement = tmp_path / "announcement.pdf"
    download.value.save_as(announcement)
    assert announcement.read_bytes().startswith(b"%PDF-")
    assert TITLES["statute"] in pdf_text(announcement)

    # An owner objects; a supervisor answers in writing; the organiser archives after the period.
    li.click("#file-objection")
    li.fill("#text", "1号楼有邻居说没有收到纸质表决票，请核实。")
    li.click("button:text('提交异议')")
    assert "您的异议已提交" in li.inner_text(".flash-success")
    first.goto(manage)
    first.fill("textarea[name=answer]", "已核实：1号楼各户均已送达告知书，纸质表决票可随时到物业服务中心领取。")
    first.click("button:text('公布答复')")
    assert "答复已公布" in first.inner_text(".flash-success")

    organiser.goto(manage)
    organiser.click("button:text-is('归档')")
    assert "公示期到" in organiser.inner_text(".flash-error")  # not before the period ends
    clock.later(days=8)
    relogin(organiser, base, world.users["organiser"])
    organiser.goto(manage)
    organiser.click("button:text-is('归档')")
    assert "业主大会已归档" in organiser.inner_text(".flash-success")
    assert "已归档" in organiser.inner_text("p.muted .tag")

    li.goto(f"{base}/p/{world.slug}/a/{assembly_id}/results")
    objections = li.inner_text("#objections")
    assert "没有收到纸质表决票" in objections
    assert "已核实" in objections

    # 张三 checks the receipt with its tracking code: it is in the final tree head.
    zhang.goto(f"{base}/p/{world.slug}/a/{assembly_id}/results")
    zhang.click("a:text('核对我的回执')")
    zhang.wait_for_url("**/check")
    zhang.fill("#code", code)
    zhang.click("form button.primary")
    verdict = zhang.inner_text("p.flash-success")
    assert "您的表决票在公开的投票记录里" in verdict
    assert "已计入投票截止时签名的最终投票记录" in verdict
    assert "✘" not in zhang.inner_text("main")
    shots(zhang, "check-receipt")
    # 李四 uploads the receipt file instead: its signature, its promise, its place, the log's
    # consistency, and the promise kept (the batch was in before the deadline).
    li.goto(f"{base}/p/{world.slug}/a/{assembly_id}/check")
    li.set_input_files("#file", str(receipt_file))
    li.click("form button.primary")
    steps = li.locator("ul.list li").all_inner_texts()
    assert "已计入投票截止时签名的最终投票记录" in li.inner_text("p.flash-success"), steps
    assert len(steps) == 6, steps
    assert all(step.startswith("✔") for step in steps), steps
    assert "服务器守约" in steps[-1], steps

    # Anyone can check it all offline: the public bundle, with the receipt and its promise, verifies.
    bundle = li.request.get(f"{base}/p/{world.slug}/a/{assembly_id}/bundle.json").json()
    kept = json.loads(receipt_file.read_text())
    assert kept["v"] == 3
    report = verify_bundle(bundle, [("李四", kept), ("李四's promise", kept["promise"])])
    assert report.ok, report.failures
    assert report.facts["promises"] == [kept["code"]] * 2
    for page in (zhang, li, organiser, first, second):
        assert page.errors == [], page.errors
