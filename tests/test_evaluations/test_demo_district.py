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
from webapp.demo.evaluations import demo_firm, district_form
from webapp.estates.operations import get_estate
from webapp.evaluations import operations as evaluations


def test_quarters_run_from_the_first_of_their_month_to_the_next_quarter():
    assert district.quarter(date(2026, 9, 11)) == (date(2026, 7, 1), date(2026, 10, 1), "2026年第三季度")
    assert district.quarter(date(2026, 12, 31)) == (date(2026, 10, 1), date(2027, 1, 1), "2026年第四季度")
    assert district.quarter(date(2027, 1, 1)) == (date(2027, 1, 1), date(2027, 4, 1), "2027年第一季度")


def test_the_demo_district_ranks_two_quarters_and_prepares_a_reselection(app, estate, make_staff, db_session):
    admin = make_staff("admin", admin=True)
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
