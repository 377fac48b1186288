"""The road to re-selection (issue 20, item 6): when an estate's firm fails the pass mark in the
rule's number of consecutive periods (two in the seeds), an assembly draft is prepared for the
estate's organisers with a category-4 selection item (选聘物业服务企业) naming the firms of the
district's pool (优势资源库) that may bid.  Nothing is decided for the owners: the organisers add each
bidder with the fee it offers, publish the notice, and the owners vote as they always do.

"Consecutive" is by the rule's code: the last ``fail_periods`` published rankings of that code,
ending with the new one, each list the estate with the same firm as failing (a score below the pass
mark; an unscored period is not a failure, and it breaks the run)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from webapp.assemblies.operations import AssemblyFields, ItemFields, prepare_draft
from webapp.audit.operations import record
from webapp.core.db import db
from webapp.estates.models import Estate
from webapp.firms.models import Firm
from webapp.pool.operations import pool_firms
from webapp.rankings.models import Ranking, RankingEntry

PREPARED_BY = "system"
VOTING_DAYS = 14


def failing_runs(ranking: Ranking, fail_periods: int) -> list[tuple[RankingEntry, list[Ranking]]]:
    """The ranking's failing lines whose estate and firm failed in each of the last
    ``fail_periods`` rankings of the rule's code (ending with this one), with those rankings."""
    chain = list(
        db.session.scalars(
            select(Ranking)
            .where(Ranking.rule_code == ranking.rule_code, Ranking.period_from <= ranking.period_from)
            .order_by(Ranking.period_from.desc())
            .limit(fail_periods)
        )
    )
    if len(chain) < fail_periods or chain[0].id != ranking.id:
        return []
    out = []
    for entry in ranking.entries:
        if not entry.fails:
            continue
        if all(any(e.estate_id == entry.estate_id and e.firm_id == entry.firm_id and e.fails for e in r.entries) for r in chain):
            out.append((entry, list(reversed(chain))))
    return out


def pool_for(ranking: Ranking, failing: Firm) -> list[Firm]:
    """The firms that may bid: those in the district's pool (优势资源库, webapp/pool) now, but
    the failing one and those on this ranking's black list."""
    black = {e.firm_id for e in ranking.entries if e.fails}
    return [f for f in pool_firms() if f.id != failing.id and f.id not in black]


def _opening(estate: Estate, now: datetime) -> datetime:
    """9:00 in the estate's zone, after the notice period and two weeks for bids."""
    day = (now.astimezone(ZoneInfo(estate.timezone)) + timedelta(days=estate.notice_period_days + 14)).date()
    return datetime.combine(day, time(9, 0), ZoneInfo(estate.timezone))


def prepare(ranking: Ranking, fail_periods: int, *, now: datetime) -> list:
    """A re-selection draft for each estate whose firm has failed ``fail_periods`` consecutive
    periods; each is in the estate's audit log (anchored), where its staff see why."""
    drafts = []
    for entry, chain in failing_runs(ranking, fail_periods):
        estate, firm = entry.estate, entry.firm
        periods = "、".join(f"{r.period_title}（{next(e for e in r.entries if e.estate_id == estate.id).shown} 分）" for r in chain)
        pool = pool_for(ranking, firm)
        listed = "\n".join(f"· {f.name}（统一社会信用代码 {f.uscc}）" for f in pool) or "（区优势资源库中暂无其他可参选企业）"
        opens = _opening(estate, now)
        assembly = prepare_draft(
            estate,
            AssemblyFields(
                title=f"重新选聘物业服务企业（{firm.name}连续 {fail_periods} 期考评不及格）",
                kind="extraordinary",
                opens_at=opens,
                closes_at=opens + timedelta(days=VOTING_DAYS),
                description=(
                    f"{firm.name}在{periods}的考评中得分低于及格线，按区考评规则连续 {fail_periods} 期不及格，"
                    "由业主大会决定是否重新选聘物业服务企业。本草稿由系统按公布的规则自动生成，组织者可修改后发布公告；由业主表决决定。"
                ),
            ),
            [
                (
                    "selection",
                    ItemFields(
                        category=4,
                        title="选聘物业服务企业",
                        text=(
                            f"现服务企业{firm.name}连续 {fail_periods} 期考评不及格。区物业服务企业优势资源库中可参与投标的企业：\n{listed}\n"
                            "各企业报价后由组织者在本事项页面“从优势资源库添加参选企业”逐一列入。"
                        ),
                    ),
                )
            ],
            prepared_by=PREPARED_BY,
            now=now,
        )
        record(
            "ranking.reselection",
            actor=PREPARED_BY,
            estate_id=estate.id,
            obj=assembly,
            firm=firm.name,
            uscc=firm.uscc,
            periods=[r.period_title for r in chain],
            ranking=ranking.id,
            pool=[f.uscc for f in pool],
        )
        drafts.append(assembly)
    return drafts
