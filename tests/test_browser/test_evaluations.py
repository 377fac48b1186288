"""Owners evaluate their firm anonymously, in Chromium at phone size and in Chinese (issue 20): the
platform admin registers the firm and publishes a form from the staff menu, an organiser opens an
evaluation from the estate's menu, two owners answer on their phones one item per screen (each
phone gets its blind token signed in, then sends the answer in a request without a cookie), the
organiser publishes the result after the period, and an owner's phone finds its answer counted."""

from __future__ import annotations

import copy
import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from crypto import evaluation as fmt
from tests.test_browser.assembly_world import PASSWORD, local_input, relogin
from tests.test_browser.net import check_again, new_page, staff_login

pytestmark = pytest.mark.browser

USCC = "91350100M000100Y43"
FORM = {
    "code": "browser-test",
    "title": "物业服务满意度测评（简表）",
    "scales": {
        "satisfaction": {
            "kind": "choice",
            "choices": [
                {"id": "satisfied", "label": "满意", "points": 100},
                {"id": "basic", "label": "基本满意", "points": 60},
                {"id": "dissatisfied", "label": "不满意", "points": 0},
            ],
        },
        "score": {"kind": "score", "min": 0, "max": 10},
    },
    "sections": [
        {
            "id": "cleaning",
            "title": "保洁",
            "items": [
                {"id": "stairs", "text": "楼道、扶手每日清洁", "scale": "satisfaction", "weight": 3000},
                {"id": "bins", "text": "垃圾分类收运及时", "scale": "satisfaction", "weight": 2000},
            ],
        },
        {"id": "security", "title": "秩序维护", "items": [{"id": "gate", "text": "门岗值守、访客登记", "scale": "score", "weight": 3000}]},
        {
            "id": "service",
            "title": "客户服务",
            "items": [{"id": "repairs", "text": "报修响应及时", "scale": "satisfaction", "weight": 2000}],
        },
    ],
}


def answer(page, base: str, picks: list[str], comment: str, shot=None) -> str:
    """From the owner's page: one item per screen, the comment, send; returns the answer's code."""
    fill_and_send(page, base, picks, comment, shot)
    page.wait_for_selector("#token-id")
    # Before the result is published nothing shows the answer counted: the page says what is true.
    assert page.inner_text("#evaluation [role=status]") == "服务器已收到并保存您的答卷，测评结束时计入结果。"
    return page.inner_text("#token-id")


def fill_and_send(page, base: str, picks: list[str], comment: str, shot=None) -> None:
    fill(page, base, picks, comment, shot)
    page.click("#evaluation button:text('确认提交')")


def fill(page, base: str, picks: list[str], comment: str, shot=None) -> None:
    """From the owner's page: one item per screen, the comment, then the review (nothing sent)."""
    page.goto(f"{base}/me")
    page.click("a:text('立即测评（匿名）')")
    page.wait_for_selector("#evaluation fieldset")
    for n, pick in enumerate(picks):  # one item per screen: choosing moves on to the next
        assert f"第 {n + 1} 项，共 {len(picks)} 项" in page.inner_text("#evaluation p.muted")
        if shot and n == 0:
            shot(page, "evaluation-item")
        if pick == "跳过":
            page.click("#evaluation button:text('跳过')")
        else:
            page.get_by_label(pick, exact=True).click()
    page.fill("#comment", comment)
    page.click("#evaluation button:text('核对答卷')")
    page.wait_for_selector("#review-list")


