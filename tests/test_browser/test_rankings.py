"""The district publishes a ranking of firms (红黑榜), in Chromium at phone size and in Chinese: the
platform admin publishes a rule from the staff menu, ranks a period, watches the district job to
its end, and the public page (rendered from the signed bytes after checking them) shows the red
and black lists, every score's derivation, the PDF and the signed JSON."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

import pytest

from crypto import ranking as rk
from tests.factories import district_form
from tests.test_browser.assembly_world import PASSWORD, job_done
from tests.test_browser.net import check_again, new_page, staff_login

pytestmark = pytest.mark.browser

FORM = district_form(code="browser-ranking", title="物业服务满意度测评（排名用）")
ESTATES = [
    (
        "rk-chunhui",
        "春晖苑（排名测试）",
        "91330100MA2H3K7Q42",
        "杭州春晖物业服务有限公司",
        [("satisfied", 10), ("satisfied", 9), ("basic", 9)],
    ),
    (
        "rk-qiushi",
        "秋实苑（排名测试）",
        "91330100MA2KD91L20",
        "杭州秋实物业管理有限公司",
        [("dissatisfied", 2), ("basic", 4), ("dissatisfied", 3)],
    ),
    ("rk-xiahe", "夏荷苑（排名测试）", "91330100MA2B8R3T40", "杭州夏荷物业服务有限公司", [("basic", 7), ("satisfied", 6), ("basic", 7)]),
]
CLOSES = datetime(2026, 9, 20, 4, 0, tzinfo=UTC)


@pytest.fixture
def district(live):
    """Three estates with their firms, each with a published evaluation in the third quarter."""
    from webapp.auth.operations import create_staff
    from webapp.core.db import db
    from webapp.core.serverkey import signer
    from webapp.demo.evaluations import send_answers
    from webapp.estates.operations import create_estate
    from webapp.evaluations import operations as evaluations
    from webapp.firms.operations import assign_estate, create_firm

    with live.app_context():
        form = evaluations.publish_form(copy.deepcopy(FORM), signer=signer(), actor="test")
        for slug, name, uscc, firm_name, answers in ESTATES:
            estate = create_estate(slug, name, actor="test")
            assign_estate(create_firm(name=firm_name, uscc=uscc, actor="test"), estate, date(2025, 1, 1), actor="test")
            evaluation = evaluations.open_evaluation(
                estate, form, title=f"{name}第三季度测评", opens=CLOSES - timedelta(days=14), closes=CLOSES, min_answers=2, actor="test"
            )
            members = [
                SimpleNamespace(id=n, estate_id=estate.id, state="approved", can_vote=True, member_ref=f"owner:{n}") for n in range(3)
            ]
            send_answers(
                evaluation,
                [(m, {"stairs": s, "gate": g}, None) for m, (s, g) in zip(members, answers, strict=True)],
                CLOSES - timedelta(days=1),
            )
            evaluations.publish_result(evaluation, signer=signer(), actor="test", now=CLOSES)
        admin = create_staff("admin-ranking", "区住建局 周建国", PASSWORD, admin=True, actor="test").username
        db.session.commit()
    return admin


def test_the_district_publishes_a_ranking_and_anyone_reads_it_on_a_phone(browser, live, district, shots):
    base = live.base
    context, desk = new_page(browser)
    staff_login(desk, base, district)
    desk.click("header nav a:text('考评排名')")
    desk.click("a:text('考评规则')")
    desk.fill("#code", "district-2026")
    desk.fill("#title", "2026年物业服务考评规则")
    desk.fill("#score_percent", "60")  # 60 + 30: refused with the sum, nothing published
    desk.click("form button:text('发布并签名')")
    assert "各项权重之和须为 100%，现为 90%" in desk.inner_text("main")
    desk.fill("#score_percent", "70")
    desk.click("form button:text('发布并签名')")
    assert "考评规则已发布并签名" in desk.inner_text("main")

    desk.click("header nav a:text('考评排名')")
    desk.fill("#title", "2026年第三季度")
    desk.fill("#start", "2026-07-01")
    desk.fill("#until", "2026-10-01")
    desk.click("form button:text('计算并公布')")
    assert "红榜 1，黑榜 1" in job_done(desk)
    desk.click("a:text('返回考评排名')")
    desk.click("main a:has-text('2026年第三季度')")
    main = desk.inner_text("main")
    assert "已核验" in main
    assert "春晖苑（排名测试）" in desk.inner_text("#band-red")
    assert "秋实苑（排名测试）" in desk.inner_text("#band-black")
    desk.click("#estates details summary >> nth=0")
    assert "业主测评得分" in desk.inner_text("#estates")
    assert "精确得分" not in desk.inner_text("#estates")  # the exact fraction is folded, for whoever checks
    heights = desk.evaluate("() => [...document.querySelectorAll('#estates details summary')].map(s => s.getBoundingClientRect().height)")
    assert len(heights) >= 2
    assert min(heights) >= 44  # each fold a thumb's target
    desk.click("#estates details.exact summary >> nth=0")
    assert "精确得分" in desk.inner_text("#estates")
    shots(desk, "ranking", max_height=3 * 844)
    check_again(desk)

    # Anyone (no login) reads the page; the PDF and the signed JSON are there, and it recomputes.
    public_context, reader = new_page(browser)
    reader.goto(desk.url)
    assert "已核验" in reader.inner_text("main")
    document = reader.evaluate("fetch(document.querySelector('a[href$=\"ranking.json\"]').href).then(r => r.json())")
    assert rk.verify_ranking(document)["red"] == 1
    head = reader.evaluate("fetch(document.querySelector('a[href$=\"ranking.pdf\"]').href).then(r => r.text()).then(t => t.slice(0, 5))")
    assert head == "%PDF-"
    assert desk.errors == []
    assert reader.errors == []
    public_context.close()
    context.close()
