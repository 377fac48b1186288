"""The demo's organising bodies and open accounts: the demo estate's committee, its term ending
within the estate's reminder months (so the supervisors see the 换届 reminder), the neighbours'
committees and one 物管会 formed by the sub-district; the demo estate's published fee standard,
complaint channels and last quarter's income and expense statement, signed as people publish them."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from webapp.bodies import operations as bodies
from webapp.bodies import reminders
from webapp.core.serverkey import signing_key
from webapp.disclosures import operations as disclosures
from webapp.estates.models import Estate

COMMITTEE = [
    {"name": "王建华", "post": "主任"},
    {"name": "李秀英", "post": "副主任"},
    {"name": "张伟", "post": "委员"},
    {"name": "刘芳", "post": "委员"},
    {"name": "陈磊", "post": "委员"},
]
MANAGEMENT = [
    {"name": "陈立新", "post": "主任（街道办事处）"},
    {"name": "王敏", "post": "副主任（社区居委会）"},
    {"name": "赵德明", "post": "委员（业主代表）"},
    {"name": "孙丽", "post": "委员（物业服务企业）"},
    {"name": "周强", "post": "委员（派出所）"},
]
# Which neighbour (webapp/demo/district.py) is organised by whom: one has no committee, and the
# sub-district formed a 物管会 there.
NEIGHBOUR_BODIES = {"chunhui": "committee", "qiushi": "committee", "xiahe": "management"}

FEES = "\n".join(
    [
        "住宅物业服务费 2.30 元/平方米·月",
        "商铺物业服务费 4.50 元/平方米·月",
        "地下车位管理费 80.00 元/个·月",
        "装修垃圾清运费 300.00 元/户·次",
    ]
)
STANDARD = (
    "执行《住宅物业服务标准》二级服务：24小时门岗和巡逻；公共区域每日清扫两次；电梯每半月维保一次；绿化每月修剪一次；报修30分钟内响应。"
)
CHANNELS = "\n".join(
    [
        "物业服务中心 0571-8888 6666（每日 8:00–20:00）",
        "业主委员会信箱 3号楼一层大堂",
        "社区居委会 0571-8765 4321",
        "12345政务服务热线 12345",
    ]
)
INCOME = "\n".join(["地面停车费 86400.00", "地下车位临时停车 23150.50", "电梯轿厢广告 18000.00 三年合同第二年", "快递柜场地费 3600.00"])
EXPENSE = "\n".join(
    ["公共设施维修 21480.00 门禁系统更换", "业主大会会议费用 3250.00 印刷和场地", "年度审计费 6000.00 第三方审计", "银行手续费 35.80"]
)


def last_quarter(today: date) -> tuple[date, date]:
    first = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    until = first - timedelta(days=1)
    return date(until.year, until.month - 2, 1), until


def build(estate: Estate, organiser, admin, neighbours: list[Estate], now: datetime) -> None:
    """Record the bodies and publish the accounts (the caller commits)."""
    today = bodies.today_in(estate, now)
    bodies.record_body(
        estate,
        kind="committee",
        title="第二届业主委员会",
        members=COMMITTEE,
        term_start=bodies.add_months(today, -56),
        term_end=bodies.add_months(today, 4),
        basis="翠湖街道办事处备案 翠街备〔2022〕7号",
        actor=admin,
    )
    for neighbour in neighbours:
        kind = NEIGHBOUR_BODIES.get(neighbour.slug, "committee")
        if kind == "management":
            bodies.record_body(
                neighbour,
                kind="management",
                members=MANAGEMENT,
                term_start=bodies.add_months(today, -10),
                term_end=bodies.add_months(today, 14),
                basis="翠湖街道办事处 翠街发〔2026〕3号：业主委员会未能组建，组建物业管理委员会（《北京市物业管理条例》第五十二条）",
                actor=admin,
            )
        else:
            bodies.record_body(
                neighbour,
                kind="committee",
                members=COMMITTEE[:3],
                term_start=bodies.add_months(today, -20),
                term_end=bodies.add_months(today, 40),
                actor=admin,
            )
    signer = signing_key(now)
    disclosures.publish(estate, disclosures.Entry(kind="fees", text=STANDARD, lines=FEES), actor=organiser, signer=signer, now=now)
    disclosures.publish(estate, disclosures.Entry(kind="complaints", lines=CHANNELS), actor=organiser, signer=signer, now=now)
    start, until = last_quarter(today)
    disclosures.publish(
        estate,
        disclosures.Entry(
            kind="statement",
            title=f"{until.year}年第{(until.month + 2) // 3}季度公共收益收支公示",
            period_from=start,
            period_until=until,
            income=INCOME,
            expense=EXPENSE,
            total_income="131150.50",
            total_expense="30765.80",
            text="结余 100,384.70 元计入公共收益账户，使用须经业主大会决定。",
        ),
        actor=organiser,
        signer=signer,
        now=now,
    )
    # The committee's term ends within the estate's months: the supervisors find the reminder at once.
    reminders.send_due(now)