def test_owners_evaluate_the_firm_anonymously_on_their_phones_and_find_their_answer_counted(browser, assembly_world, clock, live, shots):
    from webapp.auth.operations import create_staff
    from webapp.core.db import db
    from webapp.evaluations.models import Evaluation, EvaluationAnswer

    world, base = assembly_world, assembly_world.base
    with live.app_context():
        admin = create_staff(f"admin-ev-{world.slug}", "区住建局 周建国", PASSWORD, admin=True, actor="test").username
        db.session.commit()

    # The platform admin: the firm register and the form, from the staff menu.
    context, desk = new_page(browser)
    world.contexts.append(context)
    staff_login(desk, base, admin)
    desk.click("header nav a:text('物业企业')")
    desk.fill("#name", "海晨物业服务有限公司")
    desk.fill("#uscc", USCC)
    desk.click("form button:text('登记企业')")
    desk.wait_for_selector("h1:text('海晨物业服务有限公司')")
    desk.select_option("#estate", label=world.name)
    desk.fill("#since", "2026-01-01")
    desk.click("form button:text('登记')")
    assert world.name in desk.inner_text("main")
    desk.click("header nav a:text('测评表')")
    desk.fill("#definition", json.dumps(FORM, ensure_ascii=False))
    desk.click("form button:text('发布并签名')")
    assert "物业服务满意度测评（简表）" in desk.inner_text("main")

    # An organiser opens the evaluation from the estate's menu.
    organiser = world.staff_page(browser, "organiser")
    organiser.goto(f"{base}/e/{world.slug}/")
    organiser.click("nav.tabs a:text('业主测评')")
    assert "服务企业：海晨物业服务有限公司" in organiser.inner_text("main")
    organiser.select_option("#form_id", label=f"{FORM['title']} (v1)")  # (other tests publish forms too)
    organiser.fill("#title", "2026年上半年物业服务满意度测评")
    organiser.fill("#opens", local_input(clock.now))
    organiser.fill("#closes", local_input(clock.now + timedelta(days=7)))
    organiser.fill("#min_answers", "2")
    organiser.click("form button:text('发起测评')")
    organiser.wait_for_selector("h2:has-text('2026年上半年物业服务满意度测评')")
    assert "进行中" in organiser.inner_text("main")
    assert "已发凭证：0" in organiser.inner_text("main")
    shots(organiser, "evaluation-opened")

    # Two owners answer on their phones; the answer leaves without a cookie.
    sent = []
    zhang = world.owner_phone(browser, "1-101")
    zhang.on("request", lambda r: sent.append(r) if "/answers" in r.url else None)
    code = answer(zhang, base, ["满意", "基本满意", "8", "跳过"], "楼道灯坏了两周才修好。", shot=shots)
    shots(zhang, "evaluation-counted")
    assert len(sent) == 1
    assert "cookie" not in sent[0].all_headers()
    # 李四's connection drops as the answer leaves: the phone keeps it and, even after a reload
    # (the household has its token by then), sends it again: nothing is lost.
    li = world.owner_phone(browser, "1-102")
    answers_url = "**/api/v1/evaluations/*/answers"
    li.route(answers_url, lambda route, _request: route.abort())
    fill_and_send(li, base, ["不满意", "满意", "6", "基本满意"], "希望门岗夜间也登记访客。")
    li.wait_for_selector("#evaluation .flash-error")
    assert "网络连接中断。本手机已保存您的答卷" in li.inner_text("#evaluation")
    li.unroute(answers_url)
    li.reload()
    assert "本手机保存了一份尚未送出的答卷" in li.inner_text("#evaluation")
    li.click("#evaluation button:text('再发送一次')")
    li.wait_for_selector("#token-id")
    other = li.inner_text("#token-id")
    assert code != other
    li.errors[:] = [e for e in li.errors if "ERR_FAILED" not in e]  # (the connection dropped on purpose)

    # The household took its token; it cannot take another, and nothing links it to its answer.
    zhang.goto(f"{base}/me")
    assert "您这一户已领取本次测评的凭证" in zhang.inner_text("#evaluations")
    with live.app_context():
        opened = db.session.scalars(select(Evaluation).order_by(Evaluation.id.desc())).first().id
    # From My page, the way back to the code this phone kept (the owner may not have copied it).
    zhang.click(f"#evaluations a[href$='/o/evaluations/{opened}']:text('查看答卷码')")  # (other tests open evaluations too)
    zhang.wait_for_selector("#evaluation-kept:not([hidden])")
    assert code in zhang.inner_text("#evaluation-kept")
    # What the page says is what this phone knows: the server saved the answer (it kept the code
    # only then); a phone that holds nothing of it says where the code is instead.
    assert "服务器已收到并保存您的答卷" in zhang.inner_text("#evaluation-kept")
    kept = zhang.evaluate(
        "() => { const kept = {}; for (const k of Object.keys(localStorage)) if (k.startsWith('ownersvote-evaluation-')) "
        "{ kept[k] = localStorage.getItem(k); localStorage.removeItem(k); } return kept; }"
    )
    zhang.reload()
    zhang.wait_for_selector("#evaluation-kept:not([hidden])")
    elsewhere = zhang.inner_text("#evaluation-kept")
    assert "这部手机上没有您这一户答卷的记录" in elsewhere
    assert code not in elsewhere
    zhang.evaluate("(kept) => { for (const [k, v] of Object.entries(kept)) localStorage.setItem(k, v); }", kept)
    check_again(zhang)
    with live.app_context():
        evaluation = db.session.scalars(select(Evaluation).order_by(Evaluation.id.desc())).first()
        assert evaluation.issued == 2
        assert (
            db.session.scalar(select(func.count()).select_from(EvaluationAnswer).where(EvaluationAnswer.evaluation_id == evaluation.id))
            == 2
        )
        evaluation_id, closes = evaluation.id, evaluation.closes

    # After the period the organiser publishes the result; the owner's phone finds its answer.
    clock.at(closes + timedelta(minutes=1))
    relogin(organiser, base, world.users["organiser"])
    organiser.goto(f"{base}/e/{world.slug}/evaluations/{evaluation_id}")
    organiser.click("form button:text('公示结果')")
    organiser.click("a:text('已公布的结果')")
    assert "已发凭证 2 个，收到答卷 2 份" in organiser.inner_text("main")
    zhang.goto(f"{base}/evaluations/{evaluation_id}/result")
    zhang.wait_for_selector("#evaluation-mine:not([hidden])")
    assert "您的答卷已计入" in zhang.inner_text("#evaluation-mine")
    shots(zhang, "evaluation-found", max_height=2 * 844)
    result = json.loads(zhang.evaluate(f"fetch('/evaluations/{evaluation_id}/result.json').then(r => r.text())"))
    assert fmt.verify_result(result)["answers"] == 2
    assert result["counts"]["items"]["stairs"]["choices"] == {"satisfied": 1, "basic": 0, "dissatisfied": 1}
    assert result["counts"]["items"]["repairs"] == {"answered": 1, "suppressed": True}
    # The phone recounts the published result itself (a second implementation of the token check
    # and the count), and says so; fed a result whose counts were changed, it says it disagrees.
    zhang.wait_for_selector("#evaluation-recount[data-verdict]")
    assert zhang.get_attribute("#evaluation-recount", "data-verdict") == "ok", zhang.inner_text("#evaluation-recount")
    comments = zhang.text_content("#evaluation-comments")  # published as written, as the answer page said
    assert "楼道灯坏了两周才修好。" in comments
    assert "希望门岗夜间也登记访客。" in comments
    assert "已在您的浏览器中重新计数：2 份答卷" in zhang.inner_text("#evaluation-recount")
    for change, said in (
        (lambda r: r["counts"]["items"]["stairs"]["choices"].update(satisfied=2, dissatisfied=0), "the published counts do not follow"),
        (lambda r: r["answers"].append(r["answers"][0]), "a token counted twice"),
    ):
        forged = copy.deepcopy(result)
        change(forged)
        body = json.dumps(forged)
        zhang.route(
            f"**/evaluations/{evaluation_id}/result.json",
            lambda route, _request, body=body: route.fulfill(body=body, content_type="application/json"),
        )
        zhang.reload()
        zhang.wait_for_selector("#evaluation-recount[data-verdict]")
        assert zhang.get_attribute("#evaluation-recount", "data-verdict") == "bad"
        assert said in zhang.inner_text("#evaluation-recount")
        zhang.unroute(f"**/evaluations/{evaluation_id}/result.json")
    for page in (desk, organiser, zhang, li):
        assert page.errors == []


