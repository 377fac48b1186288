"""Voting members: who counts, with what area and how many heads (SPC interpretation Art. 8–9; docs/tally-format.md).

SPC interpretation on building ownership disputes, Art. 8 and 9: one exclusive part counts as one
person; all parts the developer has not sold, or sold and not yet delivered, count together as
one person; one buyer holding several parts counts as one person; co-owners of one part are one
person.  So a member is an owner of record with all of its delivered units, plus one member for
the developer's unsold and undelivered units.  Pure: no database, no request.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from tally import format_area  # noqa: F401  (the one spelling of an area, shared by every layer)

DEVELOPER_MEMBER_ID = "developer"


@dataclass(frozen=True)
class UnitRecord:
    building: str
    number: str
    area_centi: int
    status: str  # "delivered" | "unsold" | "undelivered"
    owner_ref: str | None  # stable reference of the owner of record; None for unsold units
    owner_kind: str | None = None  # "person" | "co_owners" | "organisation"

    @property
    def label(self) -> str:
        return f"{self.building}-{self.number}"


@dataclass(frozen=True)
class Member:
    id: str
    kind: str
    units: tuple[str, ...]
    area_centi: int
    heads: int = 1


@dataclass(frozen=True)
class Roster:
    members: tuple[Member, ...]

    @property
    def total_area_centi(self) -> int:
        return sum(m.area_centi for m in self.members)

    @property
    def total_heads(self) -> int:
        return sum(m.heads for m in self.members)


def natural_key(text: str) -> tuple:
    """'2-1001' after '2-201' and before '10-101', as people number their buildings."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", text) if part)


def _unit_key(unit: UnitRecord) -> tuple:
    return natural_key(unit.building), natural_key(unit.number)


def voting_members(units: Iterable[UnitRecord]) -> Roster:
    """Group units into voting members.  The result does not depend on the order of ``units``."""
    groups: dict[str, list[UnitRecord]] = {}
    kinds: dict[str, str] = {}
    for unit in units:
        if unit.area_centi <= 0:
            raise ValueError(f"unit {unit.label}: area must be positive")
        if unit.status in ("unsold", "undelivered"):
            ref, kind = DEVELOPER_MEMBER_ID, "developer"
        elif unit.status == "delivered":
            if unit.owner_ref is None:
                raise ValueError(f"unit {unit.label}: delivered unit without an owner")
            ref, kind = f"owner:{unit.owner_ref}", unit.owner_kind or "person"
        else:
            raise ValueError(f"unit {unit.label}: unknown status {unit.status!r}")
        groups.setdefault(ref, []).append(unit)
        kinds[ref] = kind
    members = []
    for ref, group in groups.items():
        group.sort(key=_unit_key)
        members.append(
            Member(
                id=ref,
                kind=kinds[ref],
                units=tuple(u.label for u in group),
                area_centi=sum(u.area_centi for u in group),
                heads=1,
            )
        )
    members.sort(key=lambda m: (m.kind == "developer", natural_key(m.units[0]), m.id))
    return Roster(tuple(members))
