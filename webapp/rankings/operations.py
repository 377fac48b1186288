"""Scores and rankings of firms (红黑榜) from the owners' published evaluations and the supervisors'
signed inspections (crypto/ranking.py).

1. A platform admin publishes a rule, signed by the server key (:func:`publish_rule`): the
   measures' weights (summing to 100%), the pass mark and the red-list mark, what counts as
   satisfied, and after how many consecutive failing periods the owners are asked to re-select.
2. For a period, a background job (``ranking.publish``, webapp/rankings/jobs.py) gathers every
   estate's firm and the evaluation results that closed in the period (:func:`gather`), checks
   each result's signatures and recount (:func:`inputs_of`), computes and signs the ranking, makes
   its PDF, and stores it (:func:`store`) — all or nothing.
3. Pages show a ranking from its signed bytes after checking them (:func:`verified`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select

from crypto import evaluation as ev
from crypto import ranking as rk
from crypto.canonical import canonical_json
from crypto.errors import CryptoError
from crypto.keys import Signer
from webapp.audit.operations import record
from webapp.core.db import db
from webapp.core.errors_base import UserError
from webapp.core.serverkey import installation_jwk
from webapp.estates.models import Estate
from webapp.evaluations.models import Evaluation
from webapp.firms.models import Firm, FirmEstate
from webapp.inspections import operations as inspection_ops
from webapp.inspections.operations import InspectionError
from webapp.pool.hooks import Standing, StandingLine
from webapp.rankings.models import Ranking, RankingEntry, RankingRule
from webapp.rankings.pdf import render_ranking

MAX_PERIOD_DAYS = 400


class RankingError(UserError):
    pass


# --- rules -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleFields:
    """A rule as people set it: the measures' weights in whole percent, marks in points of 100."""

    code: str
    title: str
    score_percent: int
    satisfaction_percent: int
    satisfied_at: int
    pass_mark: int
    red_mark: int
    fail_periods: int = 2
    inspections_percent: int = 0


def _whole(value, zh: str, en: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise RankingError(f"{zh}须为整数", f"{en} is a whole number")
    return value


def publish_rule(fields: RuleFields, *, signer: Signer, actor) -> RankingRule:
    """Check, sign and store a new version of the rule ``fields.code``.  Refused with the reason:
    weights that do not sum to 100%, a mark outside the 0–100 scale, a red mark below the pass mark."""
    score = _whole(fields.score_percent, "业主测评得分的权重", "the weight of the owners' score")
    satisfaction = _whole(fields.satisfaction_percent, "满意率的权重", "the weight of the satisfaction rate")
    inspected = _whole(fields.inspections_percent, "检查考核得分的权重", "the weight of the inspections score")
    total = score + satisfaction + inspected
    if score < 0 or satisfaction < 0 or inspected < 0 or total != 100:
        raise RankingError(f"各项权重之和须为 100%，现为 {total}%", f"the weights must sum to 100%, not {total}%")
    for value, zh, en in (
        (fields.pass_mark, "及格线", "the pass mark"),
        (fields.red_mark, "红榜分数线", "the red-list mark"),
        (fields.satisfied_at, "计为满意的最低分值", "the points that count as satisfied"),
    ):
        if not 0 <= _whole(value, zh, en) <= rk.SCALE_MAX:
            raise RankingError(f"{zh}须在 0 到 100 分之间，不能是 {value}", f"{en} is on the scale 0 to 100, not {value}")
    if fields.pass_mark < 1:
        raise RankingError("及格线须高于 0 分", "the pass mark is above 0")
    if fields.red_mark < fields.pass_mark:
        raise RankingError("红榜分数线不得低于及格线", "the red-list mark is at least the pass mark")
    if not 1 <= _whole(fields.fail_periods, "连续不及格期数", "the failing periods") <= rk.MAX_FAIL_PERIODS:
        raise RankingError(f"连续不及格期数须在 1 到 {rk.MAX_FAIL_PERIODS} 之间", f"the failing periods are 1 to {rk.MAX_FAIL_PERIODS}")
    code = (fields.code or "").strip()
    latest = db.session.scalar(select(func.max(RankingRule.version)).where(RankingRule.code == code))
    payload = {
        "code": code,
        "version": (latest or 0) + 1,
        "title": (fields.title or "").strip(),
        # The inspections measure is named only when it weighs something (rules before it stay as they were).
        "weights": {"owners_score": score * 100, "owners_satisfaction": satisfaction * 100}
        | ({"inspections": inspected * 100} if inspected else {}),
        "satisfied_at": fields.satisfied_at,
        "pass_mark": fields.pass_mark,
        "red_mark": fields.red_mark,
        "fail_periods": fields.fail_periods,
    }
    try:
        signed = rk.sign_rule(signer, payload)
    except CryptoError as exc:
        raise RankingError(f"考评规则不合格：{exc}", f"the rule is not valid: {exc}") from None
    rule = RankingRule(
        code=code,
        version=signed["version"],
        title=signed["title"],
        signed=canonical_json(signed).decode(),
        digest=rk.rule_digest(signed),
        published_by_id=getattr(actor, "id", None),
    )
    db.session.add(rule)
    db.session.flush()
    record("ranking.rule", actor=actor, obj=rule, code=rule.code, version=rule.version, digest=rule.digest)
    return rule


def rule_document(rule: RankingRule) -> dict:
    return json.loads(rule.signed)


# --- periods ---------------------------------------------------------------------------------------


def period_of(title: str, start: date, until: date, zone: str) -> dict:
    return {"title": (title or "").strip(), "from": start.isoformat(), "until": until.isoformat(), "zone": zone}


def check_period(rule: RankingRule, title: str, start: date | None, until: date | None) -> None:
    """A period may be ranked once per rule: it has a title, ends after it begins, lasts at most
    about a year, and overlaps no period already ranked by the rule's code."""
    title = (title or "").strip()
    if not title or len(title) > 200:
        raise RankingError("请填写考评期名称（200字以内）", "give the period a title (at most 200 characters)")
    if start is None or until is None or until <= start:
        raise RankingError("考评期的结束日期须晚于开始日期", "the period must end after it begins")
    if until - start > timedelta(days=MAX_PERIOD_DAYS):
        raise RankingError("一个考评期不超过一年", "a period lasts at most a year")
    overlapping = db.session.scalar(
        select(Ranking.period_title).where(Ranking.rule_code == rule.code, Ranking.period_from < until, Ranking.period_until > start)
    )
    if overlapping is not None:
        raise RankingError(
            f"这一期与已公布的“{overlapping}”重叠：每个时段只排名一次",
            f"the period overlaps the published ranking “{overlapping}”: each time is ranked once",
        )


def _utc(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), zone).astimezone(UTC)


