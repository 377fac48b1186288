"""The demo's district (webapp/demo/district.py): quarters, and small estates' rankings that
recompute, with a re-selection draft where a firm failed both quarters."""

from __future__ import annotations

import json
from datetime import date, timedelta

from sqlalchemy import select

from crypto import ranking as rk
from webapp.assemblies.models import Assembly
from webapp.core.db import db, utcnow
from webapp.core.serverkey import signer
from webapp.demo import district
from webapp.demo import pool as demo_pool
from webapp.demo.evaluations import demo_firm, district_form
from webapp.estates.operations import get_estate
from webapp.evaluations import operations as evaluations
from webapp.firms.models import Firm
from webapp.pool import operations as pool


def test_quarters_run_from_the_first_of_their_month_to_the_next_quarter():
    assert district.quarter(date(2026, 9, 11)) == (date(2026, 7, 1), date(2026, 10, 1), "2026年第三季度")
    assert district.quarter(date(2026, 12, 31)) == (date(2026, 10, 1), date(2027, 1, 1), "2026年第四季度")
    assert district.quarter(date(2027, 1, 1)) == (date(2027, 1, 1), date(2027, 4, 1), "2027年第一季度")


def test_the_demo_district_ranks_two_quarters_and_prepares_a_reselection(app, estate, make_staff, db_session):
    """…and keeps a pool of firms with contacts, which the re-selection draft names (not the
    failing firm, which then leaves the pool), and an estate without a firm with one match."""
    admin = make_staff("admin", admin=True)
    organiser = make_staff("organiser", estate=estate, role="organiser")
    demo_firm(estate, admin)
    now = utcnow()
    finished = evaluations.open_evaluation(
        estate,
        district_form(admin),
        title="测评",
        opens=now - timedelta(days=100),
        closes=now - timedelta(days=86),
        min_answers=5,
        actor=admin,
    )
    evaluations.publish_result(finished, signer=signer(), actor=admin, now=now - timedelta(days=85))
    rankings = district.build(estate, admin)
    assert len(rankings) == 2
    for ranking in rankings:
        rk.verify_ranking(json.loads(ranking.document), signer().jwk)
    later = {e.estate.name: e for e in rankings[1].entries}
    assert later["秋实苑（演示）"].fails is True
    assert later["春晖苑（演示）"].band == "red"
    [draft] = db.session.scalars(select(Assembly).where(Assembly.estate_id == get_estate("qiushi").id))
    assert draft.items[0].category == 4
    named = draft.items[0].text.split("可参与投标的企业：")[1]
    for name in ("浙江云栖湾物业服务集团有限公司", "杭州望澜物业管理有限公司", "杭州春晖物业服务有限公司", "绿苑物业服务有限公司"):
        assert name in named
    assert "杭州秋实物业管理有限公司" not in named

    firms = pool.pool_firms()
    assert len(firms) == 4
    assert all(f.contact_name and f.contact_phone for f in firms)
    qiushi = db.session.scalar(select(Firm).where(Firm.uscc == demo_pool.FAILING))
    [term] = pool.history(qiushi)
    assert term.left_on is not None
    assert "连续 2 期考评不及格" in term.left_reason

    dongqing = demo_pool.build_matching(admin, organiser)
    assert [e.name for e in pool.estates_without_firm()] == ["冬青苑（演示）"]
    assert [(p.firm.name, p.match) for p in pool.pairings(estate=dongqing)] == [
        ("浙江云栖湾物业服务集团有限公司", True),
        ("杭州望澜物业管理有限公司", False),
    ]
    assert demo_pool.build_matching(admin, organiser) == dongqing  # a second run finds it all there
