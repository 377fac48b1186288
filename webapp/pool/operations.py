"""The district's pool of firms (优势资源库): platform admins keep each firm's contacts,
qualifications and notes, and record when and why it entered or left the pool; estates without a
firm (无物业小区) and firms of the pool say whom they would work with, and a match is when both
sides would.  Every change is audited; a refusal raises before anything is written."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from webapp.audit.operations import record
from webapp.core.db import db
from webapp.core.errors_base import UserError
from webapp.core.roles import Role
from webapp.estates.models import Estate
from webapp.firms.models import Firm, FirmEstate
from webapp.firms.operations import FirmError, clean_contacts, serving
from webapp.pool.models import Interest, PoolTerm

REASON_MAX = 500
TEXT_MAX = 4000


class PoolError(UserError):
    pass


ADMINS_ONLY = ("只有平台管理员可以管理优势资源库", "only platform administrators keep the district's pool")


def _require_admin(actor) -> None:
    if not getattr(actor, "is_platform_admin", False):
        raise PoolError(*ADMINS_ONLY)


# --- the pool ---------------------------------------------------------------------------------------


def open_term(firm: Firm) -> PoolTerm | None:
    """The firm's term in the pool now, or None when it is not in the pool."""
    return db.session.scalar(select(PoolTerm).where(PoolTerm.firm_id == firm.id, PoolTerm.left_on.is_(None)))


def in_pool(firm: Firm) -> bool:
    return open_term(firm) is not None


def pool_firms() -> list[Firm]:
    """The firms of the pool now, by name."""
    return list(
        db.session.scalars(select(Firm).join(PoolTerm, PoolTerm.firm_id == Firm.id).where(PoolTerm.left_on.is_(None)).order_by(Firm.name))
    )


def history(firm: Firm) -> list[PoolTerm]:
    """Every term of the firm in the pool, the latest first."""
    return list(
        db.session.scalars(select(PoolTerm).where(PoolTerm.firm_id == firm.id).order_by(PoolTerm.entered_on.desc(), PoolTerm.id.desc()))
    )


def _reason(reason: str | None) -> str:
    text = " ".join((reason or "").split())
    if not text:
        raise PoolError("请写明理由", "give the reason")
    if len(text) > REASON_MAX:
        raise PoolError(
            f"理由不能超过 {REASON_MAX} 个字（现为 {len(text)} 个）",
            f"the reason is at most {REASON_MAX} characters (this one has {len(text)})",
        )
    return text


def _day(day: date | None, today: date) -> date:
    if day is None:
        raise PoolError("请填写日期", "give the date")
    if day > today:
        raise PoolError(
            f"日期 {day.isoformat()} 晚于今天（{today.isoformat()}），尚未发生的事不能登记",
            f"{day.isoformat()} is after today ({today.isoformat()}): record it on the day",
        )
    return day


def enter_pool(firm: Firm, *, on: date | None, reason: str | None, today: date, actor) -> PoolTerm:
    """The firm enters the pool on ``on`` for ``reason`` (not before the day it last left)."""
    _require_admin(actor)
    if open_term(firm) is not None:
        raise PoolError(f"{firm.name}已在优势资源库中", f"{firm.name} is already in the pool")
    day, why = _day(on, today), _reason(reason)
    last = next(iter(history(firm)), None)
    if last is not None and last.left_on is not None and day < last.left_on:
        raise PoolError(
            f"入库日期不能早于上次出库日期 {last.left_on.isoformat()}",
            f"the date it enters cannot be before it last left ({last.left_on.isoformat()})",
        )
    term = PoolTerm(firm_id=firm.id, entered_on=day, entered_reason=why)
    db.session.add(term)
    db.session.flush()
    record("pool.enter", actor=actor, obj=firm, name=firm.name, uscc=firm.uscc, since=day.isoformat(), reason=why)
    return term


