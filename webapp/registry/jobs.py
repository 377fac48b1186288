"""Applying a previewed registry is a background job (12,000 units take seconds)."""

from __future__ import annotations

from datetime import timedelta

from flask_babel import lazy_gettext as _l

from webapp.core.db import db
from webapp.core.errors_base import UserError
from webapp.jobs.context import JobContext
from webapp.jobs.kinds import job_kind
from webapp.registry.importing import apply_staged
from webapp.registry.models import RegistryImport


@job_kind(
    "registry.apply",
    title=_l("Apply a registry"),
    start=set(),
    view=set(),
    admin=True,
    timeout=timedelta(minutes=30),
    describe=lambda p: p.get("filename", ""),
    back_endpoint="registry.upload",
)
def apply_registry(ctx: JobContext, params: dict) -> None:

    ctx.progress(0, 2, "正在应用名册", "Applying the registry", force=True)
    ctx.begin_writing()
    staged = db.session.get(RegistryImport, params["import_id"])
    if staged is None or staged.estate_id != ctx.estate_id:
        raise UserError("没有这次上传", "no such upload")
    diff = apply_staged(ctx.estate, staged, actor=ctx.actor, confirm_removal=params.get("confirm_removal"))
    ctx.done(
        f"名册已应用：新增 {len(diff.added_units)} 套，变更 {len(diff.changed_units)} 套，移除 {len(diff.removed_units)} 套",
        f"Registry applied: {len(diff.added_units)} units added, {len(diff.changed_units)} changed, {len(diff.removed_units)} removed",
    )