# --- gathering and computing (the job) -----------------------------------------------------------------


@dataclass
class Source:
    """An estate and a firm that served it during the period, with the results that closed in it."""

    estate_id: int
    estate_name: str
    firm_id: int
    firm_name: str
    uscc: str
    results: list[dict] = field(default_factory=list)
    # What the ranking takes from each inspection of the estate's firm dated in the period, taken
    # once its inspector's signature checks (webapp.inspections.operations.ranking_input).
    inspections: list[dict] = field(default_factory=list)

    def row(self, inputs: list[dict]) -> dict:
        return {
            "estate": {"id": self.estate_id, "name": self.estate_name},
            "firm": {"name": self.firm_name, "uscc": self.uscc},
            "evaluations": inputs,
            "inspections": self.inspections,
        }


def gather(period: dict) -> list[Source]:
    """Every estate with the firm(s) that served it during the period (those without an
    evaluation are listed unscored), every published evaluation result that closed in it, and
    every inspection of a firm dated in it (each checked against its inspector's signature)."""
    zone = ZoneInfo(period["zone"])
    start, until = date.fromisoformat(period["from"]), date.fromisoformat(period["until"])
    sources: dict[tuple[int, int], Source] = {}

    def source(estate: Estate, firm: Firm) -> Source:
        key = (estate.id, firm.id)
        if key not in sources:
            sources[key] = Source(estate.id, estate.name, firm.id, firm.name, firm.uscc)
        return sources[key]

    served = db.session.scalars(
        select(FirmEstate)
        .where(FirmEstate.since < until, or_(FirmEstate.until.is_(None), FirmEstate.until > start))
        .order_by(FirmEstate.id)
    )
    for service in served:
        source(service.estate, service.firm)
    published = db.session.scalars(
        select(Evaluation)
        .where(and_(Evaluation.state == "published", Evaluation.closes >= _utc(start, zone), Evaluation.closes < _utc(until, zone)))
        .order_by(Evaluation.id)
    )
    for evaluation in published:
        source(evaluation.estate, evaluation.firm).results.append(json.loads(evaluation.result))
    for inspection in inspection_ops.in_period(start, until):
        try:
            taken = inspection_ops.ranking_input(inspection)
        except InspectionError as exc:
            raise RankingError(exc.zh, exc.en) from None
        source(inspection.estate, inspection.firm).inspections.append(taken)
    return sorted(sources.values(), key=lambda s: (s.estate_id, s.firm_id))


def inputs_of(source: Source, rule: dict) -> list[dict]:
    """Check each result (the server's signatures by a key of the installation, every token, the
    recount) before taking its numbers: a result that fails is an alarm, and the ranking is not made."""
    out = []
    for result in source.results:
        try:
            ev.verify_result(result, installation_jwk(result))
        except CryptoError as exc:
            number = result.get("evaluation", {}).get("id", "?")
            raise RankingError(
                f"测评 {number}（{source.estate_name}）的公布结果核验失败，排名未生成：{exc}",
                f"the published result of evaluation {number} ({source.estate_name}) does not verify; no ranking was made: {exc}",
            ) from None
        out.append(rk.evaluation_inputs(result, rule["satisfied_at"]))
    return out


