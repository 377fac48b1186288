"""The import workflow shared by the web UI and the CLI: read → validate → diff → apply."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from flask import current_app

from webapp.core.db import db, utcnow
from webapp.core.errors_base import UserError
from webapp.estates.models import Estate
from webapp.registry.models import RegistryImport
from webapp.registry.operations import RegistryDiff, apply_plan, diff_registry, registry_fingerprint
from webapp.registry.parsing import read_table
from webapp.registry.plan import RegistryPlan, build_plan


@dataclass
class Preview:
    plan: RegistryPlan
    diff: RegistryDiff


# A file that would remove more than this share of the current units, and at least this many,
# is applied only when the person types the number of units it removes: a partial export (three
# rows of a 1,200-unit registry) must not wipe the registry with one click.
MASS_REMOVAL_PERCENT = 10
MASS_REMOVAL_MIN_UNITS = 10


@dataclass(frozen=True)
class Removal:
    units: int  # units the import removes
    owners: int  # owners of record it removes
    current_units: int  # units in the registry now

    @property
    def percent(self) -> int:
        return self.units * 100 // self.current_units if self.current_units else 0

    @property
    def needs_confirmation(self) -> bool:
        return self.units >= MASS_REMOVAL_MIN_UNITS and self.units * 100 > self.current_units * MASS_REMOVAL_PERCENT


def removal_of(plan: RegistryPlan, diff: RegistryDiff) -> Removal:
    current = len(diff.removed_units) + len(plan.units) - len(diff.added_units)
    return Removal(units=len(diff.removed_units), owners=len(diff.removed_owners), current_units=current)


class RemovalNotConfirmed(UserError):
    def __init__(self, removal: Removal, typed: int | None):
        zh = en = ""
        if typed is not None:
            zh, en = (
                f"输入的数字 {typed:,} 与将移除的房屋数不符。",
                f"The number typed, {typed:,}, is not the number of units to be removed. ",
            )
        super().__init__(
            f"{zh}此次导入将移除现有 {removal.current_units:,} 套房屋中的 {removal.units:,} 套（{removal.percent}%）"
            f"和 {removal.owners:,} 位业主。如确需移除，请输入将移除的房屋数 {removal.units:,} 予以确认。未做任何修改。",
            f"{en}This import would remove {removal.units:,} of the {removal.current_units:,} current units ({removal.percent}%) "
            f"and {removal.owners:,} owners of record. To go ahead, type the number of units to be removed ({removal.units:,}) "
            "to confirm. Nothing was changed.",
        )
        self.removal = removal


def _removal_guard(plan: RegistryPlan, confirm_removal: int | None):
    def guard(diff: RegistryDiff) -> None:
        removal = removal_of(plan, diff)
        if removal.needs_confirmation and confirm_removal != removal.units:
            raise RemovalNotConfirmed(removal, confirm_removal)

    return guard


def pii_key() -> str:
    return current_app.config["OWNERSVOTE_PII_HMAC_KEY"]


def validate_file(data: bytes, filename: str) -> RegistryPlan:
    """Raises RegistryFileError or RegistryRejected with the full report."""
    return build_plan(read_table(data, filename), pii_key())


def stage_import(estate: Estate, data: bytes, filename: str, *, actor) -> tuple[RegistryImport, Preview]:
    plan = validate_file(data, filename)
    staged = RegistryImport(
        estate_id=estate.id,
        uploaded_by_id=getattr(actor, "id", None),
        filename=filename[:255],
        file_sha256=hashlib.sha256(data).hexdigest(),
        base_fingerprint=registry_fingerprint(estate),
        plan=plan.to_json(),
    )
    db.session.add(staged)
    db.session.flush()
    return staged, Preview(plan, diff_registry(estate, plan))


class StaleImport(UserError):
    def __init__(self):
        super().__init__("预览之后名册已被修改，请重新上传文件。", "The registry changed after this preview: upload the file again.")


def apply_staged(estate: Estate, staged: RegistryImport, *, actor, confirm_removal: int | None = None) -> RegistryDiff:
    """Raises StaleImport, or RemovalNotConfirmed when the import removes many units and
    ``confirm_removal`` is not their number; then nothing is changed."""
    if staged.state != "pending" or staged.base_fingerprint != registry_fingerprint(estate):
        raise StaleImport()
    plan = RegistryPlan.from_json(staged.plan)
    source = f"{staged.filename} sha256:{staged.file_sha256}"
    diff = apply_plan(estate, plan, actor=actor, source=source, guard=_removal_guard(plan, confirm_removal))
    staged.state, staged.applied_at = "applied", utcnow()
    return diff


def import_file(estate: Estate, data: bytes, filename: str, *, actor, confirm_removal: int | None = None) -> RegistryDiff:
    """Validate and apply in one step (CLI, demo); refuses a large removal like apply_staged."""
    plan = validate_file(data, filename)
    source = f"{filename} sha256:{hashlib.sha256(data).hexdigest()}"
    return apply_plan(estate, plan, actor=actor, source=source, guard=_removal_guard(plan, confirm_removal))