def leave_pool(firm: Firm, *, on: date | None, reason: str | None, today: date, actor) -> PoolTerm:
    """The firm leaves the pool on ``on`` for ``reason``; its term is kept, closed."""
    _require_admin(actor)
    term = open_term(firm)
    if term is None:
        raise PoolError(f"{firm.name}不在优势资源库中", f"{firm.name} is not in the pool")
    day, why = _day(on, today), _reason(reason)
    if day < term.entered_on:
        raise PoolError(
            f"出库日期不能早于入库日期 {term.entered_on.isoformat()}",
            f"the date it leaves cannot be before it entered ({term.entered_on.isoformat()})",
        )
    term.left_on, term.left_reason = day, why
    db.session.flush()
    record("pool.leave", actor=actor, obj=firm, name=firm.name, uscc=firm.uscc, until=day.isoformat(), reason=why)
    return term


@dataclass(frozen=True)
class Profile:
    """What the pool keeps of a firm besides its name and credit code."""

    contact_name: str | None = None
    contact_phone: str | None = None
    address: str | None = None
    qualifications: str | None = None
    notes: str | None = None


def _text(value: str | None, zh: str, en: str) -> str | None:
    text = (value or "").strip()
    if len(text) > TEXT_MAX:
        raise PoolError(
            f"{zh}不能超过 {TEXT_MAX} 个字（现为 {len(text)} 个）", f"{en} is at most {TEXT_MAX} characters (this one has {len(text)})"
        )
    return text or None


def update_profile(firm: Firm, profile: Profile, *, actor) -> dict:
    """The firm's contacts (checked as the register checks them), qualifications and notes; the
    audit event lists what changed.  Returns the changes (empty when nothing did)."""
    _require_admin(actor)
    try:
        person, phone, address = clean_contacts(profile.contact_name, profile.contact_phone, profile.address)
    except FirmError as exc:
        raise PoolError(exc.zh, exc.en) from None
    new = {
        "contact_name": person,
        "contact_phone": phone,
        "address": address,
        "qualifications": _text(profile.qualifications, "资质", "the qualifications"),
        "notes": _text(profile.notes, "备注", "the notes"),
    }
    changes = {key: {"from": getattr(firm, key), "to": value} for key, value in new.items() if getattr(firm, key) != value}
    if changes:
        for key, value in new.items():
            setattr(firm, key, value)
        db.session.flush()
        record("pool.profile", actor=actor, obj=firm, name=firm.name, uscc=firm.uscc, changes=changes)
    return changes


def served_now(firms: list[Firm]) -> dict[int, list[Estate]]:
    """The estates each firm serves now (its open services), by firm id."""
    out: dict[int, list[Estate]] = {f.id: [] for f in firms}
    if not firms:
        return out
    services = db.session.scalars(
        select(FirmEstate).where(FirmEstate.firm_id.in_(list(out)), FirmEstate.until.is_(None)).order_by(FirmEstate.since)
    )
    for service in services:
        out[service.firm_id].append(service.estate)
    return out


# --- two-way matching of estates without a firm ------------------------------------------------------


def estates_without_firm() -> list[Estate]:
    """The district's estates that no firm serves now (无物业小区), by name."""
    served = select(FirmEstate.estate_id).where(FirmEstate.until.is_(None))
    return list(db.session.scalars(select(Estate).where(Estate.id.not_in(served)).order_by(Estate.name)))


def _require_matchable(estate: Estate, firm: Firm) -> None:
    current = serving(estate)
    if current is not None:
        raise PoolError(
            f"{estate.name}已由{current.firm.name}提供物业服务：双向选择只用于无物业小区；要更换企业，请由业主大会表决选聘",
            f"{estate.name} is served by {current.firm.name}: matching is for estates without a firm; "
            "to change the firm, the owners' assembly selects one",
        )
    if not in_pool(firm):
        raise PoolError(
            f"{firm.name}不在区物业服务企业优势资源库中，不能参与双向选择",
            f"{firm.name} is not in the district's pool of firms, so it cannot be matched",
        )


def _interest(estate: Estate, firm: Firm, side: str) -> Interest | None:
    return db.session.scalar(select(Interest).where(Interest.estate_id == estate.id, Interest.firm_id == firm.id, Interest.side == side))


