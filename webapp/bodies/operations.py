"""Who organises an estate's assemblies, and what every notice, letter, sheet and result calls it.

The platform (which appoints organisers) or the estate's supervisors (the community and the
sub-district, who guide the committee's election and form a 物管会) record each term of the
organising body; a new term is a new record, never an edit of the one before.  Pure business
rules: no request in sight, and the caller commits.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select

from webapp.audit.operations import record
from webapp.bodies.models import BODY_KINDS, OrganisingBody
from webapp.core import db as database
from webapp.core.db import db
from webapp.core.errors_base import UserError
from webapp.core.roles import Role
from webapp.core.timefmt import zone
from webapp.estates.models import Estate


class BodyError(UserError):
    pass


# kind: (Chinese name, English name, Chinese short name)
KIND_WORDS = {
    "committee": ("业主委员会", "owners' committee", "业委会"),
    "preparatory": ("首次业主大会筹备组", "preparatory group of the first assembly", "筹备组"),
    "management": ("物业管理委员会", "property management committee", "物管会"),
}
# 业主大会和业主委员会指导规则: a committee's term is at most five years (it may be re-elected).
COMMITTEE_MAX_YEARS = 5
MAX_MEMBERS = 40


@dataclass(frozen=True)
class Member:
    name: str
    post: str


def today_in(estate: Estate, now: datetime | None = None) -> date:
    """The estate's own date now (or at ``now``), by the database's clock."""
    return (now or database.db_now()).astimezone(zone(estate)).date()


def add_months(day: date, months: int) -> date:
    """``day`` moved by whole months, the day clamped to the month's last (31 March - 1 = 28/29 Feb)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def parse_members(text: str) -> list[dict]:
    """Members as typed, one a line: the name, then (after a space or a colon) the post."""
    members = []
    for number, raw in enumerate((text or "").splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        parts = re.split(r"[\s:：，,、]+", line, maxsplit=1)
        name = parts[0].strip()
        post = parts[1].strip() if len(parts) > 1 else ""
        if len(name) > 60 or len(post) > 60:
            raise BodyError(
                f"成员第 {number} 行太长：姓名和职务各不超过 60 个字",
                f"member line {number} is too long: a name and a post of at most 60 characters each",
            )
        members.append({"name": name, "post": post})
    return members


def record_body(
    estate: Estate,
    *,
    kind: str,
    members: list[dict],
    term_start: date | None,
    term_end: date | None,
    title: str | None = None,
    basis: str | None = None,
    actor,
) -> OrganisingBody:
    """Record a new term of the estate's organising body (it supersedes the one before from its
    start).  Refused, with nothing written, when the kind is unknown, the term runs backwards, a
    committee's term is missing its end or runs past five years, or nobody is named."""
    _may_record(actor, estate)
    if kind not in BODY_KINDS:
        raise BodyError(
            f"未知的组织机构类型“{kind}”：只能是业主委员会、首次业主大会筹备组或物业管理委员会",
            f"unknown kind of organising body {kind!r}: it is an owners' committee, a preparatory group or a property management committee",
        )
    if term_start is None:
        raise BodyError("请填写任期开始日期", "give the date the term begins")
    if term_end is not None and term_end < term_start:
        raise BodyError(
            f"任期结束日期（{term_end.isoformat()}）早于开始日期（{term_start.isoformat()}）：请检查两个日期",
            f"the term ends ({term_end.isoformat()}) before it begins ({term_start.isoformat()}): check both dates",
        )
    if kind == "committee":
        if term_end is None:
            raise BodyError(
                "业主委员会须填写任期结束日期（每届不超过 5 年），换届提醒据此发出",
                "an owners' committee needs the end of its term (at most five years): the reminder to prepare the next term is sent from it",
            )
        if term_end > add_months(term_start, 12 * COMMITTEE_MAX_YEARS):
            raise BodyError(
                "业主委员会每届任期不超过 5 年（《业主大会和业主委员会指导规则》）：请检查结束日期",
                "an owners' committee's term is at most five years (Guiding Rules for Owners' Assemblies and Committees): check the end date",
            )
    cleaned = []
    for member in members or []:
        name = str(member.get("name") or "").strip()
        if name:
            cleaned.append({"name": name[:60], "post": str(member.get("post") or "").strip()[:60]})
    if not cleaned:
        raise BodyError("请至少填写一名成员（每行一人：姓名 职务）", "name at least one member (one a line: name, then post)")
    if len(cleaned) > MAX_MEMBERS:
        raise BodyError(f"成员不能超过 {MAX_MEMBERS} 人", f"at most {MAX_MEMBERS} members")
    title = (title or "").strip() or None
    if title is not None and len(title) > 200:
        raise BodyError("名称不超过 200 个字", "the name has at most 200 characters")
    latest = current_body(estate)
    if latest is not None and term_start < latest.term_start:
        raise BodyError(
            f"新一届的任期开始（{term_start.isoformat()}）不能早于上一届（{latest.term_start.isoformat()}）：历届记录只能向后添加",
            f"a new term cannot begin ({term_start.isoformat()}) before the last recorded one ({latest.term_start.isoformat()}): "
            "the history only grows forward",
        )
    body = OrganisingBody(
        estate_id=estate.id,
        kind=kind,
        title=title,
        members=cleaned,
        term_start=term_start,
        term_end=term_end,
        basis=(basis or "").strip()[:2000] or None,
        recorded_by_id=getattr(actor, "id", None),
    )
    db.session.add(body)
    db.session.flush()
    record(
        "body.record",
        actor=actor,
        estate_id=estate.id,
        obj=body,
        kind=kind,
        name=display_name(body, estate),
        term_start=term_start.isoformat(),
        term_end=term_end.isoformat() if term_end else None,
        members=len(cleaned),
    )
    return body


def _may_record(actor, estate: Estate) -> None:
    if getattr(actor, "is_platform_admin", False):
        return
    role = actor.role_in(estate.id) if hasattr(actor, "role_in") else None
    if role is not Role.supervisor:
        raise BodyError(
            "只有平台管理员或本小区的监督员（社区、街道）可以登记组织机构",
            "only the platform or this estate's supervisors (community, sub-district) record the organising body",
        )


def history(estate: Estate) -> list[OrganisingBody]:
    """Every recorded term, the latest first."""
    return list(
        db.session.scalars(
            select(OrganisingBody)
            .where(OrganisingBody.estate_id == estate.id)
            .order_by(OrganisingBody.term_start.desc(), OrganisingBody.id.desc())
        )
    )


def histories(estate_ids: Iterable[int]) -> dict[int, list[OrganisingBody]]:
    """Every recorded term of each of these estates, the latest first (as ``history``), in one
    read: for a page that lists many estates (the district view)."""
    found: dict[int, list[OrganisingBody]] = {}
    ids = list(estate_ids)
    if not ids:
        return found
    for body in db.session.scalars(
        select(OrganisingBody)
        .where(OrganisingBody.estate_id.in_(ids))
        .order_by(OrganisingBody.estate_id, OrganisingBody.term_start.desc(), OrganisingBody.id.desc())
    ):
        found.setdefault(body.estate_id, []).append(body)
    return found


def in_force(terms: list[OrganisingBody], day: date) -> OrganisingBody | None:
    """Of an estate's terms (latest first, as ``history`` gives them), the one in force on ``day``:
    the latest whose term had begun (``body_on`` without a read)."""
    return next((body for body in terms if body.term_start <= day), None)


def current_body(estate: Estate) -> OrganisingBody | None:
    """The latest recorded term (begun or about to begin)."""
    found = history(estate)
    return found[0] if found else None


def body_on(estate: Estate, day: date) -> OrganisingBody | None:
    """The body in force on ``day``: the latest whose term had begun."""
    return db.session.scalar(
        select(OrganisingBody)
        .where(OrganisingBody.estate_id == estate.id, OrganisingBody.term_start <= day)
        .order_by(OrganisingBody.term_start.desc(), OrganisingBody.id.desc())
        .limit(1)
    )


def display_name(body: OrganisingBody, estate: Estate) -> str:
    """What a document calls the body: its recorded name, or the estate's name and its kind."""
    if body.title:
        return body.title if body.title.startswith(estate.name) else f"{estate.name}{body.title}"
    return f"{estate.name}{KIND_WORDS[body.kind][0]}"


def organiser_name(estate: Estate, at: datetime | date | None = None) -> str:
    """The name every notice, letter, ballot sheet and result gives the organiser: the body in
    force on the document's date (today when none), else the estate's own label, else the
    estate's assembly."""
    if at is None:
        at = today_in(estate)
    day = at.astimezone(zone(estate)).date() if isinstance(at, datetime) else at
    body = body_on(estate, day)
    if body is not None:
        return display_name(body, estate)
    return estate.organiser_label or f"{estate.name}业主大会"


def kind_words(kind: str, chinese: bool) -> str:
    zh, en, _short = KIND_WORDS.get(kind, (kind, kind, kind))
    return zh if chinese else en


def reminder_due_on(body: OrganisingBody, estate: Estate) -> date | None:
    """The day the supervisors are to be reminded of the term's end (None: no end recorded)."""
    if body.term_end is None:
        return None
    return add_months(body.term_end, -estate.term_reminder_months)


def term_warning(estate: Estate, today: date | None = None, *, terms: list[OrganisingBody] | None = None) -> tuple[str, str] | None:
    """What the supervisors' and organisers' pages say when the current term ends within the
    estate's reminder months (or has ended), in both languages; None otherwise.  ``terms``: the
    estate's terms already read (``histories``), latest first."""
    body = (terms[0] if terms else None) if terms is not None else current_body(estate)
    if body is None or body.term_end is None:
        return None
    today = today or today_in(estate)
    due = reminder_due_on(body, estate)
    if due is None or today < due:
        return None
    name = display_name(body, estate)
    end = body.term_end.isoformat()
    if today > body.term_end:
        return (
            f"{name}的任期已于 {end} 届满，尚未登记新一届：请尽快组织换届，并在这里登记新一届组织机构。",
            f"The term of {name} ended on {end} and no new term is recorded: organise the next term and record it here.",
        )
    return (
        f"{name}的任期将于 {end} 届满：请提前组织换届选举（换届），选出后在这里登记新一届。",
        f"The term of {name} ends on {end}: prepare the election of the next term (换届) and record it here once chosen.",
    )
