"""The district's pool of firms (优势资源库), in Chromium at phone size and in Chinese: an
organiser adds a bidder to a selection item by picking a firm of the pool (its name and credit
code come from the register), and is told why a firm that has just left the pool cannot be
picked; the estate without a firm marks its interest, the district records the firm's, and both
see the match; anyone reads the pool's public list."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from tests.test_browser.assembly_world import PASSWORD
from tests.test_browser.net import new_page, staff_login
from webapp.demo.registry import uscc

pytestmark = pytest.mark.browser
SHANGHAI = ZoneInfo("Asia/Shanghai")
_runs = iter(range(1, 1000))


@pytest.fixture
def pool_world(live):
    """An estate without a firm (its organiser has a draft with a category-4 selection item), two
    firms of the pool with their contacts, one firm only in the register, and a platform admin."""
    from webapp.assemblies import operations as assemblies
    from webapp.auth.operations import assign_role, create_staff
    from webapp.core.db import db, utcnow
    from webapp.core.roles import Role
    from webapp.estates.operations import create_estate
    from webapp.firms.operations import create_firm
    from webapp.pool import operations as pool

    n = next(_runs)
    rng = random.Random(9000 + n)
    with live.app_context():
        estate = create_estate(f"pool-{n}", f"冬青苑（{n}）", actor="test")
        admin = create_staff(f"admin-pool-{n}", "区住建局 周建国", PASSWORD, admin=True, actor="test")
        organiser = create_staff(f"org-pool-{n}", "冬青苑业主大会筹备组 林晓燕", PASSWORD, actor="test")
        assign_role(organiser, estate, Role.organiser, actor="test")
        firms = [
            create_firm(name=name, uscc=uscc(rng), contact_name=person, contact_phone=phone, actor="test")
            for name, person, phone in (
                (f"浙江绿城物业服务集团有限公司（{n}）", "市场拓展部 沈佳", "0571-8898 6600"),
                (f"杭州滨江物业管理有限公司（{n}）", "项目发展部 周海峰", "13905712866"),
                (f"杭州秋实物业管理有限公司（{n}）", None, None),
            )
        ]
        today = datetime.now(SHANGHAI).date()
        for firm in firms[:2]:
            pool.enter_pool(firm, on=date(2025, 3, 1), reason="经街道推荐、区住建局审核纳入", today=today, actor=admin)
        now = utcnow()
        day = (now.astimezone(SHANGHAI) + timedelta(days=estate.notice_period_days + 14)).date()
        opens = datetime.combine(day, time(9, 0), SHANGHAI)
        assembly = assemblies.create_assembly(
            estate,
            assemblies.AssemblyFields(
                title="选聘物业服务企业业主大会", kind="extraordinary", opens_at=opens, closes_at=opens + timedelta(days=14)
            ),
            actor=organiser,
            now=now,
        )
        item = assemblies.add_item(assembly, "selection", assemblies.ItemFields(category=4, title="选聘物业服务企业"), actor=organiser)
        db.session.commit()
        return SimpleNamespace(
            slug=estate.slug,
            estate_name=estate.name,
            admin=admin.username,
            admin_id=admin.id,
            organiser=organiser.username,
            firms=[(f.id, f.name, f.uscc) for f in firms],
            item_url=f"/e/{estate.slug}/assemblies/{assembly.id}/items/{item.id}",
            assembly_url=f"/e/{estate.slug}/assemblies/{assembly.id}",
        )


def leave_pool(live, world, index: int) -> None:
    """The district takes a firm out of the pool (while the organiser's page is open)."""
    from webapp.auth.models import StaffUser
    from webapp.core.db import db
    from webapp.firms.models import Firm
    from webapp.pool import operations as pool

    with live.app_context():
        firm = db.session.get(Firm, world.firms[index][0])
        today = datetime.now(SHANGHAI).date()
        pool.leave_pool(firm, on=today, reason="企业申请退出", today=today, actor=db.session.get(StaffUser, world.admin_id))
        db.session.commit()


def test_an_organiser_adds_a_bidder_from_the_pool_on_a_phone(browser, live, pool_world, shots):
    world, base = pool_world, live.base
    (_, lvcheng, lvcheng_uscc), (_, binjiang, _), (_, qiushi, _) = world.firms
    context, organiser = new_page(browser)
    staff_login(organiser, base, world.organiser)
    organiser.goto(base + world.assembly_url)
    organiser.click("main a:has-text('选聘物业服务企业')")
    organiser.wait_for_url(f"**{world.item_url}")
    assert "从优势资源库添加参选企业" in organiser.inner_text("main")
    options = organiser.eval_on_selector_all("#pb-firm option", "options => options.map(o => o.textContent)")
    assert sorted(options) == sorted([f"{lvcheng}（{lvcheng_uscc}）", f"{binjiang}（{world.firms[1][2]}）"])  # not the register-only firm
    assert qiushi not in organiser.inner_text("main")

    organiser.select_option("#pb-firm", label=f"{lvcheng}（{lvcheng_uscc}）")
    organiser.fill("#pb-fee", "2.80")
    organiser.fill("#pb-plan", "24小时秩序维护，电梯维保。")
    organiser.click("form:has(#pb-firm) button.primary")
    organiser.wait_for_url(f"**{world.item_url}")
    assert "已从优势资源库添加参选企业。" in organiser.inner_text(".flash-success")
    bidders = organiser.inner_text("main section:has(h2:text-is('投标企业'))")
    assert lvcheng in bidders
    assert lvcheng_uscc in bidders
    assert "2.80" in bidders
    shots(organiser, "pool-bidder")

    # 滨江 leaves the pool while the page is open: picking it is refused, with what to do instead.
    leave_pool(live, world, 1)
    organiser.select_option("#pb-firm", label=f"{binjiang}（{world.firms[1][2]}）")
    organiser.fill("#pb-fee", "2.50")
    organiser.click("form:has(#pb-firm) button.primary")
    refusal = organiser.inner_text(".flash-error")
    assert f"{binjiang}不在区物业服务企业优势资源库中" in refusal
    assert "请在“添加参选企业”中填写其名称和统一社会信用代码" in refusal
    assert organiser.locator("main section:has(h2:text-is('投标企业')) .row-card").count() == 1
    assert organiser.errors == []
    context.close()


def test_an_estate_without_a_firm_and_a_pool_firm_are_matched_and_anyone_reads_the_pool(browser, live, pool_world, shots):
    world, base = pool_world, live.base
    (lvcheng_id, lvcheng, _), (binjiang_id, binjiang, _), _ = world.firms

    # The organiser marks the estate's interest in two firms of the pool.
    context, organiser = new_page(browser)
    staff_login(organiser, base, world.organiser)
    organiser.goto(f"{base}/e/{world.slug}/")
    organiser.click("nav a:text-is('优势资源库')")
    organiser.wait_for_url(f"**/e/{world.slug}/pool")
    assert "目前没有物业服务企业为本小区服务" in organiser.inner_text("main")
    for firm_id in (lvcheng_id, binjiang_id):
        organiser.click(f"#firm-{firm_id} button:text-is('我们有意向')")
        assert "已登记本小区对" in organiser.inner_text(".flash-success")
    assert "尚无双向匹配。" in organiser.inner_text("#matches")

    # The platform admin records, for 绿城, its interest in the estate.
    admin_context, admin = new_page(browser)
    staff_login(admin, base, world.admin)
    admin.click("header nav a:text-is('优势资源库')")
    admin.click(f"main a:has-text('{lvcheng}')")
    admin.select_option("#fi-estate", label=world.estate_name)
    admin.click("form:has(#fi-estate) button.primary")
    assert "已登记企业的意向。" in admin.inner_text(".flash-success")
    assert "双向匹配" in admin.inner_text("#matching")
    admin.click("main a:text-is('区物业服务企业优势资源库')")
    assert "双向匹配" in admin.inner_text("#without-firm")
    shots(admin, "pool-admin")

    organiser.reload()
    assert f"{lvcheng}与本小区互有意向。" in organiser.inner_text("#matches")
    assert binjiang not in organiser.inner_text("#matches")
    shots(organiser, "pool-estate", max_height=3 * 844)

    # Anyone reads the pool: each firm with its contacts and the estates it serves.
    public_context, reader = new_page(browser)
    reader.goto(f"{base}/")
    reader.click("main a:text-is('区物业服务企业优势资源库')")
    listed = reader.inner_text(f"#firm-{lvcheng_id}")
    assert "0571-88986600" in listed
    assert "服务的小区：目前没有" in listed
    for page in (organiser, admin, reader):
        assert page.errors == []
    public_context.close()
    admin_context.close()
    context.close()
