"""The district's view of its estates: who may see which, each estate's line, and the figures the
districts report upward (物业覆盖率: the share of estates with a firm; more join as they are
recorded), month by month.  No request in sight: the views pass the user and the filter."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select

from webapp.assemblies import lifecycle
from webapp.assemblies.models import Assembly
from webapp.audit.operations import record
from webapp.auth.models import StaffUser
from webapp.bodies import operations as bodies
from webapp.bodies.models import OrganisingBody
from webapp.core.db import db
from webapp.core.errors_base import UserError
from webapp.district.models import EstateArea, StaffArea
from webapp.estates.models import Estate
from webapp.firms.models import Firm, FirmEstate
from webapp.inspections.models import RectificationNotice
from webapp.petitions import operations as petitions
from webapp.petitions.models import Petition
from webapp.rankings import operations as rankings
from webapp.rankings.models import Ranking, RankingEntry
from webapp.results.signatures import verified_result
from webapp.voting.turnout import Turnout, turnout


class DistrictError(UserError):
    def __init__(self, zh: str, en: str, status: int = 400):
        super().__init__(zh, en)
        self.status = status


NAME_MAX = 100
RUNNING = ("notice", "voting", "closed", "tallied", "certified")  # begun, not yet published
DONE = ("published", "archived")


# --- who sees what ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """The estates a person may see: every one (``district`` None), a district's, or one of its
    sub-districts'."""

    district: str | None = None
    sub_district: str | None = None

    @property
    def everything(self) -> bool:
        return self.district is None


def scope_of(user) -> Scope:
    """A platform admin sees every estate; district or sub-district staff their area; others none."""
    if getattr(user, "is_platform_admin", False):
        return Scope()
    area = db.session.scalar(select(StaffArea).where(StaffArea.staff_user_id == getattr(user, "id", None)))
    if area is None:
        raise DistrictError(
            "区域总览只对区、街道工作人员和平台管理员开放：请平台管理员为您的账号登记所负责的区或街道",
            "the district view is for district and sub-district staff and platform admins: ask a platform admin "
            "to record the district or sub-district your account oversees",
            403,
        )
    return Scope(area.district, area.sub_district)


def narrowed(scope: Scope, district: str | None, sub_district: str | None) -> Scope:
    """The part of ``scope`` a request asks for; a request reaching outside it is refused."""
    district = (district or "").strip() or None
    sub_district = (sub_district or "").strip() or None
    if sub_district and not district:
        district = scope.district
        if district is None:
            raise DistrictError("按街道筛选时请同时选择所在的区", "choose the district of the sub-district too")
    if scope.district is not None:
        if district not in (None, scope.district) or (scope.sub_district and sub_district not in (None, scope.sub_district)):
            mine = scope.district + (f" {scope.sub_district}" if scope.sub_district else "")
            raise DistrictError(
                f"您只能查看本辖区（{mine}）的小区",
                f"you may see only the estates of your own area ({mine})",
                403,
            )
        return Scope(scope.district, sub_district or scope.sub_district)
    return Scope(district, sub_district)


def estates_in(scope: Scope) -> list[Estate]:
    query = select(Estate).order_by(Estate.name, Estate.id)
    if not scope.everything:
        query = query.join(EstateArea, EstateArea.estate_id == Estate.id).where(EstateArea.district == scope.district)
        if scope.sub_district:
            query = query.where(EstateArea.sub_district == scope.sub_district)
    return list(db.session.scalars(query))


def areas() -> dict[str, list[str]]:
    """Every district recorded, with its sub-districts (for the filter)."""
    out: dict[str, set[str]] = {}
    for district, sub in db.session.execute(select(EstateArea.district, EstateArea.sub_district)):
        out.setdefault(district, set()).add(sub)
    return {d: sorted(subs) for d, subs in sorted(out.items())}


def can_see(user) -> bool:
    """Whether the district view is for this person (the navigation asks)."""
    try:
        scope_of(user)
    except DistrictError:
        return False
    return True


# --- recording the areas (platform admins) ----------------------------------------------------------


def _name(value: str | None, zh: str, en: str, *, required: bool = True) -> str | None:
    value = (value or "").strip()
    if not value:
        if required:
            raise DistrictError(f"请填写{zh}", f"enter the {en}")
        return None
    if len(value) > NAME_MAX:
        raise DistrictError(f"{zh}最多 {NAME_MAX} 个字", f"the {en} can have at most {NAME_MAX} characters")
    return value


def set_estate_area(estate: Estate, district: str | None, sub_district: str | None, *, actor) -> EstateArea:
    district = _name(district, "所在区", "district")
    sub_district = _name(sub_district, "所在街道", "sub-district")
    area = db.session.scalar(select(EstateArea).where(EstateArea.estate_id == estate.id))
    before = None if area is None else [area.district, area.sub_district]
    if area is None:
        area = EstateArea(estate_id=estate.id, district=district, sub_district=sub_district)
        db.session.add(area)
    else:
        area.district, area.sub_district = district, sub_district
    db.session.flush()
    if before != [district, sub_district]:
        record("district.estate_area", actor=actor, estate_id=estate.id, obj=estate, district=district, sub_district=sub_district)
    return area