def test_the_owner_copies_the_answers_code_with_one_tap_where_it_is_shown(browser, assembly_world, clock, live):
    """The 64-character code of the answer, on the page that sent it and on the page that
    shows it again later, has a copy button: the code lands on the phone's clipboard and the
    page says 已复制."""
    world, base = assembly_world, assembly_world.base
    evaluation_id = open_evaluation(world, clock, live, "copy", "复制答卷码测评")

    zhang = world.owner_phone(browser, "1-101")
    zhang.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
    code = answer(zhang, base, ["满意", "满意", "9", "满意"], "")
    assert len(code) == 64
    zhang.click("#evaluation button:text('复制答卷码')")
    zhang.wait_for_selector("#evaluation :text('已复制')")
    assert zhang.evaluate("navigator.clipboard.readText()") == code
    check_again(zhang)

    zhang.evaluate("navigator.clipboard.writeText('')")
    zhang.goto(f"{base}/o/evaluations/{evaluation_id}")
    zhang.wait_for_selector("#evaluation-kept:not([hidden])")
    zhang.click("#evaluation-kept button:text('复制答卷码')")
    zhang.wait_for_selector("#evaluation-kept :text('已复制')")
    assert zhang.evaluate("navigator.clipboard.readText()") == code
    check_again(zhang)
    assert zhang.errors == []


