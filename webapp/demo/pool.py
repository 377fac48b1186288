"""The demo district's pool of firms (优势资源库) and its one estate without a firm (无物业小区),
built through the operations people use:

- the pool: two firms that serve no demo estate, the demo estate's firm and 春晖 (red list), each
  with its contacts and qualifications, taken into the pool with a date and a reason; 秋实 was in
  the pool and leaves it after failing two quarters (its term is kept, closed, with the reason);
- 冬青苑（演示）, a small estate no firm serves, whose organiser (the demo's ``organiser``) is
  interested in two firms of the pool, one of which is interested in it: one match."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

from sqlalchemy import select

from webapp.auth.operations import assign_role
from webapp.core.db import db
from webapp.core.roles import Role
from webapp.demo.registry import demo_rows
from webapp.estates.models import Estate
from webapp.estates.operations import create_estate, get_estate
from webapp.firms.models import Firm
from webapp.firms.operations import create_firm
from webapp.pool import operations as pool
from webapp.registry.importing import import_file

# Invented firms (names, credit codes, telephones and addresses alike: a demo must not put a real
# company on a red list). USCC: (name, contact person, phone, address, qualifications, days in the pool before today, why it entered)
FIRMS = {
    "91330100MA2B8R3T40": (
        "浙江云栖湾物业服务集团有限公司",
        "市场拓展部 沈佳",
        "0571-8000 6600",
        "杭州市西湖区示例路 2 号",
        "ISO 9001 质量管理体系认证；ISO 14001 环境管理体系认证；中国物业管理协会理事单位",
        720,
        "2024 年度区物业服务考评红榜企业，经街道推荐、区住建局审核纳入",
    ),
    "91330100MA28QXNY41": (
        "杭州望澜物业管理有限公司",
        "项目发展部 周海峰",
        "0571-8000 2866",
        "杭州市滨江区示例路 1 号",
        "ISO 9001 质量管理体系认证；浙江省物业管理示范项目 6 个",
        540,
        "申请入库，经区住建局审核服务项目和信用记录后纳入",
    ),
    "91330100MA27WX4C5P": (
        "杭州春晖物业服务有限公司",
        "客服中心 林慧",
        "400 826 5178",
        "杭州市拱墅区湖墅南路 186 号",
        "ISO 9001 质量管理体系认证",
        900,
        "服务的小区业主满意率连续两年 85% 以上，经街道推荐纳入",
    ),
    "91330100MA2H3K7Q42": (
        "绿苑物业服务有限公司",
        "项目经理 吴志刚",
        "0571-8765 4321",
        "杭州市西湖区绿苑路 1 号",
        "ISO 9001 质量管理体系认证",
        1000,
        "首批入库企业",
    ),
    "91330100MA2KD91L20": (
        "杭州秋实物业管理有限公司",
        "办公室 钱立",
        "0571-8000 3345",
        "杭州市上城区秋涛路 58 号",
        "",
        800,
        "首批入库企业",
    ),
}
FAILING = "91330100MA2KD91L20"  # 秋实: fails both quarters, leaves the pool
NO_FIRM = ("dongqing", "冬青苑（演示）", "6")  # slug, name, the registry's building
ESTATE_WANTS = ("91330100MA2B8R3T40", "91330100MA28QXNY41")
FIRM_WANTS = ("91330100MA2B8R3T40",)


def pool_firm(uscc: str, admin) -> Firm:
    """The firm in the register (created with its contacts when it is not there yet)."""
    name, person, phone, address, *_ = FIRMS[uscc]
    return db.session.scalar(select(Firm).where(Firm.uscc == uscc)) or create_firm(
        name=name, uscc=uscc, contact_name=person, contact_phone=phone, address=address, actor=admin
    )


def fill_pool(admin, today: date) -> None:
    """Every firm of ``FIRMS`` in the register with its contacts and qualifications, and in the pool."""
    for uscc, (_name, person, phone, address, qualifications, days, reason) in FIRMS.items():
        firm = pool_firm(uscc, admin)
        pool.update_profile(
            firm,
            pool.Profile(contact_name=person, contact_phone=phone, address=address, qualifications=qualifications or None),
            actor=admin,
        )
        if not pool.in_pool(firm):
            pool.enter_pool(firm, on=today - timedelta(days=days), reason=reason, today=today, actor=admin)


def drop_failing(admin, today: date, fail_periods: int) -> None:
    """The firm that failed the rule's consecutive periods leaves the pool (its term is kept)."""
    firm = db.session.scalar(select(Firm).where(Firm.uscc == FAILING))
    if firm is not None and pool.in_pool(firm):
        pool.leave_pool(firm, on=today, reason=f"连续 {fail_periods} 期考评不及格（黑榜），按区考评规则移出", today=today, actor=admin)


def _one_building(building: str) -> bytes:
    rows = [row for row in demo_rows() if row["楼栋"] == building]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def build_matching(admin, organiser) -> Estate:
    """冬青苑, without a firm; its organiser is interested in two firms of the pool, and one of
    them (recorded by the platform admin for it) in the estate: one match."""
    slug, name, building = NO_FIRM
    estate = get_estate(slug)
    if estate is None:
        estate = create_estate(slug, name, actor="demo")
        import_file(estate, _one_building(building), f"{slug}-registry.csv", actor="demo")
    if organiser.role_in(estate.id) is None:
        assign_role(organiser, estate, Role.organiser, actor=admin)
    db.session.flush()
    for uscc in ESTATE_WANTS:
        firm = db.session.scalar(select(Firm).where(Firm.uscc == uscc))
        if pool.interest_of(estate, firm, "estate") is None:
            pool.mark_estate_interest(estate, firm, actor=organiser)
    for uscc in FIRM_WANTS:
        firm = db.session.scalar(select(Firm).where(Firm.uscc == uscc))
        if pool.interest_of(estate, firm, "firm") is None:
            pool.mark_firm_interest(firm, estate, actor=admin)
    return estate
