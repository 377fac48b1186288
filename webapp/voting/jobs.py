"""Printing paper ballot sheets for many households is a background job."""

from __future__ import annotations

from datetime import timedelta

from flask_babel import lazy_gettext as _l

from webapp.assemblies.models import Assembly
from webapp.assemblies.presentation import verified
from webapp.core.db import db
from webapp.core.errors_base import UserError
from webapp.core.roles import Role
from webapp.jobs.context import JobContext, safe_filename
from webapp.jobs.kinds import assembly_page, job_kind
from webapp.voting.paper import new_sheets
from webapp.voting.sheets import render_sheets
from webapp.voting.turnout import units_by_member


@job_kind(
    "ballot-sheets",
    title=_l("Paper ballot sheets"),
    start={Role.organiser},
    view={Role.organiser},
    timeout=timedelta(minutes=30),
    result_ttl=timedelta(days=7),
    describe=lambda p: p.get("title", ""),
    back_endpoint="voting.paper",
    back_args=assembly_page,
    back_title=_l("paper ballots"),
)
def ballot_sheets(ctx: JobContext, params: dict) -> None:

    ctx.progress(0, 0, "正在准备表决票", "Preparing the sheets", force=True)
    ctx.begin_writing()
    assembly = db.session.get(Assembly, params.get("assembly_id"))
    if assembly is None or assembly.estate_id != ctx.estate_id or assembly.roll_id is None:
        raise UserError("没有这次会议或它还没有名册", "no such assembly, or it has no roll yet")
    notice = verified(assembly.current_notice).document
    units = units_by_member(assembly)
    sheets = new_sheets(assembly, params["members"], actor=ctx.actor)
    pdf = render_sheets(
        assembly,
        notice,
        sheets,
        units,
        progress=lambda done, total: ctx.progress(done, total, f"正在生成第 {done} / {total} 张", f"Sheet {done} of {total}"),
    )
    ctx.save_result(safe_filename(f"ballot-sheets-{assembly.estate.slug}-{assembly.id}.pdf"), pdf, "application/pdf")
    ctx.done(f"已生成 {len(sheets)} 张纸质表决票", f"{len(sheets)} ballot sheets made")