def set_staff_area(user: StaffUser, district: str | None, sub_district: str | None, *, actor) -> StaffArea | None:
    """Record the area a staff member oversees (a district, or one of its sub-districts); no
    district at all takes the district view away."""
    district = _name(district, "所负责的区", "district overseen", required=False)
    sub_district = _name(sub_district, "所负责的街道", "sub-district overseen", required=False)
    if sub_district and not district:
        raise DistrictError("负责某个街道时请同时填写所在的区", "a sub-district overseen needs its district")
    if user.is_platform_admin:
        raise DistrictError("平台管理员本来就能看到所有小区", "a platform admin sees every estate already")
    area = db.session.scalar(select(StaffArea).where(StaffArea.staff_user_id == user.id))
    before = None if area is None else [area.district, area.sub_district]
    if district is None:
        if area is not None:
            db.session.delete(area)
    elif area is None:
        area = StaffArea(staff_user_id=user.id, district=district, sub_district=sub_district)
        db.session.add(area)
    else:
        area.district, area.sub_district = district, sub_district
    db.session.flush()
    if before != ([district, sub_district] if district else None):
        record("district.staff_area", actor=actor, obj=user, district=district or "—", sub_district=sub_district or "—")
    return area if district else None


# --- an estate's line ------------------------------------------------------------------------------


@dataclass
class Score:
    shown: str | None
    band: str | None
    period: str
    ranking_id: int
    intact: bool


@dataclass
class Running:
    assembly: Assembly
    turnout: Turnout | None  # as the public sees it (in batches while voting is open)


@dataclass
class LastResult:
    assembly: Assembly
    passed: int
    items: int
    certified: bool
    intact: bool


@dataclass
class EstateLine:
    estate: Estate
    area: EstateArea | None
    firm: Firm | None
    firm_since: date | None
    score: Score | None
    running: list[Running] = field(default_factory=list)
    last: LastResult | None = None
    body: OrganisingBody | None = None  # in force today
    body_name: str = ""
    term_warning: tuple[str, str] | None = None  # (zh, en): the term ends soon or has ended (换届)
    petitions: list[OpenPetition] = field(default_factory=list)
    overdue: list[RectificationNotice] = field(default_factory=list)  # rectification notices past their deadline


@dataclass
class OpenPetition:
    petition: Petition
    shown: petitions.Shown


def _latest_scores(estate_ids: set[int]) -> dict[int, Score]:
    """Each estate's line in the newest ranking that has it, read from that ranking's signed
    document after checking it (a ranking that does not verify is shown as such, not its scores)."""
    entries = db.session.execute(
        select(RankingEntry.estate_id, Ranking)
        .join(Ranking, RankingEntry.ranking_id == Ranking.id)
        .where(RankingEntry.estate_id.in_(estate_ids))
        .order_by(Ranking.period_until.desc(), Ranking.id.desc())
    ).all()
    checked: dict[int, rankings.VerifiedRanking] = {}
    out: dict[int, Score] = {}
    for estate_id, ranking in entries:
        if estate_id in out:
            continue
        if ranking.id not in checked:
            checked[ranking.id] = rankings.verified(ranking)
        verified = checked[ranking.id]
        row = None
        if verified.intact:
            row = next((r for r in verified.document["estates"] if r["estate"]["id"] == estate_id), None)
        out[estate_id] = Score(
            row["shown"] if row else None,
            row["band"] if row else None,
            ranking.period_title,
            ranking.id,
            verified.intact and row is not None,
        )
    return out


def _last_result(assembly: Assembly) -> LastResult:
    result = verified_result(assembly)
    items = (result.document or {}).get("items", {}) if result.intact else {}
    return LastResult(assembly, sum(1 for i in items.values() if i.get("passed")), len(items), result.certified, result.intact)


def advance(estates: Sequence[Estate]) -> bool:
    """Make the transitions due by the clock (voting opened or closed) before reading, as the
    estates' own pages do; True when one was made (the caller commits, once)."""
    return any([lifecycle.advance_estate(e) for e in estates])


