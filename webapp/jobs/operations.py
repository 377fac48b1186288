"""Business rules of jobs: starting and retrying them, telling a dead job from a slow one, and
keeping result files only as long as allowed.  No request in sight: views pass what they know."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

from flask import Flask
from sqlalchemy import select, update

from webapp.audit.operations import record
from webapp.core import db as database
from webapp.core.db import db
from webapp.core.errors_base import UserError
from webapp.core.filestore import STORE_MARKER, mark, mounted  # noqa: F401  (STORE_MARKER: said here too)
from webapp.core.timefmt import local
from webapp.estates.models import Estate
from webapp.jobs.kinds import JobKind, get_kind
from webapp.jobs.models import ACTIVE_STATES, Job

STALE_AFTER = timedelta(minutes=2)  # no heartbeat for this long: the worker died
QUEUED_TIMEOUT = timedelta(minutes=15)  # queued this long: no worker is taking jobs


class JobError(UserError):
    pass


def stale_after(app: Flask) -> timedelta:
    return timedelta(seconds=float(app.config.get("OWNERSVOTE_JOB_STALE_AFTER", STALE_AFTER.total_seconds())))


def queued_timeout(app: Flask) -> timedelta:
    return timedelta(seconds=float(app.config.get("OWNERSVOTE_JOB_QUEUED_TIMEOUT", QUEUED_TIMEOUT.total_seconds())))


def _audit_params(params: dict) -> dict:
    """Parameters as the audit log keeps them: long lists by their length."""
    return {k: (f"{len(v)} items" if isinstance(v, (list, tuple)) and len(v) > 20 else v) for k, v in params.items()}


def start_job(estate: Estate | None, kind_name: str, params: dict, *, actor, runner: str) -> Job:
    """Queue a job of ``kind_name`` for ``estate`` (None: a district job, which only a kind open to
    platform admins may be); the caller commits and then submits it."""
    kind = get_kind(kind_name)
    if estate is None and kind is not None and not kind.admin:
        raise JobError("这项任务须属于一个小区", "this kind of job belongs to an estate")
    if get_kind(kind_name) is None:
        raise JobError(f"未知的任务类型 {kind_name}", f"unknown job kind {kind_name}")
    try:
        json.dumps(params)
    except (TypeError, ValueError):
        raise JobError("任务参数无效", "the job's parameters are not valid JSON") from None
    now = database.db_now()
    job = Job(
        estate_id=estate.id if estate is not None else None,
        kind=kind_name,
        actor_id=getattr(actor, "id", None),
        params=params,
        state="queued",
        attempts=1,
        runner=runner,
        created_at=now,
        queued_at=now,
        progress_done=0,
        progress_total=0,
    )
    db.session.add(job)
    db.session.flush()
    record("job.start", actor=actor, estate_id=job.estate_id, obj=job, kind=kind_name, params=_audit_params(params))
    return job


def retry_job(job: Job, *, actor, runner: str, root: Path) -> Job:
    """Queue a failed job again: a new attempt with the same parameters."""
    if job.state != "failed":
        raise JobError("只有失败的任务可以重试", "only a failed job can be retried")
    previous = job.error_en
    remove_result(job, root, "retried")
    job.attempts += 1
    job.state, job.runner, job.queued_at = "queued", runner, database.db_now()
    job.started_at = job.finished_at = job.heartbeat_at = None
    job.worker = job.message_zh = job.message_en = job.error_zh = job.error_en = None
    job.progress_done = job.progress_total = 0
    job.result_file = job.result_name = job.result_mimetype = job.result_sha256 = None
    job.result_size = None
    job.result_expires_at = job.result_removed_at = job.result_removed_reason = None
    db.session.flush()
    record("job.retry", actor=actor, estate_id=job.estate_id, obj=job, kind=job.kind, attempt=job.attempts, previous_error=previous)
    return job


# --------------------------------------------------------------------------------------------
# Dead or alive


def stale_reason(
    job: Job, kind: JobKind | None, now: datetime, *, stale_after: timedelta, queued_timeout: timedelta, zone=None
) -> tuple[str, str] | None:
    """Why an unfinished job must be taken for failed, in Chinese and English; None if it may
    still be alive.  Pure: it reads the record and the clock it is given."""
    if job.state == "queued":
        if now - job.queued_at > queued_timeout:
            minutes = int(queued_timeout.total_seconds() // 60)
            return (
                f"任务排队超过 {minutes} 分钟仍没有开始：后台任务进程（ownersvote worker）可能没有运行。请联系技术人员，然后重试。",
                f"The job waited more than {minutes} minutes without starting: the job worker (ownersvote worker) may not be running. "
                "Tell the technicians, then retry.",
            )
        return None
    if job.state != "running":
        return None
    limit = kind.timeout if kind else timedelta(minutes=30)
    if job.started_at is not None and now - job.started_at > limit:
        minutes = int(limit.total_seconds() // 60)
        return (
            f"任务运行超过了允许的 {minutes} 分钟，已被停止。可以重试；如果一再超时，请联系技术人员。",
            f"The job ran longer than the {minutes} minutes allowed and was stopped. You can retry; if it keeps happening, tell the technicians.",
        )
    last = job.heartbeat_at or job.started_at or job.queued_at
    if now - last > stale_after:
        at = local(last, zone, "%H:%M:%S")
        return (
            f"运行任务的后台进程停止了响应（最后一次响应在 {at}），任务没有完成，也没有保存任何结果。可以重试。",
            f"The process running the job stopped responding (last sign of life at {at}); the job did not finish and saved nothing. You can retry.",
        )
    return None


def refresh(job: Job, app: Flask, now: datetime | None = None) -> bool:
    """Mark an unfinished job failed if its worker is gone, judged by the database's clock; True
    when it changed."""
    if not job.active:
        return False
    now = now or database.db_now()
    reason = stale_reason(job, get_kind(job.kind), now, stale_after=stale_after(app), queued_timeout=queued_timeout(app), zone=job.estate)
    if reason is None:
        return False
    job.state, job.finished_at = "failed", now
    job.error_zh, job.error_en = reason
    job.message_zh = job.message_en = None
    db.session.flush()
    return True


def sweep_dead(session_factory, app: Flask) -> list[int]:
    """Mark failed every unfinished job whose worker is gone, judged by the database's clock, in
    a session of its own (committed here); the ids of those marked.  Run when ``ownersvote
    worker`` starts and every minute or so after (a scheduled RQ job, or a timer in a web process
    running jobs in threads), so a dead job does not stay ``running`` until someone opens its
    page, and the failed-jobs query of docs/deployment.md lists it.  Each row changes only if it
    is still the attempt that was judged (a runner finishing meanwhile wins)."""
    session = session_factory()
    try:
        now = database.db_now(session)
        marked = []
        for job in session.scalars(select(Job).where(Job.state.in_(ACTIVE_STATES)).order_by(Job.id)):
            reason = stale_reason(
                job, get_kind(job.kind), now, stale_after=stale_after(app), queued_timeout=queued_timeout(app), zone=job.estate
            )
            if reason is None:
                continue
            changed = session.execute(
                update(Job)
                .where(Job.id == job.id, Job.state == job.state, Job.attempts == job.attempts)
                .values(state="failed", finished_at=now, error_zh=reason[0], error_en=reason[1], message_zh=None, message_en=None)
                .execution_options(synchronize_session=False)
            ).rowcount
            if changed:
                marked.append(job.id)
        session.commit()
        return marked
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


# --------------------------------------------------------------------------------------------
# Result files

# A file at the root of the job files folder says that this server sees the shared store: a
# server whose shared folder is not mounted sees an empty folder instead, and must not decide for
# everyone that a result is missing (nor record as deleted a file it could not reach, nor save a
# result nobody else would see).  Written by `ownersvote init` (webapp/core/filestore.py).


def mark_store(root: Path) -> None:
    mark(root, "job files")


def store_reachable(root: Path) -> bool:
    return mounted(root)


def result_path(job: Job, root: Path) -> Path | None:
    if not job.result_file:
        return None
    path = (root / job.result_file).resolve()
    if root.resolve() not in path.parents:  # never outside the jobs folder, whatever the row says
        return None
    return path


def remove_result(job: Job, root: Path, reason: str, now: datetime | None = None) -> None:
    """Delete the result file and record it; a server that cannot see the store records nothing,
    so that one that can deletes the file later (its expiry sweep)."""
    if not store_reachable(root):
        return
    path = result_path(job, root)
    if path is not None:
        path.unlink(missing_ok=True)
    if job.result_file and job.result_removed_at is None:
        job.result_removed_at, job.result_removed_reason = now or database.db_now(), reason


def sweep_results(session, root: Path, now: datetime | None = None) -> int:
    """Remove every result file past its keeping time; the caller commits.  ``session`` is a
    session or a factory of one (then it is committed and closed here)."""
    own = callable(session) and not hasattr(session, "execute")
    s = session() if own else session
    try:
        if not store_reachable(root):  # not mounted here: a server that sees the store sweeps it
            return 0
        now = now or database.db_now(s)
        expired = list(
            s.scalars(select(Job).where(Job.result_removed_at.is_(None), Job.result_file.is_not(None), Job.result_expires_at <= now))
        )
        for job in expired:
            path = result_path(job, root)
            if path is not None:
                path.unlink(missing_ok=True)
            job.result_removed_at, job.result_removed_reason = now, "expired"
        if own:
            s.commit()
        return len(expired)
    finally:
        if own:
            s.close()


class ResultGone(UserError):
    pass


class StoreNotReachable(ResultGone):
    """The result may well be there: this server cannot see the shared store."""


def open_result(job: Job, root: Path, now: datetime | None = None) -> Path:
    """The result file to send, or ResultGone saying why there is none (and tidying up)."""
    now = now or database.db_now()
    if job.state != "done" or not job.result_file:
        raise ResultGone("这个任务没有可下载的文件", "this job has no file to download")
    if job.result_removed_at is not None:
        if job.result_removed_reason == "downloaded":
            raise ResultGone(
                "文件在第一次完整下载后已删除。需要时请重新生成。",
                "The file was deleted after its first complete download. Make it again if you need it.",
            )
        raise ResultGone(
            "文件已过保存期限并已删除。需要时请重新生成。",
            "The file was kept for a limited time and has been deleted. Make it again if you need it.",
        )
    if job.result_expires_at is not None and job.result_expires_at <= now:
        remove_result(job, root, "expired", now)
        raise ResultGone(
            "文件已过保存期限并已删除。需要时请重新生成。",
            "The file was kept for a limited time and has been deleted. Make it again if you need it.",
        )
    if not store_reachable(root):
        raise StoreNotReachable(
            "这台服务器暂时无法访问文件存储，文件可能仍在。请稍后再试；如果一再出现，请联系技术人员。",
            "The file store is not reachable from this server; the file may well still be there. Try again in a moment; "
            "if it keeps happening, tell the technicians.",
        )
    path = result_path(job, root)
    if path is None or not path.is_file():
        remove_result(job, root, "missing", now)
        raise ResultGone("文件已不在服务器上。需要时请重新生成。", "The file is no longer on the server. Make it again if you need it.")
    return path


def record_download(job: Job, *, actor) -> None:
    record(
        "job.download",
        actor=actor,
        estate_id=job.estate_id,
        obj=job,
        kind=job.kind,
        file=job.result_name,
        sha256=job.result_sha256,
        size=job.result_size,
    )


def mark_downloaded(job_id: int, root: Path) -> None:
    """After a complete download of a file kept only until then: delete it, say so."""
    job = db.session.get(Job, job_id)
    if job is not None:
        remove_result(job, root, "downloaded")


def jobs_of(estate: Estate, kinds: list[str], limit: int = 50, offset: int = 0) -> tuple[list[Job], int]:
    from sqlalchemy import func

    where = (Job.estate_id == estate.id, Job.kind.in_(kinds))
    total = db.session.scalar(select(func.count(Job.id)).where(*where)) or 0
    rows = list(db.session.scalars(select(Job).where(*where).order_by(Job.created_at.desc(), Job.id.desc()).limit(limit).offset(offset)))
    return rows, total
