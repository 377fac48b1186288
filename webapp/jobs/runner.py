"""Running jobs: on RQ workers when Redis is configured, else in the web process.

Three runners, chosen per job when it is queued (``Job.runner``):

``rq``
    ``OWNERSVOTE_REDIS_URL`` is set: the job goes onto the app's RQ queue
    (``OWNERSVOTE_JOB_QUEUE``) and an ``ownersvote worker`` process runs it, in a work horse
    forked for the job, with RQ's job timeout taken from the kind.
``thread``
    No Redis: a small pool of background threads in the web process runs it, so the request that
    queued it returns at once and nothing else needs to run (the demo, a single small server).
``inline``
    The job runs to its end before the request returns (``OWNERSVOTE_JOB_RUNNER=inline``): for
    tests that need determinism.

Whatever the runner, :func:`run_job` does the same: it claims the job (``queued`` → ``running``,
one winner even if two runners race), calls the kind's function with a :class:`JobContext` in an
application context, and then commits the function's database changes together with the
``done`` state, or rolls them back and stores the bilingual error.  Progress and heartbeats are
written in transactions of their own (a separate session), never in the function's and never in
a request's.  A job that stops beating (its process died) is marked failed by the next reader
(:func:`webapp.jobs.operations.refresh`), and by a sweep of every job
(:func:`webapp.jobs.operations.sweep_dead`) when ``ownersvote worker`` starts and every minute
after: a scheduled RQ job, or a timer thread in a web process that runs jobs in threads.
"""

from __future__ import annotations

import logging
import os
import queue
import secrets
import socket
import threading
import time
from datetime import timedelta

from flask import Flask, current_app
from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError

from webapp.core import db as database
from webapp.core import metrics, redisconn
from webapp.core.db import db
from webapp.core.errors_base import UserError
from webapp.core.logging import job_context as job_logging
from webapp.core.logging import request_id as current_request_id
from webapp.estates.models import Estate
from webapp.jobs.context import (
    NOW,
    THREADS,
    JobContext,
    JobLost,
    _update_job,
    files_root,
    heartbeat_every,
    runner_mode,
    side_session,
)
from webapp.jobs.kinds import get_kind
from webapp.jobs.models import Job
from webapp.jobs.operations import queued_timeout, sweep_dead, sweep_results

log = logging.getLogger(__name__)


class _Heartbeat(threading.Thread):
    def __init__(self, app: Flask, job_id: int, attempt: int, every: float):
        super().__init__(name=f"job-{job_id}-heartbeat", daemon=True)
        self.app, self.job_id, self.attempt, self.every = app, job_id, attempt, every
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.wait(self.every):
            try:
                with self.app.app_context():
                    if not _update_job(self.job_id, self.attempt, heartbeat_at=NOW):
                        return
            except Exception:  # a missed beat is not a failure; the next one may get through
                log.warning("job %s: heartbeat not written", self.job_id, exc_info=True)

    def stop(self) -> None:
        self._stop_event.set()


# --------------------------------------------------------------------------------------------
# One run


DATABASE_FAILED = (
    "数据库连接中断或暂时不可用（{name}），任务没有完成：没有保存任何结果，数据也没有任何改变。数据库恢复后可以重试；如果一再出现，请联系技术人员。",
    "The database connection failed or the database was unavailable ({name}): the job did not finish, saved nothing and changed "
    "nothing. Retry once the database is back; if it keeps happening, tell the technicians.",
)

UNEXPECTED = (
    "任务意外出错（{name}），没有保存任何结果。技术人员可以在日志中查到详情；可以重试。",
    "The job failed unexpectedly ({name}) and saved nothing. The technicians can find the details in the log; you can retry.",
)


def _worker_label() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:200]