def store(rule: RankingRule, document: dict, *, actor) -> Ranking:
    """Keep a signed ranking and its lines (the PDF is added by the caller, from the document)."""
    period = document["period"]
    text = canonical_json(document).decode()
    ranking = Ranking(
        rule_id=rule.id,
        rule_code=rule.code,
        period_title=period["title"],
        period_from=date.fromisoformat(period["from"]),
        period_until=date.fromisoformat(period["until"]),
        document=text,
        sha256=hashlib.sha256(text.encode()).hexdigest(),
        pdf=b"",
        pdf_sha256="",
        published_by_id=getattr(actor, "id", None),
    )
    db.session.add(ranking)
    db.session.flush()
    firms = {f.uscc: f.id for f in db.session.scalars(select(Firm))}
    for position, row in enumerate(document["estates"]):
        db.session.add(
            RankingEntry(
                ranking_id=ranking.id,
                position=position,
                estate_id=row["estate"]["id"],
                firm_id=firms[row["firm"]["uscc"]],
                score=row["score"],
                shown=row["shown"],
                rank=row["rank"],
                band=row["band"],
                fails=row["fails"],
            )
        )
    db.session.flush()
    rows = document["estates"]
    record(
        "ranking.publish",
        actor=actor,
        obj=ranking,
        period=period["title"],
        sha256=ranking.sha256,
        estates=len(rows),
        red=sum(1 for r in rows if r["band"] == "red"),
        black=sum(1 for r in rows if r["band"] == "black"),
    )
    return ranking


def attach_pdf(ranking: Ranking, pdf: bytes) -> None:
    ranking.pdf = pdf
    ranking.pdf_sha256 = hashlib.sha256(pdf).hexdigest()


# --- reading --------------------------------------------------------------------------------------


@dataclass
class VerifiedRanking:
    document: dict | None
    problems: list[tuple[str, str]] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return self.document is not None and not self.problems


def verified(ranking: Ranking) -> VerifiedRanking:
    """The ranking's document if its bytes hash to the stored digest, its server signatures verify
    with the installation's key it names (valid when it was published) and every number follows
    from its inputs; else the problems."""
    problems: list[tuple[str, str]] = []
    if hashlib.sha256(ranking.document.encode()).hexdigest() != ranking.sha256:
        problems.append(("排名与其摘要不符：内容被改动过", "the ranking does not match its digest: it was changed"))
    try:
        document = json.loads(ranking.document)
        rk.verify_ranking(document, installation_jwk(document, document.get("published")))
    except (CryptoError, ValueError) as exc:
        problems.append(
            (f"服务器对排名的签名或其计算核验失败：{exc}", f"the server's signature on the ranking, or its numbers, do not verify: {exc}")
        )
        document = None
    return VerifiedRanking(document if not problems else None, problems)


def published_rankings() -> list[Ranking]:
    return list(db.session.scalars(select(Ranking).order_by(Ranking.period_until.desc(), Ranking.id.desc())))


def firm_history(firm: Firm) -> list[RankingEntry]:
    """The firm's lines in every published ranking, newest period first (its score history)."""
    return list(
        db.session.scalars(
            select(RankingEntry)
            .join(Ranking, RankingEntry.ranking_id == Ranking.id)
            .where(RankingEntry.firm_id == firm.id)
            .order_by(Ranking.period_until.desc(), RankingEntry.estate_id)
        )
    )


def latest_standings(firms: list[Firm]) -> dict[int, Standing]:
    """Each firm's lines in the latest published ranking that names it (the pool's page asks,
    webapp/pool/hooks.py); a firm no ranking names is left out."""
    ids = [f.id for f in firms]
    if not ids:
        return {}
    entries = db.session.scalars(
        select(RankingEntry)
        .join(Ranking, RankingEntry.ranking_id == Ranking.id)
        .where(RankingEntry.firm_id.in_(ids))
        .order_by(Ranking.period_until.desc(), Ranking.id.desc(), RankingEntry.position)
    )
    out: dict[int, Standing] = {}
    for entry in entries:
        standing = out.setdefault(entry.firm_id, Standing(entry.ranking_id, entry.ranking.period_title))
        if standing.ranking_id == entry.ranking_id:
            standing.lines.append(StandingLine(entry.estate.name, entry.shown, entry.band))
    return out


def publish_now(rule: RankingRule, period: dict, *, actor, server: Signer, base_url: str, now: datetime) -> Ranking:
    """Rank a period at once, in the caller's transaction (the demo; people start the job)."""
    check_period(rule, period["title"], date.fromisoformat(period["from"]), date.fromisoformat(period["until"]))
    rule_doc = rule_document(rule)
    rows = [source.row(inputs_of(source, rule_doc)) for source in gather(period)]
    document = rk.sign_ranking(server, rk.build(rule_doc, period, rows, published=int(now.timestamp() * 1000)))
    ranking = store(rule, document, actor=actor)
    attach_pdf(ranking, render_ranking(document, ranking.sha256, page_url=f"{base_url.rstrip('/')}/rankings/{ranking.id}"))
    return ranking
