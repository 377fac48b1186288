"""The demo's organising bodies and open accounts (webapp/demo/accounts.py): the demo estate's
committee with its term ending soon (the supervisors are reminded at once), a neighbour organised
by a 物管会, and a fee standard and last quarter's statement published and verifying."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from sqlalchemy import select

from webapp.auth.models import StaffNotice
from webapp.bodies import operations as bodies
from webapp.demo import accounts
from webapp.disclosures import operations as disclosures


def test_the_demo_records_who_organises_and_publishes_checked_accounts(make_estate, make_staff, db_session):
    estate = make_estate("demo-accts", "绿苑小区（演示）")
    xiahe, chunhui = make_estate("xiahe", "夏荷苑（演示）"), make_estate("chunhui", "春晖苑（演示）")
    organiser = make_staff("org", estate=estate, role="organiser")
    supervisor = make_staff("sup", estate=estate, role="supervisor")
    admin = make_staff("root", admin=True)
    now = datetime(2027, 2, 10, 2, 0, tzinfo=UTC)
    accounts.build(estate, organiser, admin, [xiahe, chunhui], now)
    db_session.commit()
    assert bodies.organiser_name(estate, date(2027, 2, 10)) == "绿苑小区（演示）第二届业主委员会"
    assert bodies.organiser_name(xiahe, date(2027, 2, 10)) == "夏荷苑（演示）物业管理委员会"
    assert bodies.organiser_name(chunhui, date(2027, 2, 10)) == "春晖苑（演示）业主委员会"
    (reminder,) = db_session.scalars(select(StaffNotice).where(StaffNotice.user_id == supervisor.id))
    assert "换届提醒" in reminder.zh
    published = {d.kind: d for d in disclosures.estate_disclosures(estate)}
    assert set(published) == {"fees", "complaints", "statement"}
    statement = published["statement"]
    assert (statement.period_from, statement.period_until) == (date(2026, 10, 1), date(2026, 12, 31))
    shown = disclosures.verified(statement.latest)
    assert shown.intact, shown.problems
    assert shown.document["title"] == "2026年第4季度公共收益收支公示"
    assert shown.document["accounts"]["totals"] == {"income": 13115050, "expense": 3076580, "net": 10038470}
    assert json.loads(published["fees"].latest.document)["lines"][0] == {"name": "住宅物业服务费", "fen": 230, "note": "元/平方米·月"}


def test_the_last_quarter_is_the_one_before_todays():
    assert accounts.last_quarter(date(2027, 2, 10)) == (date(2026, 10, 1), date(2026, 12, 31))
    assert accounts.last_quarter(date(2026, 12, 6)) == (date(2026, 7, 1), date(2026, 9, 30))
    assert accounts.last_quarter(date(2026, 4, 1)) == (date(2026, 1, 1), date(2026, 3, 31))
