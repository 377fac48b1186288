"""Registry operations on the database: the current state, the diff against a plan, applying a
plan in the caller's transaction, and the voting members of an estate.

The current registry is read with plain column queries and a plan is applied with bulk
statements (one executemany per kind of change), not object by object through the ORM: at
12,000 units that is the difference between seconds and a fraction of one."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import bindparam, select

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


@dataclass(slots=True)
class _Holder:
    id: int
    owner_id: int
    position: int
    name: str
    id_hash: str
    id_tail_hash: str
    id_masked: str
    phone_hash: str | None
    phone_masked: str | None
    is_representative: bool


@dataclass(slots=True)
class _Owner:
    id: int
    identity_key: str
    kind: str
    display_name: str
    holders: list[_Holder] = field(default_factory=list)  # by position


@dataclass(slots=True)
class _Unit:
    id: int
    building: str
    number: str
    area_centi: int
    area_basis: str
    status: str
    owner: _Owner | None


@dataclass
class _Registry:
    """The stored registry of one estate, as plain values."""

    units: dict[tuple[str, str], _Unit]  # by (building, number)
    owners: dict[str, _Owner]  # by identity key
    buildings: dict[str, int]  # name -> id


def _read(estate_id: int) -> _Registry:
    session = db.session
    owners: dict[int, _Owner] = {}
    for id_, key, kind, name in session.execute(
        select(Owner.id, Owner.identity_key, Owner.kind, Owner.display_name).where(Owner.estate_id == estate_id).order_by(Owner.id)
    ):
        owners[id_] = _Owner(id_, key, kind.value, name)
    for row in session.execute(
        select(
            OwnerHolder.id,
            OwnerHolder.owner_id,
            OwnerHolder.position,
            OwnerHolder.name,
            OwnerHolder.id_hash,
            OwnerHolder.id_tail_hash,
            OwnerHolder.id_masked,
            OwnerHolder.phone_hash,
            OwnerHolder.phone_masked,
            OwnerHolder.is_representative,
        )
        .join(Owner, OwnerHolder.owner_id == Owner.id)
        .where(Owner.estate_id == estate_id)
        .order_by(OwnerHolder.owner_id, OwnerHolder.position)
    ):
        owners[row[1]].holders.append(_Holder(*row))
    units = {}
    for id_, building, number, area, basis, status, owner_id in session.execute(
        select(Unit.id, Building.name, Unit.number, Unit.area_centi, Unit.area_basis, Unit.status, Unit.owner_id)
        .join(Building, Unit.building_id == Building.id)
        .where(Unit.estate_id == estate_id)
        .order_by(Unit.id)
    ):
        units[(building, number)] = _Unit(id_, building, number, area, basis.value, status.value, owners.get(owner_id))
    buildings = {name: id_ for id_, name in session.execute(select(Building.id, Building.name).where(Building.estate_id == estate_id))}
    return _Registry(units, {o.identity_key: o for o in owners.values()}, buildings)


def registry_fingerprint(estate: Estate) -> str:
    """Changes whenever any unit or owner changes: a preview is applied only to the registry it
    was computed against."""
    db.session.flush()
    registry = _read(estate.id)
    digest = hashlib.sha256()
    for unit in sorted(registry.units.values(), key=lambda u: (u.building, u.number)):
        owner = unit.owner.identity_key if unit.owner else "-"
        digest.update(f"{unit.building}\x00{unit.number}\x00{unit.area_centi}\x00{unit.area_basis}\x00{unit.status}\x00{owner}\n".encode())
    for key, owner in sorted(registry.owners.items()):
        holders = ";".join(f"{h.name}/{h.id_hash}/{h.phone_hash}" for h in owner.holders)
        digest.update(f"{key}\x00{holders}\n".encode())
    return digest.hexdigest()


def _owner_changes(owner: _Owner, plan: OwnerPlan) -> list[str]:
    changes = []
    if [h.name for h in owner.holders] != [h.name for h in plan.holders]:
        changes.append(f"name: {owner.display_name} → {plan.display_name}")
    if [h.phone_hash for h in owner.holders] != [h.phone_hash for h in plan.holders]:
        changes.append("phone")
    return changes


def diff_registry(estate: Estate, plan: RegistryPlan) -> RegistryDiff:
    db.session.flush()
    return _diff(plan, _read(estate.id))


def _diff(plan: RegistryPlan, registry: _Registry) -> RegistryDiff:
    current, owners = registry.units, registry.owners
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
        if old.area_basis != unit.area_basis:
            changes.append(f"area_basis: {old.area_basis} → {unit.area_basis}")
        if old.status != unit.status:
            changes.append(f"status: {old.status} → {unit.status}")
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


_BY_ID = bindparam("b_id")
_CHUNK = 500  # ids per DELETE … WHERE id IN (…)


def _insert(model, rows: list[dict]) -> None:
    # A plain executemany: psycopg pipelines it.  (INSERT … RETURNING, which SQLAlchemy turns
    # into multi-row VALUES batches, measured twice as slow here, so new ids are read back.)
    if rows:
        db.session.execute(model.__table__.insert(), rows)


def _update(model, rows: list[dict]) -> None:
    """UPDATE … WHERE id = :b_id, once per row in one executemany; the SET clause is made from the
    other keys of the rows, which all have the same keys."""
    if rows:
        table = model.__table__
        db.session.execute(table.update().where(table.c.id == _BY_ID), rows)


def _delete(model, ids: list[int], column: str = "id") -> None:
    table = model.__table__
    for start in range(0, len(ids), _CHUNK):
        db.session.execute(table.delete().where(table.c[column].in_(ids[start : start + _CHUNK])))


def apply_plan(
    estate: Estate, plan: RegistryPlan, *, actor, source: str, guard: Callable[[RegistryDiff], None] | None = None
) -> RegistryDiff:
    """Make the estate's registry equal to the plan, keeping the rows (and their ids) of units
    and owners that stay, in the caller's transaction.  ``guard`` is shown the diff before
    anything is written; it raises to refuse the change.

    Each kind of change is one bulk statement, issued in an order that keeps every constraint
    true after each row: owners and their holders first (holders that change places move to
    a free position first, so the (owner, position) key never collides), then buildings and
    units, then the units, owners and buildings that go."""
    session = db.session
    session.flush()  # the bulk statements below bypass the unit of work: settle it first
    # The current registry is read once, for the diff and for the changes.
    registry = _read(estate.id)
    diff = _diff(plan, registry)
    if guard is not None:
        guard(diff)

    owner_ids = {key: owner.id for key, owner in registry.owners.items()}
    new_owners = [
        {"estate_id": estate.id, "identity_key": key, "kind": OwnerKind(op.kind), "display_name": op.display_name}
        for key, op in plan.owners.items()
        if key not in registry.owners
    ]
    if new_owners:
        _insert(Owner, new_owners)
        owner_ids = dict(db.session.execute(select(Owner.identity_key, Owner.id).where(Owner.estate_id == estate.id)).all())
    _update(
        Owner,
        [
            {"b_id": owner.id, "kind": OwnerKind(op.kind), "display_name": op.display_name}
            for key, op in plan.owners.items()
            if (owner := registry.owners.get(key)) is not None and (owner.kind, owner.display_name) != (op.kind, op.display_name)
        ],
    )

    gone_holders: list[int] = []
    moved: list[dict] = []
    changed: list[dict] = []
    added: list[dict] = []
    for key, op in plan.owners.items():
        owner = registry.owners.get(key)
        holders = owner.holders if owner else []
        existing = {h.id_hash: h for h in holders}
        representative = next((h.id_hash for h in holders if h.is_representative), None)
        if representative is None:
            representative = op.holders[0].id_hash  # co-owners name one; the first listed until they do
        planned_order = [hp.id_hash for hp in op.holders]
        reordered = bool(holders) and [h.id_hash for h in holders] != planned_order
        if reordered:
            # Out of the way first, so that reordering never collides with the (owner, position) key.
            moved.extend({"b_id": h.id, "position": -h.id} for h in holders if h.id_hash in planned_order)
        gone_holders.extend(h.id for h in holders if h.id_hash not in planned_order)
        for position, hp in enumerate(op.holders):
            values = {
                "position": position,
                "name": hp.name,
                "id_tail_hash": hp.id_tail_hash,
                "id_masked": hp.id_masked,
                "phone_hash": hp.phone_hash,
                "phone_masked": hp.phone_masked,
                "is_representative": hp.id_hash == representative,
            }
            holder = existing.get(hp.id_hash)
            if holder is None:
                added.append({"owner_id": owner_ids[key], "id_hash": hp.id_hash, **values})
            elif reordered or any(getattr(holder, name) != value for name, value in values.items()):
                changed.append({"b_id": holder.id, **values})
    _delete(OwnerHolder, gone_holders)
    _update(OwnerHolder, moved)
    _update(OwnerHolder, changed)
    _insert(OwnerHolder, added)

    building_ids = dict(registry.buildings)
    new_buildings = [
        {"estate_id": estate.id, "name": name} for name in dict.fromkeys(up.building for up in plan.units) if name not in building_ids
    ]
    if new_buildings:
        _insert(Building, new_buildings)
        building_ids = dict(db.session.execute(select(Building.name, Building.id).where(Building.estate_id == estate.id)).all())

    new_units: list[dict] = []
    changed_units: list[dict] = []
    for up in plan.units:
        owner_id = owner_ids[up.owner_key] if up.owner_key else None
        unit = registry.units.get((up.building, up.number))
        if unit is None:
            new_units.append(
                {
                    "estate_id": estate.id,
                    "building_id": building_ids[up.building],
                    "number": up.number,
                    "area_centi": up.area_centi,
                    "area_basis": AreaBasis(up.area_basis),
                    "status": UnitStatus(up.status),
                    "owner_id": owner_id,
                }
            )
        elif (unit.area_centi, unit.area_basis, unit.status, unit.owner.id if unit.owner else None) != (
            up.area_centi,
            up.area_basis,
            up.status,
            owner_id,
        ):
            changed_units.append(
                {
                    "b_id": unit.id,
                    "area_centi": up.area_centi,
                    "area_basis": AreaBasis(up.area_basis),
                    "status": UnitStatus(up.status),
                    "owner_id": owner_id,
                }
            )
    _update(Unit, changed_units)
    _insert(Unit, new_units)

    planned_units = {(up.building, up.number) for up in plan.units}
    gone_units = [unit.id for key, unit in registry.units.items() if key not in planned_units]
    _delete(Unit, gone_units)
    gone_owners = [owner for key, owner in registry.owners.items() if key not in plan.owners]
    gone_holders += [h.id for owner in gone_owners for h in owner.holders]
    _delete(OwnerHolder, [o.id for o in gone_owners], column="owner_id")
    _delete(Owner, [o.id for o in gone_owners])
    used = {up.building for up in plan.units}
    gone_buildings = [id_ for name, id_ in building_ids.items() if name not in used]
    _delete(Building, gone_buildings)

    _forget_stale_objects(
        {Unit: set(gone_units), Owner: {o.id for o in gone_owners}, OwnerHolder: set(gone_holders), Building: set(gone_buildings)}
    )
    # The fingerprint after the change: `ownersvote check` compares it with the registry it finds,
    # so an edit made outside the app (a bare UPDATE of an area) shows.
    record(
        "registry.import",
        actor=actor,
        estate_id=estate.id,
        obj=estate,
        source=source,
        fingerprint=registry_fingerprint(estate),
        **diff.summary(),
    )
    return diff


def _forget_stale_objects(gone: dict[type, set[int]]) -> None:
    """The bulk statements bypass the session: registry objects it already holds are expired (to
    be reloaded when next used) and those whose rows are gone are dropped from it."""
    session = db.session
    for obj in list(session.identity_map.values()):
        model = type(obj)
        if model in gone:
            if obj.id in gone[model]:
                session.expunge(obj)
            else:
                session.expire(obj)


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
            building=name,
            number=number,
            area_centi=area,
            status=status.value,
            owner_ref=str(owner_id) if owner_id is not None else None,
            owner_kind=kind.value if kind is not None else None,
        )
        for number, name, area, status, owner_id, kind in units
    ]
    roster = voting_members(records)
    owners = {f"owner:{o.id}": o for o in db.session.scalars(select(Owner).where(Owner.estate_id == estate.id))}
    return roster, owners
