"""Registry operations on the database: the current state, the diff against a plan, applying a
plan in the caller's transaction, and the voting members of an estate."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Callable

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from webapp.audit.operations import record
from webapp.core.db import db
from webapp.estates.models import Estate
from webapp.registry.counting import Roster, UnitRecord, format_area, voting_members
from webapp.registry.models import AreaBasis, Building, Owner, OwnerHolder, OwnerKind, Unit, UnitStatus
from webapp.registry.plan import OwnerPlan, RegistryPlan


@dataclass
class RegistryDiff:
    added_units: list[str] = field(default_factory=list)
    removed_units: list[str] = field(default_factory=list)
    changed_units: list[tuple[str, list[str]]] = field(default_factory=list)
    added_owners: list[str] = field(default_factory=list)
    removed_owners: list[str] = field(default_factory=list)
    changed_owners: list[tuple[str, list[str]]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not any(vars(self).values())

    def summary(self) -> dict[str, int]:
        return {name: len(value) for name, value in vars(self).items()}


def _units(estate: Estate) -> list[Unit]:
    return list(
        db.session.scalars(
            select(Unit).where(Unit.estate_id == estate.id).options(selectinload(Unit.building), selectinload(Unit.owner))
        )
    )


def _owners(estate: Estate) -> dict[str, Owner]:
    rows = db.session.scalars(select(Owner).where(Owner.estate_id == estate.id).options(selectinload(Owner.holders)))
    return {o.identity_key: o for o in rows}


def registry_fingerprint(estate: Estate) -> str:
    """Changes whenever any unit or owner changes: a preview is applied only to the registry it
    was computed against."""
    digest = hashlib.sha256()
    for unit in sorted(_units(estate), key=lambda u: (u.building.name, u.number)):
        owner = unit.owner.identity_key if unit.owner else "-"
        digest.update(f"{unit.building.name}\x00{unit.number}\x00{unit.area_centi}\x00{unit.area_basis.value}\x00{unit.status.value}\x00{owner}\n".encode())
    for key, owner in sorted(_owners(estate).items()):
        holders = ";".join(f"{h.name}/{h.id_hash}/{h.phone_hash}" for h in owner.holders)
        digest.update(f"{key}\x00{holders}\n".encode())
    return digest.hexdigest()


def _owner_changes(owner: Owner, plan: OwnerPlan) -> list[str]:
    changes = []
    if [h.name for h in owner.holders] != [h.name for h in plan.holders]:
        changes.append(f"name: {owner.display_name} → {plan.display_name}")
    if [h.phone_hash for h in owner.holders] != [h.phone_hash for h in plan.holders]:
        changes.append("phone")
    return changes


def diff_registry(estate: Estate, plan: RegistryPlan) -> RegistryDiff:
    return _diff(plan, _by_label(_units(estate)), _owners(estate))


def _by_label(units: list[Unit]) -> dict[tuple[str, str], Unit]:
    return {(u.building.name, u.number): u for u in units}


def _diff(plan: RegistryPlan, current: dict[tuple[str, str], Unit], owners: dict[str, Owner]) -> RegistryDiff:
    diff = RegistryDiff()
    planned = {(u.building, u.number): u for u in plan.units}
    for key, unit in planned.items():
        label = f"{key[0]}-{key[1]}"
        old = current.get(key)
        if old is None:
            diff.added_units.append(label)
            continue
        changes = []
        if old.area_centi != unit.area_centi:
            changes.append(f"area: {format_area(old.area_centi)} → {format_area(unit.area_centi)}")
        if old.area_basis.value != unit.area_basis:
            changes.append(f"area_basis: {old.area_basis.value} → {unit.area_basis}")
        if old.status.value != unit.status:
            changes.append(f"status: {old.status.value} → {unit.status}")
        old_owner = old.owner.identity_key if old.owner else None
        if old_owner != unit.owner_key:
            before = old.owner.display_name if old.owner else "—"
            after = plan.owners[unit.owner_key].display_name if unit.owner_key else "—"
            changes.append(f"owner: {before} → {after}")
        if changes:
            diff.changed_units.append((label, changes))
    diff.removed_units = [f"{b}-{n}" for (b, n) in current if (b, n) not in planned]
    for key, owner_plan in plan.owners.items():
        old = owners.get(key)
        if old is None:
            diff.added_owners.append(owner_plan.display_name)
        elif changes := _owner_changes(old, owner_plan):
            diff.changed_owners.append((owner_plan.display_name, changes))
    diff.removed_owners = [o.display_name for k, o in owners.items() if k not in plan.owners]
    return diff


def apply_plan(estate: Estate, plan: RegistryPlan, *, actor, source: str, guard: Callable[[RegistryDiff], None] | None = None) -> RegistryDiff:
    """Make the estate's registry equal to the plan, keeping the rows (and their ids) of units
    and owners that stay, in the caller's transaction.  ``guard`` is shown the diff before
    anything is written; it raises to refuse the change."""
    # The current registry is read once, for the diff and for the changes.
    current = _by_label(_units(estate))
    owners = _owners(estate)
    diff = _diff(plan, current, dict(owners))
    if guard is not None:
        guard(diff)
    reordered = False
    for key, owner_plan in plan.owners.items():
        owner = owners.get(key)
        if owner is None:
            owner = Owner(estate_id=estate.id, identity_key=key, kind=OwnerKind(owner_plan.kind), display_name=owner_plan.display_name)
            db.session.add(owner)
            owners[key] = owner
        owner.kind = OwnerKind(owner_plan.kind)
        owner.display_name = owner_plan.display_name
        existing = {h.id_hash: h for h in owner.holders}
        representative = next((h.id_hash for h in owner.holders if h.is_representative), None)
        if representative is None:
            representative = owner_plan.holders[0].id_hash  # SPEC 2: co-owners name one; the first listed until they do
        planned_order = [hp.id_hash for hp in owner_plan.holders]
        if existing and [h.id_hash for h in owner.holders] != planned_order:
            # Move the old rows out of the way first, so that reordering holders never collides
            # with the (owner, position) key; flushed once for all owners below.
            for holder in owner.holders:
                holder.position = -holder.id
            reordered = True
        for position, hp in enumerate(owner_plan.holders):
            holder = existing.get(hp.id_hash)
            if holder is None:
                # a provisional position clear of every final one; the real one is set below
                holder = OwnerHolder(id_hash=hp.id_hash, position=-1_000_000 - position)
                owner.holders.append(holder)
            holder.name = hp.name
            holder.id_tail_hash = hp.id_tail_hash
            holder.id_masked = hp.id_masked
            holder.phone_hash = hp.phone_hash
            holder.phone_masked = hp.phone_masked
            holder.is_representative = hp.id_hash == representative
        for holder in list(owner.holders):
            if holder.id_hash not in planned_order:
                owner.holders.remove(holder)
    if reordered:
        db.session.flush()
    for key, owner_plan in plan.owners.items():
        by_hash = {h.id_hash: h for h in owners[key].holders}
        for position, hp in enumerate(owner_plan.holders):
            by_hash[hp.id_hash].position = position
    db.session.flush()

    buildings = {b.name: b for b in db.session.scalars(select(Building).where(Building.estate_id == estate.id))}
    planned_keys = set()
    for up in plan.units:
        building = buildings.get(up.building)
        if building is None:
            building = Building(estate_id=estate.id, name=up.building)
            db.session.add(building)
            buildings[up.building] = building
        key = (up.building, up.number)
        planned_keys.add(key)
        unit = current.get(key)
        if unit is None:
            unit = Unit(estate_id=estate.id, building=building, number=up.number)
            db.session.add(unit)
        unit.area_centi = up.area_centi
        unit.area_basis = AreaBasis(up.area_basis)
        unit.status = UnitStatus(up.status)
        unit.owner = owners[up.owner_key] if up.owner_key else None
    for key, unit in current.items():
        if key not in planned_keys:
            db.session.delete(unit)
    db.session.flush()
    for key, owner in owners.items():
        if key not in plan.owners:
            db.session.delete(owner)
    used = {up.building for up in plan.units}
    for name, building in buildings.items():
        if name not in used:
            db.session.delete(building)
    db.session.flush()
    record("registry.import", actor=actor, estate_id=estate.id, obj=estate, source=source, **diff.summary())
    return diff


def estate_roster(estate: Estate) -> tuple[Roster, dict[str, Owner]]:
    """The estate's voting members; also the owners by member id, for display."""
    units = db.session.execute(
        select(Unit.number, Building.name, Unit.area_centi, Unit.status, Unit.owner_id, Owner.kind)
        .join(Building, Unit.building_id == Building.id)
        .outerjoin(Owner, Unit.owner_id == Owner.id)
        .where(Unit.estate_id == estate.id)
    )
    records = [
        UnitRecord(
            building=name, number=number, area_centi=area, status=status.value,
            owner_ref=str(owner_id) if owner_id is not None else None,
            owner_kind=kind.value if kind is not None else None,
        )
        for number, name, area, status, owner_id, kind in units
    ]
    roster = voting_members(records)
    owners = {f"owner:{o.id}": o for o in db.session.scalars(select(Owner).where(Owner.estate_id == estate.id))}
    return roster, owners