def open_evaluation(world, clock, live, code: str, title: str, min_answers: int = 2) -> int:
    """The estate's firm registered and an evaluation of it open for a week, made in the
    database (the staff's pages are walked in the first test); returns its id."""
    import random

    from webapp.core.db import db
    from webapp.core.serverkey import signer
    from webapp.demo.registry import uscc
    from webapp.evaluations import operations as evaluations
    from webapp.firms.operations import assign_estate, create_firm

    with live.app_context():
        estate = world.estate()
        firm = create_firm(name=f"{world.name}物业服务有限公司", uscc=uscc(random.Random(f"{code}-{world.slug}")), actor="test")
        assign_estate(firm, estate, clock.now.date() - timedelta(days=30), actor="test")
        form = evaluations.publish_form({**copy.deepcopy(FORM), "code": f"{code}-{world.slug}"}, signer=signer(), actor="test")
        opened = evaluations.open_evaluation(
            estate, form, title=title, opens=clock.now - timedelta(minutes=1), closes=clock.now + timedelta(days=7),
            min_answers=min_answers, actor="test",
        )  # fmt: skip
        db.session.commit()
        return opened.id


def test_the_owner_reads_every_answer_in_chinese_and_only_confirming_sends_it(browser, assembly_world, clock, live, shots):
    """After the comment, the owner sees each question with the answer given, in Chinese (the
    item left unanswered named as such), and two buttons: 确认提交 sends, 返回修改 goes back
    with every answer kept (a reload keeps them too); nothing leaves the phone before the
    confirmation, and what is counted is what the review showed, changed once."""
    import re

    from crypto.encoding import b64url_decode
    from webapp.core.db import db
    from webapp.evaluations.models import EvaluationAnswer

    world, base = assembly_world, assembly_world.base
    evaluation_id = open_evaluation(world, clock, live, "review", "核对答卷测评")
    zhang = world.owner_phone(browser, "1-101")
    sent = []
    zhang.on("request", lambda r: sent.append(r.url) if r.method == "POST" and "/evaluations/" in r.url else None)

    fill(zhang, base, ["满意", "跳过", "8", "基本满意"], "电梯按钮不灵。")
    assert sent == []  # the review is on the phone only: no token asked for, no answer sent
    review = zhang.inner_text("#evaluation")
    assert "提交前请核对您的答卷" in review
    rows = zhang.locator("#review-list li").all_inner_texts()
    assert [" ".join(r.split()) for r in rows] == [
        "1. 保洁 · 楼道、扶手每日清洁 满意 修改",
        "2. 保洁 · 垃圾分类收运及时 未作答 修改",
        "3. 秩序维护 · 门岗值守、访客登记 8 分（0–10 分） 修改",
        "4. 客户服务 · 报修响应及时 基本满意 修改",
        "意见（选填） 电梯按钮不灵。 修改",
    ]
    assert "有 1 项未作答" in zhang.inner_text("#review-blank")
    assert zhang.locator("#evaluation .ballot-nav button").all_inner_texts() == ["确认提交", "返回修改"]
    assert re.search("[A-Za-z]", review) is None  # no English on the Chinese page
    buttons = zhang.locator("#evaluation button")
    assert buttons.count() == 7  # a 修改 for each row, then the two
    for box in (buttons.nth(i).bounding_box() for i in range(buttons.count())):
        assert box["height"] >= 44
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= 390
    check_again(zhang)  # the review fits the phone and passes axe
    shots(zhang, "evaluation-review")

    # A reload (or the phone's back button and forward again) keeps the answers in this tab.
    zhang.reload()
    zhang.wait_for_selector("#review-list")
    assert (
        " ".join(zhang.locator("#review-list li").all_inner_texts()[2].split()) == "3. 秩序维护 · 门岗值守、访客登记 8 分（0–10 分） 修改"
    )

    # 返回修改: back at the first item with its answer chosen; the owner moves on without
    # choosing again, answers the item left blank and goes straight back to the review.
    zhang.click("#evaluation button:text('返回修改')")
    zhang.wait_for_selector("#evaluation fieldset")
    assert zhang.is_checked("#evaluation input[id='c-stairs-satisfied']")
    zhang.click("#evaluation button:text('下一页')")
    assert "第 2 项，共 4 项" in zhang.inner_text("#evaluation p.muted")
    zhang.get_by_label("不满意", exact=True).click()
    assert zhang.is_checked("#evaluation input[id='c-gate-8']")
    zhang.click("#evaluation button:text('返回核对答卷')")
    zhang.wait_for_selector("#review-list")
    rows = [" ".join(r.split()) for r in zhang.locator("#review-list li").all_inner_texts()]
    assert rows[1] == "2. 保洁 · 垃圾分类收运及时 不满意 修改"
    assert rows[4] == "意见（选填） 电梯按钮不灵。 修改"
    assert zhang.locator("#review-blank").count() == 0

    # A row's 修改 opens that one item, its answer chosen; the new choice leads straight back.
    zhang.get_by_role("button", name="修改这一项的选择：门岗值守、访客登记").click()
    assert "第 3 项，共 4 项" in zhang.inner_text("#evaluation p.muted")
    assert zhang.is_checked("#evaluation input[id='c-gate-8']")
    zhang.get_by_label("9", exact=True).click()
    zhang.wait_for_selector("#review-list")
    assert (
        " ".join(zhang.locator("#review-list li").all_inner_texts()[2].split()) == "3. 秩序维护 · 门岗值守、访客登记 9 分（0–10 分） 修改"
    )
    zhang.get_by_role("button", name="修改这一项的选择：报修响应及时").click()
    assert zhang.is_checked("#evaluation input[id='c-repairs-basic']")
    zhang.get_by_label("满意", exact=True).click()
    zhang.wait_for_selector("#review-list")
    assert " ".join(zhang.locator("#review-list li").all_inner_texts()[3].split()) == "4. 客户服务 · 报修响应及时 满意 修改"
    assert sent == []

    zhang.click("#evaluation button:text('确认提交')")
    zhang.wait_for_selector("#token-id")
    assert len([u for u in sent if u.endswith("/answers")]) == 1
    with live.app_context():
        stored = db.session.scalars(select(EvaluationAnswer).where(EvaluationAnswer.evaluation_id == evaluation_id)).one()
        message = json.loads(b64url_decode(stored.message))
    assert message["answers"] == {"stairs": "satisfied", "bins": "dissatisfied", "gate": 9, "repairs": "satisfied"}
    assert message["comment"] == "电梯按钮不灵。"
    assert zhang.errors == []


