"""Turnout: who has voted, in area and heads, against the quorum; which units (never names, never
choices).  Pure arithmetic on integers, from the frozen roll and the accepted ballots."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from tally.model import STATUTE_QUORUM
from webapp.core.db import db
from webapp.registry.counting import DEVELOPER_MEMBER_ID, natural_key
from webapp.registry.models import Unit, UnitStatus
from webapp.rolls.models import RollEntry
from webapp.voting.publication import voted_members


@dataclass(frozen=True)
class Turnout:
    total_area: int
    total_heads: int
    voted_area: int
    voted_heads: int
    ballots: int

    @staticmethod
    def _needed(whole: int) -> int:
        """The least part that meets the statute's quorum (at least 2/3), exactly."""
        p, q = STATUTE_QUORUM.p, STATUTE_QUORUM.q
        return -(-p * whole // q)

    @property
    def area_needed(self) -> int:
        return self._needed(self.total_area)

    @property
    def heads_needed(self) -> int:
        return self._needed(self.total_heads)

    @property
    def area_missing(self) -> int:
        return max(0, self.area_needed - self.voted_area)

    @property
    def heads_missing(self) -> int:
        return max(0, self.heads_needed - self.voted_heads)

    @property
    def quorum_met(self) -> bool:
        return STATUTE_QUORUM.met(self.voted_area, self.total_area) and STATUTE_QUORUM.met(self.voted_heads, self.total_heads)

    @staticmethod
    def percent(part: int, whole: int) -> str:
        """Truncated to two decimals, never overstating (66.66 % for 2/3)."""
        if whole <= 0:
            return "—"
        hundredths = part * 10000 // whole
        return f"{hundredths // 100}.{hundredths % 100:02d}%"


def turnout(assembly, voted: set[str] | None = None) -> Turnout:
    """``voted``: ``voted_members(assembly)`` if the caller has it already."""
    entries = db.session.execute(
        select(RollEntry.member, RollEntry.area_centi, RollEntry.heads).where(RollEntry.roll_id == assembly.roll_id)
    ).all()
    voted = voted_members(assembly) if voted is None else voted
    area = sum(e.area_centi for e in entries if e.member in voted)
    heads = sum(e.heads for e in entries if e.member in voted)
    return Turnout(sum(e.area_centi for e in entries), sum(e.heads for e in entries), area, heads, len(voted))


def units_by_member(assembly) -> dict[str, list[tuple[str, int]]]:
    """Pseudonym → [(unit label, area)] for the assembly's roll (the units behind each member)."""

    refs = dict(db.session.execute(select(RollEntry.member, RollEntry.member_ref).where(RollEntry.roll_id == assembly.roll_id)).all())
    by_owner: dict[int, list[tuple[str, int]]] = {}
    developer: list[tuple[str, int]] = []
    for unit in db.session.scalars(select(Unit).where(Unit.estate_id == assembly.estate_id)):
        if unit.status is not UnitStatus.delivered:
            developer.append((unit.label, unit.area_centi))
        elif unit.owner_id is not None:
            by_owner.setdefault(unit.owner_id, []).append((unit.label, unit.area_centi))
    out = {}
    for member, ref in refs.items():
        units = developer if ref == DEVELOPER_MEMBER_ID else by_owner.get(int(ref.split(":", 1)[1]), [])
        out[member] = sorted(units, key=lambda u: natural_key(u[0]))
    return out


def voted_units(voted: set[str], units: dict[str, list[tuple[str, int]]]) -> list[str]:
    """Every unit whose member is in ``voted``, in natural order, as the public sees them: unit
    numbers without their areas, which the published roll pairs with pseudonyms (docs/security.md,
    "Pseudonymity").  ``units``: ``units_by_member``'s answer."""
    labels = [label for member, us in units.items() if member in voted for label, _area in us]
    return sorted(labels, key=natural_key)


def unit_on_roll(units: dict[str, list[tuple[str, int]]], label: str) -> bool:
    """Whether a unit of this label (any case) is on the roll, from ``units_by_member``'s answer."""
    return label.upper() in {unit.upper() for listed in units.values() for unit, _area in listed}


def not_voted_by_building(assembly, voted: set[str] | None = None) -> dict[str, list[tuple[str, int]]]:
    """For organisers knocking on doors: the units whose member has not voted, by building."""
    voted = voted_members(assembly) if voted is None else voted
    out: dict[str, list[tuple[str, int]]] = {}
    for member, units in units_by_member(assembly).items():
        if member in voted:
            continue
        for label, area in units:
            out.setdefault(label.split("-", 1)[0], []).append((label, area))
    return {b: sorted(us, key=lambda u: natural_key(u[0])) for b, us in sorted(out.items(), key=lambda kv: natural_key(kv[0]))}


def member_by_unit(units: dict[str, list[tuple[str, int]]]) -> dict[str, str]:
    """Unit label → the member it belongs to, from ``units_by_member``'s answer (read once)."""
    return {label: member for member, listed in units.items() for label, _area in listed}


def member_for_unit(assembly, label: str) -> str | None:
    return member_by_unit(units_by_member(assembly)).get(label)
