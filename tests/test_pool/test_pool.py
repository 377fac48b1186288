"""The district's pool of firms (webapp/pool): platform admins keep contacts and the pool's terms,
the public reads the pool with each firm's estates and latest ranking, estates without a firm and
the pool's firms are matched both ways, and a selection item draws its bidders from the pool.
Bad input is refused with a reason, and nothing is half-written."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from tests.factories import errors, text_of
from webapp.assemblies import operations as assembly_ops
from webapp.assemblies.models import Bidder
from webapp.audit.models import AuditEvent
from webapp.core.db import db
from webapp.core.identity import contact_phone
from webapp.firms.models import Firm
from webapp.firms.operations import assign_estate, create_firm
from webapp.pool import operations as ops
from webapp.pool.models import Interest, PoolTerm

LVCHENG = ("浙江绿城物业服务集团有限公司", "91330100MA2B8R3T40")
BINJIANG = ("杭州滨江物业管理有限公司", "91330100MA28QXNY41")
QIUSHI = ("杭州秋实物业管理有限公司", "91330100MA2KD91L20")
TODAY = date(2026, 12, 9)

POOL_TABLES = ("firms", "pool_terms", "pool_interests", "bidders", "audit_events")


def snapshot() -> dict[str, list[tuple]]:
    db.session.expire_all()
    return {name: sorted((tuple(r) for r in db.session.execute(select(db.metadata.tables[name])).all()), key=repr) for name in POOL_TABLES}


@pytest.fixture
def unchanged(db_session):
    """Asserts that the block leaves every pool table (and the audit log) exactly as it was."""
    from contextlib import contextmanager

    @contextmanager
    def check():
        before = snapshot()
        yield
        assert snapshot() == before

    return check


@pytest.fixture
def world(two_estates, db_session):
    """Estate A (甲小区) has no firm (无物业小区), estate B (乙小区) is served by 秋实; 绿城 and 滨江
    are in the pool with their contacts, 秋实 is only in the register."""
    a, b = two_estates
    admin = db.session.scalar(select_staff("root"))
    lvcheng = create_firm(name=LVCHENG[0], uscc=LVCHENG[1], contact_name="市场部 沈佳", contact_phone="0571-8888 6666", actor="test")
    binjiang = create_firm(name=BINJIANG[0], uscc=BINJIANG[1], contact_name="周经理", contact_phone="13905710000", actor="test")
    qiushi = create_firm(name=QIUSHI[0], uscc=QIUSHI[1], actor="test")
    assign_estate(qiushi, b, date(2024, 1, 1), actor="test")
    for firm in (lvcheng, binjiang):
        ops.enter_pool(firm, on=date(2026, 1, 5), reason="2025年度考评红榜", today=TODAY, actor=admin)
    db_session.commit()
    return SimpleNamespace(a=a, b=b, admin=admin, lvcheng=lvcheng, binjiang=binjiang, qiushi=qiushi)


def select_staff(username: str):
    from webapp.auth.models import StaffUser

    return select(StaffUser).where(StaffUser.username == username)


def staff(username: str):
    return db.session.scalar(select_staff(username))


def events(action: str) -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action))


# --- contacts -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("13800138000", "13800138000"),
        ("+86 138 0013 8000", "13800138000"),
        ("0571-8765 4321", "0571-87654321"),
        ("(021)62345678", "021-62345678"),
        ("０５７１－８７６５４３２１", "0571-87654321"),
        ("400 820 8820", "400-820-8820"),
    ],
)
def test_a_chinese_mobile_landline_or_service_number_is_taken_and_normalised(raw, normalised):
    assert contact_phone(raw) == normalised


@pytest.mark.parametrize(
    "raw", ["12345", "1380013800", "12800138000", "0571-1234567", "010-12345678", "057187654", "138-0013-800a", "+1 415 555 0100"]
)
def test_a_number_that_is_no_chinese_phone_number_is_not_a_contact_phone(raw):
    assert contact_phone(raw) is None


def test_registering_a_firm_with_an_invalid_credit_code_or_phone_is_refused_and_nothing_is_kept(client, login, post, world, unchanged):
    login("root")
    with unchanged():
        page = post("/admin/firms", {"name": "杭州某物业有限公司", "uscc": "91330100MA2B8R3T41"}).get_data(as_text=True)
        assert "统一社会信用代码无效" in text_of(page)
        page = post("/admin/firms", {"name": "杭州某物业有限公司", "uscc": "91330100MA2H3K7Q42", "contact_phone": "8765432"}).get_data(
            as_text=True
        )
        assert "联系电话“8765432”无效：请填写手机号（11 位）、带区号的固定电话（如 0571-87654321）或 400/800 电话" in errors(page)


def test_an_admin_keeps_a_firms_contacts_and_qualifications_and_the_change_is_audited(client, login, post, world):
    login("root")
    url = f"/admin/pool/firms/{world.lvcheng.id}"
    response = post(
        url,
        {
            "pr-contact_name": "市场部 沈佳",
            "pr-contact_phone": "+86 139 0571 2345",
            "pr-address": "杭州市西湖区文三路 1 号",
            "pr-qualifications": "ISO 9001 质量管理体系认证",
            "pr-notes": "曾服务 12 个住宅小区",
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    firm = db.session.get(Firm, world.lvcheng.id)
    assert (firm.contact_phone, firm.address, firm.qualifications) == (
        "13905712345",
        "杭州市西湖区文三路 1 号",
        "ISO 9001 质量管理体系认证",
    )
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "pool.profile")).one()
    assert event.details["changes"]["contact_phone"] == {"from": "0571-88886666", "to": "13905712345"}
    assert "notes" in event.details["changes"]
    assert "contact_name" not in event.details["changes"]


def test_a_contact_phone_that_is_no_phone_number_is_refused_on_the_pool_page_and_nothing_changes(client, login, post, world, unchanged):
    login("root")
    with unchanged():
        page = post(
            f"/admin/pool/firms/{world.lvcheng.id}",
            {"pr-contact_name": "沈佳", "pr-contact_phone": "0571-123", "pr-address": "新地址"},
            follow_redirects=True,
        ).get_data(as_text=True)
    assert "联系电话“0571-123”无效" in text_of(page)
    assert db.session.get(Firm, world.lvcheng.id).address is None


# --- the pool's terms --------------------------------------------------------------------------------


def test_a_firm_enters_and_leaves_the_pool_with_dates_and_reasons_and_its_history_is_kept(client, login, post, world):
    login("root")
    url = f"/admin/pool/firms/{world.qiushi.id}"
    assert "不在资源库中" in text_of(client.get(url))
    post(url, {"t-on": "2026-02-01", "t-reason": "街道推荐，经区住建局审核"})
    assert ops.in_pool(world.qiushi)
    post(url, {"t-on": "2026-11-30", "t-reason": "连续两期考评不及格（黑榜）"})
    assert not ops.in_pool(world.qiushi)
    page = text_of(client.get(url))
    assert "入库 2026-02-01：街道推荐，经区住建局审核" in page
    assert "出库 2026-11-30：连续两期考评不及格（黑榜）" in page
    [term] = ops.history(world.qiushi)
    assert (term.entered_on, term.left_on, term.left_reason) == (date(2026, 2, 1), date(2026, 11, 30), "连续两期考评不及格（黑榜）")
    assert (events("pool.enter"), events("pool.leave")) == (3, 1)  # 绿城 and 滨江 entered in the fixture
    leave = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "pool.leave")).one()
    assert leave.details == {"name": QIUSHI[0], "uscc": QIUSHI[1], "until": "2026-11-30", "reason": "连续两期考评不及格（黑榜）"}
    # back in later: a second term, the first one kept
    ops.enter_pool(world.qiushi, on=date(2026, 12, 1), reason="整改验收合格", today=TODAY, actor=world.admin)
    assert [t.entered_on for t in ops.history(world.qiushi)] == [date(2026, 12, 1), date(2026, 2, 1)]


@pytest.mark.parametrize(
    ("firm", "call", "reason"),
    [
        (
            "lvcheng",
            lambda f, admin: ops.enter_pool(f, on=date(2026, 3, 1), reason="再次入库", today=TODAY, actor=admin),
            "已在优势资源库中",
        ),
        ("qiushi", lambda f, admin: ops.leave_pool(f, on=date(2026, 3, 1), reason="出库", today=TODAY, actor=admin), "不在优势资源库中"),
        ("qiushi", lambda f, admin: ops.enter_pool(f, on=date(2026, 3, 1), reason="  ", today=TODAY, actor=admin), "请写明理由"),
        ("qiushi", lambda f, admin: ops.enter_pool(f, on=None, reason="推荐", today=TODAY, actor=admin), "请填写日期"),
        ("qiushi", lambda f, admin: ops.enter_pool(f, on=date(2026, 12, 10), reason="推荐", today=TODAY, actor=admin), "晚于今天"),
        (
            "lvcheng",
            lambda f, admin: ops.leave_pool(f, on=date(2025, 12, 31), reason="出库", today=TODAY, actor=admin),
            "出库日期不能早于入库日期 2026-01-05",
        ),
        (
            "qiushi",
            lambda f, admin: ops.enter_pool(f, on=date(2026, 3, 1), reason="字" * 501, today=TODAY, actor=admin),
            "理由不能超过 500 个字",
        ),
    ],
)
def test_a_term_that_cannot_be_is_refused_with_its_reason(world, unchanged, firm, call, reason):
    with unchanged(), pytest.raises(ops.PoolError) as refused:
        call(getattr(world, firm), world.admin)
    db.session.rollback()
    assert reason in refused.value.zh


def test_only_platform_admins_reach_the_pools_pages(client, login, post, world, unchanged):
    login("org-a")
    with unchanged():
        assert client.get("/admin/pool").status_code == 403
        assert post(f"/admin/pool/firms/{world.qiushi.id}", {"t-on": "2026-02-01", "t-reason": "自荐"}).status_code == 403
    with pytest.raises(ops.PoolError) as refused:
        ops.enter_pool(world.qiushi, on=date(2026, 2, 1), reason="自荐", today=TODAY, actor=staff("org-a"))
    assert refused.value.zh == "只有平台管理员可以管理优势资源库"


# --- the public list --------------------------------------------------------------------------------


def test_the_public_pool_lists_the_pools_firms_with_contacts_estates_and_their_latest_ranking(client, world, db_session):
    ranking = publish_ranking(world, db_session)
    page = text_of(client.get("/pool"))
    assert LVCHENG[0] in page
    assert BINJIANG[0] in page
    assert QIUSHI[0] not in page  # in the register, not in the pool
    assert "0571-88886666" in page
    assert "入库时间 2026-01-05" in page
    lvcheng = text_of(client.get("/pool").get_data(as_text=True).split(f'id="firm-{world.lvcheng.id}"')[1].split('class="row-card"')[0])
    assert "服务的小区：乙小区" in lvcheng
    assert f"最新排名： {ranking.period_title}" in lvcheng
    assert "乙小区：92.53 分 红榜" in lvcheng
    binjiang = text_of(client.get("/pool").get_data(as_text=True).split(f'id="firm-{world.binjiang.id}"')[1])
    assert "尚无公布的排名列出这家企业" in binjiang


def publish_ranking(world, db_session):
    """绿城 takes over 乙小区 and is ranked on the red list for the third quarter."""
    from tests.factories import district_form
    from tests.test_rankings.test_rankings import RULE, evaluate
    from webapp.core.serverkey import signer
    from webapp.evaluations import operations as evaluations
    from webapp.rankings import operations as rankings

    assign_estate(world.lvcheng, world.b, date(2026, 6, 1), actor="test")
    form = evaluations.publish_form(copy.deepcopy(district_form(code="district", title="测评")), signer=signer(), actor="test")
    evaluate(world.b, form, [("satisfied", 10), ("satisfied", 9), ("basic", 9)])
    rule = rankings.publish_rule(RULE, signer=signer(), actor="test")
    period = rankings.period_of("2026年第三季度", date(2026, 7, 1), date(2026, 10, 1), "Asia/Shanghai")
    ranking = rankings.publish_now(
        rule, period, actor="test", server=signer(), base_url="http://ownersvote.test", now=datetime(2026, 10, 2, tzinfo=UTC)
    )
    db_session.commit()
    return ranking


# --- two-way matching --------------------------------------------------------------------------------


def test_an_estate_without_a_firm_and_a_pool_firm_interested_in_each_other_are_a_match(client, login, post, world):
    assert [e.name for e in ops.estates_without_firm()] == ["甲小区"]
    login("org-a")
    page = text_of(client.get("/e/estate-a/pool"))
    assert "目前没有物业服务企业为本小区服务" in page
    assert "尚无双向匹配" in page
    assert post(f"/e/estate-a/pool/firms/{world.lvcheng.id}/interest").status_code == 302
    assert post(f"/e/estate-a/pool/firms/{world.binjiang.id}/interest").status_code == 302
    client.post("/logout")
    login("root")
    assert post(f"/admin/pool/firms/{world.lvcheng.id}", {"fi-estate": world.a.id}).status_code == 302
    assert events("pool.match") == 1
    admin_page = text_of(client.get("/admin/pool"))
    assert "甲小区" in admin_page.split("无物业小区")[1]
    assert f"{LVCHENG[0]}： 双向匹配" in admin_page
    assert "小区有意向" in admin_page  # 滨江: only the estate is interested
    client.post("/logout")
    login("org-a")
    html = client.get("/e/estate-a/pool").get_data(as_text=True)
    matches = text_of(html.split('id="matches"')[1].split("</div>")[0])
    assert f"{LVCHENG[0]}与本小区互有意向。 联系方式：市场部 沈佳 0571-88886666" in matches
    assert BINJIANG[0] not in matches
    assert [(p.firm.name, p.match) for p in ops.pairings(estate=world.a)] == [(LVCHENG[0], True), (BINJIANG[0], False)]
    match = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "pool.match")).one()
    assert match.chain == world.a.id
    assert match.details == {"estate": "甲小区", "firm": LVCHENG[0], "uscc": LVCHENG[1]}


def test_an_interest_withdrawn_undoes_the_match(client, login, post, world):
    ops.mark_estate_interest(world.a, world.lvcheng, actor=staff("org-a"))
    ops.mark_firm_interest(world.lvcheng, world.a, actor=world.admin)
    db.session.commit()
    login("org-a")
    assert post(f"/e/estate-a/pool/firms/{world.lvcheng.id}/withdraw").status_code == 302
    assert ops.matches(estate=world.a) == []
    assert events("pool.estate_withdraw") == 1
    assert db.session.scalar(select(func.count()).select_from(Interest)) == 1  # the firm's interest stays


def test_an_admin_withdraws_the_firms_interest_for_it_and_the_match_is_gone(client, login, post, world):
    ops.mark_estate_interest(world.a, world.lvcheng, actor=staff("org-a"))
    ops.mark_firm_interest(world.lvcheng, world.a, actor=world.admin)
    db.session.commit()
    login("root")
    assert "双向匹配" in text_of(client.get(f"/admin/pool/firms/{world.lvcheng.id}")).split("这家企业愿意服务的无物业小区")[1]
    assert post(f"/admin/pool/firms/{world.lvcheng.id}/estates/{world.a.id}/withdraw").status_code == 302
    assert ops.matches() == []
    assert events("pool.firm_withdraw") == 1
    assert post(f"/admin/pool/firms/{world.lvcheng.id}/estates/{world.a.id}/withdraw").status_code == 404  # nothing left to withdraw


def test_a_firm_that_leaves_the_pool_no_longer_counts_as_a_match(world):
    ops.mark_estate_interest(world.a, world.lvcheng, actor=staff("org-a"))
    ops.mark_firm_interest(world.lvcheng, world.a, actor=world.admin)
    assert len(ops.matches()) == 1
    ops.leave_pool(world.lvcheng, on=TODAY, reason="主动退出", today=TODAY, actor=world.admin)
    assert ops.matches() == []


def test_interest_in_a_firm_not_in_the_pool_is_refused_with_the_reason(client, login, post, world, unchanged):
    login("org-a")
    with unchanged():
        page = text_of(post(f"/e/estate-a/pool/firms/{world.qiushi.id}/interest", follow_redirects=True))
    assert f"{QIUSHI[0]}不在区物业服务企业优势资源库中，不能参与双向选择" in page
    with unchanged(), pytest.raises(ops.PoolError) as refused:
        ops.mark_firm_interest(world.qiushi, world.a, actor=world.admin)
    assert "不在区物业服务企业优势资源库中" in refused.value.zh


def test_a_match_for_an_estate_that_already_has_a_firm_is_refused_with_the_reason(client, login, post, world, unchanged):
    login("root")
    with unchanged():
        page = text_of(post(f"/admin/pool/firms/{world.lvcheng.id}", {"fi-estate": world.b.id}, follow_redirects=True))
    assert f"乙小区已由{QIUSHI[0]}提供物业服务：双向选择只用于无物业小区；要更换企业，请由业主大会表决选聘" in page
    client.post("/logout")
    login("org-b")
    with unchanged():
        page = text_of(post(f"/e/estate-b/pool/firms/{world.lvcheng.id}/interest", follow_redirects=True))
        assert "乙小区已由" in page
        assert "双向选择只用于无物业小区" in text_of(client.get("/e/estate-b/pool"))


def test_another_estates_organiser_can_neither_mark_nor_see_its_interest(client, login, post, world, unchanged):
    login("org-b")
    with unchanged():
        assert post(f"/e/estate-a/pool/firms/{world.lvcheng.id}/interest").status_code == 404
        assert client.get("/e/estate-a/pool").status_code == 404
    with unchanged(), pytest.raises(ops.PoolError) as refused:
        ops.mark_estate_interest(world.a, world.lvcheng, actor=staff("org-b"))
    assert refused.value.zh == "只有本小区的组织者可以为小区登记意向企业"


def test_a_supervisor_is_told_the_choice_of_a_firm_is_the_organisers(client, login, post, world, unchanged):
    login("sup-a")
    with unchanged():
        response = post(f"/e/estate-a/pool/firms/{world.lvcheng.id}/interest")
    assert response.status_code == 403
    assert "组织者" in text_of(response)


def test_a_platform_admin_does_not_mark_an_estates_interest_for_it(world, unchanged):
    with unchanged(), pytest.raises(ops.PoolError) as refused:
        ops.mark_estate_interest(world.a, world.lvcheng, actor=world.admin)
    assert refused.value.zh == "只有本小区的组织者可以为小区登记意向企业"
    with pytest.raises(ops.PoolError) as refused:
        ops.mark_firm_interest(world.lvcheng, world.a, actor=staff("org-a"))
    assert refused.value.zh == "企业的意向由平台管理员代为登记"


def test_an_interest_is_recorded_once(world, unchanged):
    ops.mark_estate_interest(world.a, world.lvcheng, actor=staff("org-a"))
    db.session.commit()
    with unchanged(), pytest.raises(ops.PoolError) as refused:
        ops.mark_estate_interest(world.a, world.lvcheng, actor=staff("org-a"))
    assert refused.value.zh == "这一意向已经登记过了"


# --- a selection draws its bidders from the pool ----------------------------------------------------------


@pytest.fixture
def selection(world, db_session):
    """A draft in estate A with a category-4 selection item."""
    from webapp.assemblies.operations import AssemblyFields, ItemFields, prepare_draft

    now = datetime.now(UTC).replace(microsecond=0)
    opens = now + timedelta(days=30)
    assembly = prepare_draft(
        world.a,
        AssemblyFields(title="选聘物业服务企业业主大会", kind="extraordinary", opens_at=opens, closes_at=opens + timedelta(days=14)),
        [("selection", assembly_ops.ItemFields(category=4, title="选聘物业服务企业"))],
        prepared_by="system",
        now=now,
    )
    assert ItemFields  # the same fields an organiser sets
    db_session.commit()
    item = assembly.items[0]
    return SimpleNamespace(assembly=assembly, item=item, url=f"/e/estate-a/assemblies/{assembly.id}/items/{item.id}")


def test_an_organiser_adds_a_bidder_from_the_pool_with_its_registered_name_and_code(client, login, post, world, selection):
    login("org-a")
    page = client.get(selection.url).get_data(as_text=True)
    assert "从优势资源库添加参选企业" in page
    assert f"{LVCHENG[0]}（{LVCHENG[1]}）" in page
    assert QIUSHI[0] not in page
    response = post(selection.url, {"pb-firm": world.lvcheng.id, "pb-fee": "2.80", "pb-plan": "24小时秩序维护"})
    assert response.status_code == 302
    [bidder] = db.session.scalars(select(Bidder).where(Bidder.item_id == selection.item.id))
    assert (bidder.name, bidder.uscc, bidder.fee_centi, bidder.plan) == (LVCHENG[0], LVCHENG[1], 280, "24小时秩序维护")
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "bidder.add")).one()
    assert event.details["from_pool"] is True
    assert "已从优势资源库添加参选企业" in text_of(client.get(selection.url))


def test_adding_a_firm_not_in_the_pool_as_a_pool_bidder_is_refused_with_the_way_forward(client, login, post, world, selection, unchanged):
    login("org-a")
    with unchanged():
        page = text_of(post(selection.url, {"pb-firm": world.qiushi.id, "pb-fee": "2.50"}, follow_redirects=True))
    assert (
        f"{QIUSHI[0]}不在区物业服务企业优势资源库中，不能从资源库添加；如它参与投标，请在“添加参选企业”中填写其名称和统一社会信用代码"
        in page
    )
    # a firm that left the pool after the page was loaded is refused the same way
    ops.leave_pool(world.binjiang, on=TODAY, reason="主动退出", today=TODAY, actor=world.admin)
    db.session.commit()
    with unchanged():
        page = text_of(post(selection.url, {"pb-firm": world.binjiang.id, "pb-fee": "2.50"}, follow_redirects=True))
    assert f"{BINJIANG[0]}不在区物业服务企业优势资源库中" in page


def test_a_pool_bidder_with_a_bad_fee_or_twice_is_refused_and_nothing_is_added(client, login, post, world, selection, unchanged):
    login("org-a")
    with unchanged():
        page = text_of(post(selection.url, {"pb-firm": world.lvcheng.id, "pb-fee": "两块五"}, follow_redirects=True))
    assert "物业费请写成每平方米每月多少元" in page
    post(selection.url, {"pb-firm": world.lvcheng.id, "pb-fee": "2.80"})
    with unchanged():
        page = text_of(post(selection.url, {"pb-firm": world.lvcheng.id, "pb-fee": "2.60"}, follow_redirects=True))
    assert f"统一社会信用代码 {LVCHENG[1]} 已属于参选企业" in page


def test_another_estates_organiser_cannot_add_a_pool_bidder(client, login, post, world, selection, unchanged):
    login("org-b")
    with unchanged():
        assert post(selection.url, {"pb-firm": world.lvcheng.id, "pb-fee": "2.80"}).status_code == 404
    with unchanged(), pytest.raises(assembly_ops.AssemblyError) as refused:
        assembly_ops.add_pool_bidder(selection.item, world.lvcheng, actor=staff("org-b"), fee="2.80", plan=None)
    assert "只有本小区的组织者" in refused.value.zh


def test_the_pool_term_tables_refuse_a_second_open_term_for_a_firm(world, db_session):
    from sqlalchemy.exc import IntegrityError

    db_session.add(PoolTerm(firm_id=world.lvcheng.id, entered_on=date(2026, 2, 1), entered_reason="重复"))
    with pytest.raises(IntegrityError):
        db_session.flush()
    db_session.rollback()
