"""Results work that can take a while, as background jobs: the tally of a closed assembly and the
publication of a certified one (building and storing its audit bundle, telling owners)."""

from __future__ import annotations

from datetime import timedelta

from flask_babel import lazy_gettext as _l

from webapp.assemblies.models import Assembly
from webapp.core.db import db
from webapp.core.errors_base import UserError
from webapp.core.roles import Role
from webapp.jobs.context import JobContext
from webapp.jobs.kinds import assembly_page, job_kind
from webapp.owners.notifications import notify, sms_numbers
from webapp.results.operations import TamperingAlarm, compute_tally, record_alarm
from webapp.results.operations import publish as publish_result


def _assembly(ctx: JobContext, params: dict):

    assembly = db.session.get(Assembly, params.get("assembly_id"))
    if assembly is None or assembly.estate_id != ctx.estate_id:
        raise UserError("没有这次会议", "no such assembly")
    return assembly


def _alarm_kept(ctx: JobContext, params: dict, alarm: TamperingAlarm) -> TamperingAlarm:
    """The step is refused and none of its work kept; the alarm itself is committed on its own (the
    runner then fails the job with the alarm's words)."""
    db.session.rollback()
    record_alarm(_assembly(ctx, params), alarm, actor=ctx.actor)
    db.session.commit()
    return alarm


def _describe(params: dict) -> str:
    return params.get("title", "")


# Both are started from, and lead back to, the assembly's results page.
_BACK = {"back_endpoint": "results.manage", "back_args": assembly_page, "back_title": _l("the assembly's results")}


@job_kind(
    "tally",
    title=_l("Tally"),
    start={Role.organiser},
    view={Role.organiser, Role.supervisor},
    timeout=timedelta(minutes=20),
    describe=_describe,
    **_BACK,
)
def tally(ctx: JobContext, params: dict) -> None:
    """Tally a closed assembly from its sealed log and frozen roll alone."""

    ctx.progress(0, 2, "正在从封存的投票日志计票", "Tallying from the sealed ballot log", force=True)
    ctx.begin_writing()
    try:
        record = compute_tally(_assembly(ctx, params), actor=ctx.actor)
    except TamperingAlarm as alarm:
        raise _alarm_kept(ctx, params, alarm) from None
    ctx.done(
        f"计票完成：{record.document.get('ballots', 0)} 张选票；摘要 {record.sha256[:16]}…",
        f"Tallied {record.document.get('ballots', 0)} ballots; digest {record.sha256[:16]}…",
    )


@job_kind(
    "publish",
    title=_l("Publish the result"),
    start={Role.organiser},
    view={Role.organiser, Role.supervisor},
    timeout=timedelta(minutes=30),
    describe=_describe,
    **_BACK,
)
def publish(ctx: JobContext, params: dict) -> None:
    """Publish a certified result: build and keep its audit bundle, tell registered owners."""

    ctx.progress(0, 3, "正在生成审计数据包", "Building the audit bundle", force=True)
    ctx.begin_writing()
    assembly = _assembly(ctx, params)
    try:
        sha = publish_result(assembly, actor=ctx.actor)
    except TamperingAlarm as alarm:
        raise _alarm_kept(ctx, params, alarm) from None
    # The owner's page links within the site; a text needs the whole address (the request that
    # started the job passed its base, since a worker has no request of its own).
    path = f"/p/{assembly.estate.slug}/a/{assembly.id}/results"
    address = params.get("base_url", "").rstrip("/") + path
    told = notify(
        assembly.estate_id,
        kind="result",
        zh=f"表决结果公示：{assembly.title}",
        en=f"Results published: {assembly.title}",
        url=path,
        assembly_id=assembly.id,
    )
    # Texts leave the building and cannot be taken back: they go in a job of their own that starts
    # only after this one's publication has committed.
    texts = (
        ctx.then("texts", {"text": f"【{assembly.estate.name}】表决结果已公示：{assembly.title}。请查看：{address}"})
        if sms_numbers(assembly.estate_id)
        else None
    )
    if texts is None:
        ctx.done(
            f"结果已公示，审计数据包摘要 {sha[:16]}…；已在 {told} 位业主的页面上通知",
            f"Result published; bundle digest {sha[:16]}…; {told} owner(s) told on their page",
        )
    else:
        ctx.done(
            f"结果已公示，审计数据包摘要 {sha[:16]}…；已在 {told} 位业主的页面上通知，短信由任务 #{texts.id} 发送",
            f"Result published; bundle digest {sha[:16]}…; {told} owner(s) told on their page, texts sent by job #{texts.id}",
        )
