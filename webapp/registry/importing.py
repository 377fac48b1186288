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


def apply_staged(estate: Estate, staged: RegistryImport, *, actor) -> RegistryDiff:
    if staged.state != "pending" or staged.base_fingerprint != registry_fingerprint(estate):
        raise StaleImport()
    diff = apply_plan(estate, RegistryPlan.from_json(staged.plan), actor=actor, source=f"{staged.filename} sha256:{staged.file_sha256}")
    staged.state, staged.applied_at = "applied", utcnow()
    return diff


def import_file(estate: Estate, data: bytes, filename: str, *, actor) -> RegistryDiff:
    plan = validate_file(data, filename)
    return apply_plan(estate, plan, actor=actor, source=f"{filename} sha256:{hashlib.sha256(data).hexdigest()}")