def test_the_answers_code_is_shown_in_groups_with_its_use_and_found_when_pasted_with_or_without_spaces(
    browser, assembly_world, clock, live, shots
):
    """After sending, the 64-character code stands in sixteen groups of four, four to a line
    within the phone's width, with a copy button and, in Chinese, what it is for and where it is
    checked; the groups are not spaces, so the copy is the exact code. On the published result
    the page's own check finds it pasted bare or as the phone grouped it."""
    import re

    from webapp.core.db import db
    from webapp.core.serverkey import signer
    from webapp.evaluations import operations as evaluations
    from webapp.evaluations.models import Evaluation

    world, base = assembly_world, assembly_world.base
    evaluation_id = open_evaluation(world, clock, live, "grouped", "答卷码分组测评", min_answers=1)
    zhang = world.owner_phone(browser, "1-101")
    zhang.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
    code = answer(zhang, base, ["满意", "基本满意", "7", "满意"], "")
    assert re.fullmatch("[0-9a-f]{64}", code)  # what a selection of the code copies: no spaces
    groups = zhang.locator("#token-id span")
    assert groups.all_inner_texts() == [code[i : i + 4] for i in range(0, 64, 4)]
    boxes = [groups.nth(i).bounding_box() for i in range(16)]
    assert all(b["x"] >= 0 and b["x"] + b["width"] <= 390 for b in boxes)
    assert len({round(b["y"]) for b in boxes}) == 4  # four lines of four groups
    assert zhang.evaluate("getComputedStyle(document.getElementById('token-id')).fontFamily").startswith("ui-monospace")
    said = zhang.inner_text("#evaluation")
    assert "您的答卷码（共 64 个字符）" in said
    assert "打开「已公布的结果」，把答卷码粘贴到「查找我的答卷码」里（带不带空格都可以）" in said
    assert re.search("[A-Za-z]", said.replace(code, "")) is None  # no English on the Chinese page
    copy_button = zhang.locator("#evaluation button:text('复制答卷码')")
    assert copy_button.bounding_box()["height"] >= 44
    copy_button.click()
    zhang.wait_for_selector("#evaluation :text('已复制')")
    assert zhang.evaluate("navigator.clipboard.readText()") == code
    check_again(zhang)
    shots(zhang, "evaluation-code")

    # The result published, the owner pastes the code into the result page's search: as the
    # phone grouped it (typed from the screen, say), as the copy button gave it, from a Chinese
    # keyboard or a note. The search runs on the phone: no request carries the code.
    with live.app_context():
        evaluation = db.session.get(Evaluation, evaluation_id)
        clock.at(evaluation.closes + timedelta(minutes=1))
        evaluations.publish_result(evaluation, signer=signer(), actor="test", now=clock.now)
        db.session.commit()
    zhang.goto(f"{base}/evaluations/{evaluation_id}/result")
    asked = []
    zhang.on("request", lambda r: asked.append(r.url + (r.post_data or "")))

    def search(pasted: str) -> str:
        zhang.fill("#find-code", pasted)
        zhang.click("#find button:text('查找')")
        zhang.wait_for_selector("#find-result:not([hidden])")
        return zhang.inner_text("#find-result")

    for pasted in (
        " ".join(code[i : i + 4] for i in range(0, 64, 4)),
        code,
        "\u3000".join(code[i : i + 8] for i in range(0, 64, 8)).upper() + "\n",
        "-".join(code[i : i + 4] for i in range(0, 64, 4)),
    ):
        assert "找到了：这个答卷码在已计入的答卷中" in search(pasted)
        assert "".join(zhang.locator("#find-result code span").all_inner_texts()) == code
    check_again(zhang)
    shots(zhang, "evaluation-code-found")
    other = "0" * 64 if code != "0" * 64 else "1" * 64
    assert "本次测评已计入的答卷中没有这个答卷码" in search(other)
    assert "去掉空格后是 60 个字符" in search(code[:60])
    assert "请先粘贴答卷码" in search("  ")
    assert not [url for url in asked if code[:16] in url.lower() or other[:16] in url]
    assert zhang.errors == []