def run_job(job_id: int, attempt: int, *, heartbeat: bool | None = None, request_id: str | None = None) -> str:
    """Run one attempt of a job in the current application context.  Returns what became of it:
    ``done``, ``failed``, ``lost`` (taken away meanwhile) or ``skipped`` (not queued any more).
    Its log lines name the job, its estate and the request that started it."""
    started = time.monotonic()
    kind_name: list[str] = []
    outcome = "failed"
    token = job_logging.set({"job": str(job_id), "request_id": request_id})
    try:
        outcome = _run_job(job_id, attempt, heartbeat=heartbeat, kind_name=kind_name)
        return outcome
    finally:
        job_logging.reset(token)
        if kind_name and outcome != "skipped":
            metrics.JOBS.labels(kind_name[0], outcome).inc()
            metrics.JOB_SECONDS.labels(kind_name[0]).observe(time.monotonic() - started)


def _run_job(job_id: int, attempt: int, *, heartbeat: bool | None, kind_name: list[str]) -> str:
    app = current_app._get_current_object()

    # A runner starts from a clean session (it does in workers and threads; inline, this ends the
    # caller's read transaction, in which nothing of the job may sit: see JobContext._may_write).
    db.session.commit()
    try:
        sweep_results(side_session, files_root(app))
    except Exception:  # tidying up must never stop a job
        log.warning("sweeping expired job results failed", exc_info=True)

    if not _update_job(
        job_id,
        attempt,
        expect="queued",
        state="running",
        started_at=NOW,
        heartbeat_at=NOW,
        worker=_worker_label(),
        progress_done=0,
        progress_total=0,
        message_zh=None,
        message_en=None,
    ):
        return "skipped"
    session = side_session()
    try:
        row = session.execute(select(Job.kind, Job.params, Job.estate_id, Job.actor_id).where(Job.id == job_id)).one()
    finally:
        session.close()
    kind = get_kind(row.kind)
    kind_name.append(row.kind)
    about = job_logging.get()
    if about is not None:
        about["estate"] = _estate_slug(row.estate_id)
    ctx = JobContext(app, job_id, attempt, row.estate_id, row.actor_id, row.kind)
    if heartbeat is None:
        heartbeat = runner_mode(app) != "inline"
    beat = _Heartbeat(app, job_id, attempt, heartbeat_every(app)) if heartbeat and not ctx._sqlite else None
    if beat:
        beat.start()
    try:
        if kind is None:
            raise UserError(f"未知的任务类型 {row.kind}", f"unknown job kind {row.kind}")
        kind.run(ctx, dict(row.params or {}))
        outcome = _finish(ctx, kind)
    except JobLost:
        db.session.rollback()
        ctx.discard_result()
        return "lost"
    except UserError as exc:
        db.session.rollback()
        ctx.discard_result()
        _fail(job_id, attempt, exc.zh, exc.en)
        return "failed"
    except Exception as exc:
        from rq.timeouts import JobTimeoutException

        db.session.rollback()
        ctx.discard_result()
        if isinstance(exc, JobTimeoutException):  # RQ stopped it at the kind's time limit
            minutes = int(kind.timeout.total_seconds() // 60)
            _fail(
                job_id,
                attempt,
                f"任务运行超过了允许的 {minutes} 分钟，已被停止。可以重试；如果一再超时，请联系技术人员。",
                f"The job ran longer than the {minutes} minutes allowed and was stopped. You can retry; if it keeps happening, tell the technicians.",
            )
            return "failed"
        log.exception("job %s (%s) failed", job_id, row.kind)
        # The database going away mid-job (a restart, a failover, a dropped connection): the
        # rollback above kept nothing of this run, and a retry starts it over from the start.
        message = DATABASE_FAILED if _database_failure(exc) else UNEXPECTED
        _fail(job_id, attempt, message[0].format(name=type(exc).__name__), message[1].format(name=type(exc).__name__))
        return "failed"
    finally:
        if beat:
            beat.stop()
    if outcome == "done" and ctx.result is not None and kind.result_ttl is not None:
        schedule_sweep(app, kind.result_ttl)
    if outcome == "done":
        for follow_up in ctx.follow_ups:
            try:
                submit(follow_up)
            except Exception:  # it stays queued and shows so on its page, where it can be retried
                log.exception("job %s: could not hand over its follow-up job", job_id)
    return outcome


def _estate_slug(estate_id: int | None) -> str:
    if estate_id is None:
        return "district"
    session = side_session()
    try:
        return session.scalar(select(Estate.slug).where(Estate.id == estate_id)) or str(estate_id)
    finally:
        session.close()


def _database_failure(exc: BaseException) -> bool:
    """Whether ``exc`` is the database failing (not the job's own mistake)."""
    from sqlalchemy.exc import DBAPIError, InterfaceError

    return isinstance(exc, (OperationalError, InterfaceError)) or (isinstance(exc, DBAPIError) and exc.connection_invalidated)


def _finish(ctx: JobContext, kind) -> str:
    """Commit the function's changes with the ``done`` state, if the job is still ours (one
    conditional UPDATE: a job marked failed or retried meanwhile keeps nothing of this run)."""
    now = database.db_now()
    total = max(ctx.last_total, 1)
    zh, en = ctx.summary or (None, None)
    values = {
        "state": "done",
        "finished_at": now,
        "heartbeat_at": now,
        "error_zh": None,
        "error_en": None,
        "progress_done": total,
        "progress_total": total,
        "message_zh": zh,
        "message_en": en,
    }
    if ctx.result is not None:
        values.update(
            result_file=str(ctx.result.path.relative_to(files_root(ctx.app))),
            result_name=ctx.result.name,
            result_mimetype=ctx.result.mimetype,
            result_size=ctx.result.size,
            result_sha256=ctx.result.sha256,
            result_expires_at=now + kind.result_ttl if kind.result_ttl is not None else None,
        )
    result = db.session.execute(
        update(Job).where(Job.id == ctx.job_id, Job.state == "running", Job.attempts == ctx.attempt).values(**values)
    )
    if result.rowcount != 1:
        db.session.rollback()
        ctx.discard_result()
        return "lost"
    db.session.commit()
    return "done"


def _fail(job_id: int, attempt: int, zh: str, en: str, expect: str = "running") -> None:
    try:
        _update_job(
            job_id, attempt, expect=expect, state="failed", error_zh=zh, error_en=en, message_zh=None, message_en=None, finished_at=NOW
        )
    except Exception:  # the reader marks it failed later, when its heartbeat is stale
        log.exception("job %s: could not store its failure", job_id)


# --------------------------------------------------------------------------------------------
# Handing a job to its runner (after the request that queued it has committed)


def submit(job: Job) -> None:
    """Hand a committed, queued job to its runner."""
    app = current_app._get_current_object()
    job_id, attempt, mode = job.id, job.attempts, job.runner
    rid = current_request_id()
    # End the caller's read transaction (its changes are committed already): whatever the runner
    # writes commits on its own and must never sit inside a transaction the caller rolls back.
    db.session.commit()
    if mode == "inline":
        with app.app_context():
            run_job(job_id, attempt, request_id=rid)
    elif mode == "thread":
        _pool().put((app, job_id, attempt, rid))
    elif mode == "rq":
        _enqueue(app, job_id, attempt, rid)
    else:  # pragma: no cover
        raise ValueError(mode)


_pool_lock = threading.Lock()
_pool_state: dict = {}


def _pool() -> queue.Queue:
    """The process's queue of in-process jobs and its daemon threads (made again after a fork)."""
    with _pool_lock:
        if _pool_state.get("pid") != os.getpid():
            tasks: queue.Queue = queue.Queue()
            for n in range(THREADS):
                threading.Thread(target=_pool_worker, args=(tasks,), name=f"ownersvote-job-{n}", daemon=True).start()
            _pool_state.update(pid=os.getpid(), queue=tasks)
        return _pool_state["queue"]


def _pool_worker(tasks: queue.Queue) -> None:
    while True:
        app, job_id, attempt, rid = tasks.get()
        try:
            with app.app_context():
                run_job(job_id, attempt, request_id=rid)
        except Exception:  # never let one job take a pool thread down
            log.exception("in-process job %s crashed its runner", job_id)


def _redis(app: Flask):
    return redisconn.connect(app)


def job_queue(app: Flask):
    from rq import Queue

    return Queue(app.config.get("OWNERSVOTE_JOB_QUEUE") or "ownersvote", connection=_redis(app))


def rq_job_id(queue_name: str, job_id: int, attempt: int) -> str:
    """RQ's job ids are global in a Redis database: the queue's name keeps two deployments (or
    test runs) sharing one apart."""
    return f"{queue_name}-{job_id}-{attempt}"


def _enqueue(app: Flask, job_id: int, attempt: int, request_id: str | None = None) -> None:

    session = side_session()
    try:
        kind_name = session.scalar(select(Job.kind).where(Job.id == job_id))
    finally:
        session.close()
    kind = get_kind(kind_name)
    timeout = kind.timeout if kind else timedelta(minutes=30)
    try:
        queue = job_queue(app)
        queue.enqueue_call(
            "webapp.jobs.runner.run_from_queue",
            args=(job_id, attempt),
            kwargs={"request_id": request_id},
            job_id=rq_job_id(queue.name, job_id, attempt),
            timeout=int(timeout.total_seconds()),
            ttl=int(queued_timeout(app).total_seconds()),
            result_ttl=3600,
            failure_ttl=7 * 86400,
            description=f"{kind_name} #{job_id} attempt {attempt}",
        )
    except Exception as exc:
        log.exception("job %s could not be queued", job_id)
        _fail(
            job_id,
            attempt,
            "任务队列暂时不可用（Redis），任务没有开始。请稍后重试。",
            f"The job queue (Redis) is unavailable ({type(exc).__name__}); the job did not start. Retry later.",
            expect="queued",
        )


# --------------------------------------------------------------------------------------------
# The RQ side


_worker_app: dict = {}


def set_worker_app(app: Flask) -> None:
    """The app an ``ownersvote worker`` built; its forked work horses reuse it."""
    _worker_app.update(app=app, pid=os.getpid())


def _app_for_worker() -> Flask:
    app = _worker_app.get("app")
    if app is None:
        # Workers are started with `ownersvote worker`, which builds the app (every package's
        # init_app) before it takes a job; a bare `rq worker` would run jobs of an app never built.
        raise RuntimeError("this RQ worker has no app: start workers with `ownersvote worker` (docs/deployment.md)")
    if _worker_app.get("pid") != os.getpid():
        # A forked work horse must not share the parent's database connections.
        with app.app_context():
            db.engine.dispose(close=False)
        _worker_app["pid"] = os.getpid()
    return app


def run_from_queue(job_id: int, attempt: int, request_id: str | None = None) -> str:
    """What an RQ worker calls (by name) for a queued job."""
    app = _app_for_worker()
    with app.app_context():
        return run_job(job_id, attempt, request_id=request_id)


def sweep_from_queue() -> int:
    app = _app_for_worker()
    with app.app_context():
        return sweep_results(side_session, files_root(app))


def schedule_sweep(app: Flask, after: timedelta) -> None:
    """Remove expired result files when they expire, even if nobody opens a page then."""
    delay = after.total_seconds() + 1
    mode = runner_mode(app)
    if mode == "inline":  # tests: pages and downloads sweep when they are opened
        return
    if mode == "rq":
        try:
            queue = job_queue(app)
            queue.enqueue_in(
                timedelta(seconds=delay),
                "webapp.jobs.runner.sweep_from_queue",
                job_id=f"{queue.name}-sweep-{secrets.token_hex(6)}",
                result_ttl=600,
            )
        except Exception:
            log.warning("could not schedule the removal of expired job results", exc_info=True)
        return

    def sweep() -> None:

        try:
            with app.app_context():
                sweep_results(side_session, files_root(app))
        except Exception:
            log.warning("sweeping expired job results failed", exc_info=True)

    timer = threading.Timer(delay, sweep)
    timer.daemon = True
    timer.start()


# --------------------------------------------------------------------------------------------
# Dead jobs: swept when a worker starts, and every minute after

DEAD_SWEEP_EVERY = 60.0  # seconds (OWNERSVOTE_JOB_SWEEP_EVERY)


def dead_sweep_every(app: Flask) -> float:
    return max(1.0, float(app.config.get("OWNERSVOTE_JOB_SWEEP_EVERY") or DEAD_SWEEP_EVERY))


def sweep_dead_now(app: Flask) -> list[int]:
    """Mark failed the jobs whose worker is gone; never raises (tidying up stops nothing)."""
    try:
        with app.app_context():
            marked = sweep_dead(side_session, app)
    except Exception:
        log.warning("sweeping jobs whose worker is gone failed", exc_info=True)
        return []
    if marked:
        log.warning("marked failed %d job(s) whose worker is gone: %s", len(marked), ", ".join(map(str, marked)))
    return marked


def _chain_key(queue_name: str) -> str:
    return f"ownersvote:{queue_name}:dead-sweep"


def start_dead_sweeps(app: Flask, *, repeat: bool = True) -> list[int]:
    """At ``ownersvote worker``'s start: sweep now, then (``repeat``) every minute on the queue.
    One chain of sweeps per queue: a worker that starts names a new chain in Redis, and the
    scheduled sweep of an older chain, finding another name there, does not schedule its next."""
    marked = sweep_dead_now(app)
    if repeat:
        try:
            queue = job_queue(app)
            token = secrets.token_hex(8)
            queue.connection.set(_chain_key(queue.name), token)
            _schedule_dead_sweep(app, queue, token)
        except Exception:
            log.warning("could not schedule the sweep of jobs whose worker is gone", exc_info=True)
    return marked


def _schedule_dead_sweep(app: Flask, queue, token: str) -> None:
    queue.enqueue_in(
        timedelta(seconds=dead_sweep_every(app)),
        "webapp.jobs.runner.dead_sweep_from_queue",
        args=(token,),
        job_id=f"{queue.name}-dead-sweep-{secrets.token_hex(6)}",
        result_ttl=0,
        failure_ttl=3600,
        description="sweep jobs whose worker is gone",
    )


def dead_sweep_from_queue(token: str) -> int:
    """What the RQ worker runs every minute: the sweep, then the next one of its chain."""
    app = _app_for_worker()
    queue = job_queue(app)
    current = queue.connection.get(_chain_key(queue.name))
    if current is not None and current.decode() != token:
        return 0  # a newer worker started a chain of its own
    try:
        return len(sweep_dead_now(app))
    finally:
        _schedule_dead_sweep(app, queue, token)


_sweeper: dict = {}
_sweeper_lock = threading.Lock()


def start_thread_sweeper(app: Flask) -> threading.Event | None:
    """Runner ``thread``: a daemon timer in this process sweeps now and every minute after (once
    per process; started again after a fork).  Returns the event that stops it (None when this
    process has one already)."""
    if _sweeper.get("pid") == os.getpid():  # every request asks: the common answer without the lock
        return None
    with _sweeper_lock:
        if _sweeper.get("pid") == os.getpid():
            return None
        stop = threading.Event()
        _sweeper.update(pid=os.getpid(), stop=stop)
    every = dead_sweep_every(app)

    def loop() -> None:
        sweep_dead_now(app)
        while not stop.wait(every):
            sweep_dead_now(app)

    thread = threading.Thread(target=loop, name="ownersvote-dead-jobs", daemon=True)
    _sweeper["thread"] = thread
    thread.start()
    return stop
