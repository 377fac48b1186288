"""The demo's district: three small estates beside the demo estate, their firms, the district's
pool of firms (webapp/demo/pool.py), two quarters of owners' evaluations, the district's ranking
rule and both quarters' published rankings (红黑榜).

One small estate's firm fails the pass mark in both quarters, so the second ranking prepares a
re-selection draft in that estate, as the rule says; the demo estate has no evaluation in the
earlier quarter, so it is listed there unscored.  Everything goes through the operations people
use (the registry import, owners' registrations, blind tokens, the signed results, the rule, the
ranking with its PDF)."""

from __future__ import annotations

import csv
import io
import random
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from webapp.core.db import db, utcnow
from webapp.core.serverkey import signing_key
from webapp.demo import pool as demo_pool
from webapp.demo.assemblies import _register_owners
from webapp.demo.evaluations import answer_as_owners, demo_firm, district_form
from webapp.demo.registry import demo_rows
from webapp.estates.models import Estate
from webapp.estates.operations import create_estate, get_estate
from webapp.evaluations import operations as evaluations
from webapp.evaluations.models import Evaluation
from webapp.owners.models import Registration
from webapp.rankings import operations as rankings
from webapp.rankings import reselection
from webapp.rankings.models import Ranking
from webapp.registry.importing import import_file

ZONE = "Asia/Shanghai"
RULE = rankings.RuleFields(
    code="district-standard",
    title="区物业服务企业考评规则（2026）",
    score_percent=70,
    satisfaction_percent=30,
    satisfied_at=60,
    pass_mark=60,
    red_mark=80,
    fail_periods=2,
)
# slug, name, firm (name, USCC), the share of satisfied answers in the two quarters, the registry's building
NEIGHBOURS = [
    ("chunhui", "春晖苑（演示）", ("杭州春晖物业服务有限公司", "91330100MA27WX4C5P"), (0.86, 0.9), "3"),
    ("qiushi", "秋实苑（演示）", ("杭州秋实物业管理有限公司", "91330100MA2KD91L20"), (0.2, 0.15), "4"),
    ("xiahe", "夏荷苑（演示）", ("杭州春晖物业服务有限公司", "91330100MA27WX4C5P"), (0.55, 0.6), "5"),
]
ANSWERS = 18  # per small estate and quarter


def quarter(day: date) -> tuple[date, date, str]:
    first = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    until = date(first.year + (first.month == 10), (first.month + 2) % 12 + 1, 1)
    return first, until, f"{first.year}年第{'一二三四'[(first.month - 1) // 3]}季度"


def _small_registry(building: str) -> bytes:
    """One building of the demo's generated registry (100 flats) as a small estate's registry."""
    rows = [row for row in demo_rows() if row["楼栋"] == building]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def _members(estate: Estate) -> list[Registration]:
    found = db.session.scalars(
        select(Registration)
        .where(Registration.estate_id == estate.id, Registration.state == "approved", Registration.can_vote.is_(True))
        .order_by(Registration.id)
    )
    return [r for r in found if r.member_ref]


def _evaluate(estate: Estate, form, title: str, closes: datetime, mood: float, rng: random.Random, count: int, actor) -> None:
    evaluation = evaluations.open_evaluation(
        estate, form, title=title, opens=closes - timedelta(days=14), closes=closes, min_answers=5, actor=actor
    )
    members = _members(estate)
    answer_as_owners(evaluation, rng.sample(members, min(count, len(members))), rng, closes - timedelta(days=3), mood=mood)
    evaluations.publish_result(evaluation, signer=signing_key(), actor=actor, now=closes + timedelta(hours=1))


def build(demo_estate: Estate, admin, base_url: str = "http://127.0.0.1:5000") -> list[Ranking]:
    """The neighbours, their evaluations in the quarter of the demo's finished evaluation and the
    quarter before, the rule, and both rankings (the later one prepares a re-selection draft)."""
    rng = random.Random(2027)
    now = utcnow().replace(second=0, microsecond=0)
    finished = max(
        db.session.scalars(select(Evaluation).where(Evaluation.estate_id == demo_estate.id, Evaluation.state == "published")),
        key=lambda e: e.closes,
    )
    zone = ZoneInfo(ZONE)
    q_from, q_until, q_title = quarter(finished.closes.astimezone(zone).date())
    p_from, p_until, p_title = quarter(q_from - timedelta(days=1))
    form = district_form(admin)
    today = now.astimezone(zone).date()
    demo_pool.fill_pool(admin, today)  # the district's pool (优势资源库), before the re-selection names it
    for slug, name, (firm, uscc), moods, building in NEIGHBOURS:
        estate = get_estate(slug) or create_estate(slug, name, actor="demo")
        import_file(estate, _small_registry(building), f"{slug}-registry.csv", actor="demo")
        _register_owners(estate, rng, share=0.9)
        demo_firm(estate, admin, name=firm, uscc=uscc)
        for (start, until, title), mood in zip(((p_from, p_until, p_title), (q_from, q_until, q_title)), moods, strict=True):
            middle = datetime.combine(start + (until - start) // 2, datetime.min.time(), zone)
            _evaluate(estate, form, f"{title}物业服务满意度测评", min(middle, finished.closes), mood, rng, ANSWERS, admin)
    rule = rankings.publish_rule(RULE, signer=signing_key(), actor=admin)
    out = []
    for start, until, title in ((p_from, p_until, p_title), (q_from, q_until, q_title)):
        out.append(
            rankings.publish_now(
                rule, rankings.period_of(title, start, until, ZONE), actor=admin, server=signing_key(), base_url=base_url, now=now
            )
        )
        reselection.prepare(out[-1], RULE.fail_periods, now=now)
    demo_pool.drop_failing(admin, today, RULE.fail_periods)
    return out