def lines(estates: Sequence[Estate]) -> list[EstateLine]:
    ids = {e.id for e in estates}
    if not ids:
        return []
    area_of = {a.estate_id: a for a in db.session.scalars(select(EstateArea).where(EstateArea.estate_id.in_(ids)))}
    serving: dict[int, FirmEstate] = {}
    for service in db.session.scalars(
        select(FirmEstate).where(FirmEstate.estate_id.in_(ids), FirmEstate.until.is_(None)).order_by(FirmEstate.since)
    ):
        serving[service.estate_id] = service  # the newest open service
    scores = _latest_scores(ids)
    assemblies: dict[int, list[Assembly]] = {}
    for assembly in db.session.scalars(
        select(Assembly)
        .where(Assembly.estate_id.in_(ids), Assembly.state != "draft")
        .order_by(Assembly.opens_at.desc(), Assembly.id.desc())
    ):
        assemblies.setdefault(assembly.estate_id, []).append(assembly)
    open_petitions: dict[int, list[OpenPetition]] = {}
    for petition in db.session.scalars(
        select(Petition).where(Petition.estate_id.in_(ids), Petition.state == "open").order_by(Petition.opened_at)
    ):
        open_petitions.setdefault(petition.estate_id, []).append(OpenPetition(petition, petitions.shown(petition)))
    overdue: dict[int, list[RectificationNotice]] = {}
    out = []
    for notice in db.session.scalars(
        select(RectificationNotice)
        .where(RectificationNotice.estate_id.in_(ids), RectificationNotice.state == "open")
        .order_by(RectificationNotice.deadline)
    ):
        if notice.deadline < bodies.today_in(notice.estate):
            overdue.setdefault(notice.estate_id, []).append(notice)
    terms = bodies.histories(ids)  # one read of every estate's organising bodies
    for estate in estates:
        service = serving.get(estate.id)
        mine = assemblies.get(estate.id, [])
        body = bodies.in_force(terms.get(estate.id, []), bodies.today_in(estate))
        running = [Running(a, turnout(a) if a.roll_id is not None and a.state != "notice" else None) for a in mine if a.state in RUNNING]
        done = next((a for a in mine if a.state in DONE), None)
        out.append(
            EstateLine(
                estate=estate,
                area=area_of.get(estate.id),
                firm=service.firm if service else None,
                firm_since=service.since if service else None,
                score=scores.get(estate.id),
                running=running,
                last=_last_result(done) if done is not None else None,
                body=body,
                body_name=bodies.display_name(body, estate) if body is not None else "",
                term_warning=bodies.term_warning(estate, terms=terms.get(estate.id, [])),
                petitions=open_petitions.get(estate.id, []),
                overdue=overdue.get(estate.id, []),
            )
        )
    return out


# --- the figures over time ---------------------------------------------------------------------------

# What the districts report upward, each a count of estates at a day: name → (zh, en, function
# (estate ids, day) → how many of them have it).  Firms here; the organising body joins it.
Measure = Callable[[set[int], date], int]
MEASURES: dict[str, tuple[str, str, Measure]] = {}


def _with_firm(estate_ids: set[int], day: date) -> int:
    rows = db.session.scalars(
        select(FirmEstate.estate_id)
        .where(FirmEstate.estate_id.in_(estate_ids), FirmEstate.since <= day, or_(FirmEstate.until.is_(None), FirmEstate.until > day))
        .distinct()
    )
    return len(set(rows))


def _with_body(estate_ids: set[int], day: date) -> int:
    """Estates whose owners' committee or 物管会 was in force on ``day`` (a preparatory group is
    not yet a committee): the latest term begun by then, not yet ended."""
    rows = db.session.execute(
        select(OrganisingBody.estate_id, OrganisingBody.kind, OrganisingBody.term_end)
        .where(OrganisingBody.estate_id.in_(estate_ids), OrganisingBody.term_start <= day)
        .order_by(OrganisingBody.estate_id, OrganisingBody.term_start, OrganisingBody.id)
    ).all()
    latest = {estate_id: (kind, end) for estate_id, kind, end in rows}  # (ordered: the last one wins)
    return sum(1 for kind, end in latest.values() if kind in ("committee", "management") and (end is None or end >= day))


MEASURES["body"] = ("业委会（物管会）组建率", "estates with a committee or 物管会", _with_body)
MEASURES["firm"] = ("物业覆盖率", "estates with a firm", _with_firm)


def month_ends(today: date, months: int) -> list[date]:
    """The last day of each of the ``months`` months up to this one (for this month: today), oldest first."""
    out = [today]
    for _ in range(months - 1):
        out.append(date.fromordinal(out[-1].replace(day=1).toordinal() - 1))
    return list(reversed(out))


def percent_hundredths(part: int, whole: int) -> int | None:
    """``part / whole`` in hundredths of a percent, truncated (never overstating); None of nothing."""
    return None if whole <= 0 else part * 10000 // whole


def figures(estates: Iterable[Estate], today: date, zone: str, months: int = 12) -> dict:
    """Per month end: how many estates existed, and how many of them had each measure, with the
    share in hundredths of a percent (exact integers; the chart divides by 100)."""
    estates = list(estates)
    tz = ZoneInfo(zone)
    points = []
    for day in month_ends(today, months):
        end = datetime.combine(day, time.max, tz).astimezone(UTC)
        existing = {e.id for e in estates if e.created_at <= end}  # (UTCDateTime: aware on both backends)
        point = {"day": day.isoformat(), "estates": len(existing)}
        for name, (_zh, _en, count) in MEASURES.items():
            n = count(existing, day) if existing else 0
            point[name] = {"count": n, "hundredths": percent_hundredths(n, len(existing))}
        points.append(point)
    return {"measures": {name: {"zh": zh, "en": en} for name, (zh, en, _c) in MEASURES.items()}, "points": points}


def figures_json(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))