def _mark(estate: Estate, firm: Firm, side: str, *, actor) -> Interest:
    _require_matchable(estate, firm)
    if _interest(estate, firm, side) is not None:
        raise PoolError(
            "这一意向已经登记过了" if side == "estate" else f"{firm.name}对{estate.name}的意向已经登记过了",
            "this interest is already recorded" if side == "estate" else f"{firm.name}'s interest in {estate.name} is already recorded",
        )
    interest = Interest(estate_id=estate.id, firm_id=firm.id, side=side, marked_by_id=getattr(actor, "id", None))
    db.session.add(interest)
    db.session.flush()
    record(f"pool.{side}_interest", actor=actor, estate_id=estate.id, obj=firm, estate=estate.name, firm=firm.name, uscc=firm.uscc)
    if _interest(estate, firm, "firm" if side == "estate" else "estate") is not None:
        record("pool.match", actor=actor, estate_id=estate.id, obj=firm, estate=estate.name, firm=firm.name, uscc=firm.uscc)
    return interest


ORGANISERS_ONLY = (
    "只有本小区的组织者可以为小区登记意向企业",
    "only an organiser of this estate can record the estate's interest in a firm",
)
FOR_FIRMS = (
    "企业的意向由平台管理员代为登记",
    "a firm's interest is recorded by a platform administrator acting for it",
)


def _require_organiser(actor, estate: Estate) -> None:
    role = actor.role_in(estate.id) if hasattr(actor, "role_in") else None
    if role is not Role.organiser:
        raise PoolError(*ORGANISERS_ONLY)


def mark_estate_interest(estate: Estate, firm: Firm, *, actor) -> Interest:
    """The estate's organisers would have ``firm`` serve it."""
    _require_organiser(actor, estate)
    return _mark(estate, firm, "estate", actor=actor)


def mark_firm_interest(firm: Firm, estate: Estate, *, actor) -> Interest:
    """``firm`` would serve ``estate`` (a platform admin records it for the firm)."""
    if not getattr(actor, "is_platform_admin", False):
        raise PoolError(*FOR_FIRMS)
    return _mark(estate, firm, "firm", actor=actor)


def withdraw(interest: Interest, *, actor) -> None:
    """The side that marked an interest takes it back (the estate's organisers, or an admin for the firm)."""
    if interest.side == "estate":
        _require_organiser(actor, interest.estate)
    elif not getattr(actor, "is_platform_admin", False):
        raise PoolError(*FOR_FIRMS)
    estate, firm = interest.estate, interest.firm
    record(f"pool.{interest.side}_withdraw", actor=actor, estate_id=estate.id, obj=firm, estate=estate.name, firm=firm.name, uscc=firm.uscc)
    db.session.delete(interest)
    db.session.flush()


def interest_of(estate: Estate, firm: Firm, side: str) -> Interest | None:
    return _interest(estate, firm, side)


@dataclass(frozen=True)
class Pairing:
    """An estate without a firm and a firm of the pool, and who is interested in whom."""

    estate: Estate
    firm: Firm
    estate_wants: bool
    firm_wants: bool

    @property
    def match(self) -> bool:
        return self.estate_wants and self.firm_wants


def pairings(*, estate: Estate | None = None, firm: Firm | None = None) -> list[Pairing]:
    """Every recorded interest that still counts (the estate has no firm, the firm is in the
    pool), one line per estate and firm, matches first."""
    query = select(Interest)
    if estate is not None:
        query = query.where(Interest.estate_id == estate.id)
    if firm is not None:
        query = query.where(Interest.firm_id == firm.id)
    open_estates = {e.id for e in estates_without_firm()}
    pooled = {f.id for f in pool_firms()}
    found: dict[tuple[int, int], tuple[Interest, set[str]]] = {}
    for interest in db.session.scalars(query.order_by(Interest.id)):
        if interest.estate_id not in open_estates or interest.firm_id not in pooled:
            continue
        found.setdefault((interest.estate_id, interest.firm_id), (interest, set()))[1].add(interest.side)
    out = [Pairing(first.estate, first.firm, "estate" in sides, "firm" in sides) for first, sides in found.values()]
    return sorted(out, key=lambda p: (not p.match, p.estate.name, p.firm.name))


def matches(*, estate: Estate | None = None, firm: Firm | None = None) -> list[Pairing]:
    return [p for p in pairings(estate=estate, firm=firm) if p.match]
