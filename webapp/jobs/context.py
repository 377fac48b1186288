"""What a running job is handed: :class:`JobContext` (progress, heartbeat, result files, follow-up
jobs), and the small helpers it and the runner share.  Kept apart from the runner so that job
kinds, the runner and the operations that start jobs do not import each other in a circle."""

from __future__ import annotations

import hashlib
import logging
import os
import re
import secrets
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, current_app
from sqlalchemy import update
from sqlalchemy.exc import OperationalError

from webapp.auth.models import StaffUser
from webapp.core import db as database
from webapp.core.db import db
from webapp.core.filestore import not_mounted
from webapp.estates.models import Estate
from webapp.jobs.models import Job
from webapp.jobs.operations import StoreNotReachable, start_job, store_reachable

log = logging.getLogger(__name__)

RUNNERS = ("rq", "thread", "inline")
THREADS = 2  # background threads per web process (runner "thread")
PROGRESS_EVERY = 0.5  # seconds between two progress writes of one job, at most


class JobLost(Exception):
    """The job is no longer this runner's: it was marked failed (no heartbeat) or retried."""


# --------------------------------------------------------------------------------------------
# Settings


def runner_mode(app: Flask) -> str:
    mode = app.config.get("OWNERSVOTE_JOB_RUNNER") or ("rq" if app.config.get("OWNERSVOTE_REDIS_URL") else "thread")
    if mode not in RUNNERS:
        raise ValueError(f"OWNERSVOTE_JOB_RUNNER must be one of {', '.join(RUNNERS)}, not {mode!r}")
    return mode


def files_root(app: Flask | None = None) -> Path:
    app = app or current_app
    return Path(app.config.get("OWNERSVOTE_JOB_FILES") or Path(app.instance_path) / "jobs")


def _seconds(app: Flask, key: str, default: float) -> float:
    return float(app.config.get(key, default))


def heartbeat_every(app: Flask) -> float:
    return _seconds(app, "OWNERSVOTE_JOB_HEARTBEAT", 15)


def _is_sqlite() -> bool:
    return db.session.get_bind().dialect.name == "sqlite"


def safe_filename(name: str) -> str:
    """A file name people can read that is safe in a path and a Content-Disposition header:
    letters, digits (any script), ``.``, ``-`` and ``_``; anything else becomes ``-``."""
    name = unicodedata.normalize("NFC", name)
    cleaned = re.sub(r"[^\w.\-]+", "-", name, flags=re.UNICODE).strip(".-_ ")
    cleaned = re.sub(r"-{2,}", "-", cleaned)
    return (cleaned or "result")[:120]


# --------------------------------------------------------------------------------------------
# Side writes: the job's own record, in a session of its own


def side_session():
    return db.session.session_factory()


class _Now:
    """A value that stands for the database's clock, read when the row is written."""

    def __repr__(self) -> str:
        return "NOW"


NOW = _Now()


def _update_job(job_id: int, attempt: int, *, expect: str = "running", **values) -> bool:
    """UPDATE the job row if it is still in state ``expect`` at this attempt; commit at once.
    Values given as :data:`NOW` are the database's clock (heartbeats and staleness are judged by
    it, never by one app server's clock: issue 18, item 6)."""
    session = side_session()
    try:
        if any(value is NOW for value in values.values()):
            now = database.db_now(session)
            values = {key: now if value is NOW else value for key, value in values.items()}
        result = session.execute(update(Job).where(Job.id == job_id, Job.attempts == attempt, Job.state == expect).values(**values))
        session.commit()
        return result.rowcount == 1
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


# --------------------------------------------------------------------------------------------
# The context a job function gets


@dataclass
class JobResult:
    path: Path
    name: str
    mimetype: str
    size: int
    sha256: str


class JobContext:
    """What a job function may use: its ids and parameters, ``progress`` and ``save_result``.

    ``progress`` writes at most every half second (the page polls every second) unless
    ``force=True``, each write also being a heartbeat.  It raises :class:`JobLost` when the job
    has been taken away from this runner, so a function stops working for nobody.
    """

    def __init__(self, app: Flask, job_id: int, attempt: int, estate_id: int | None, actor_id: int | None, kind: str):
        self.app = app
        self.job_id = job_id
        self.attempt = attempt
        self.estate_id = estate_id
        self.actor_id = actor_id
        self.kind = kind
        self.result: JobResult | None = None
        self._last_write = 0.0
        self.last_total = 0
        self.summary: tuple[str, str] | None = None  # the message a done job shows
        self.follow_ups: list[Job] = []  # queued in this job's transaction, submitted after it commits
        self._sqlite = _is_sqlite()

    # The database rows of the estate and the actor, in the function's own session.
    @property
    def estate(self):

        return db.session.get(Estate, self.estate_id) if self.estate_id is not None else None

    @property
    def actor(self):

        return db.session.get(StaffUser, self.actor_id) if self.actor_id else None

    def _may_write(self) -> bool:
        # On SQLite a transaction that has read cannot write any more once another connection
        # has committed (WAL snapshot), so while the function's session holds a transaction its
        # progress waits.  A function gets live progress by reading what it needs, ending that
        # transaction (db.session.rollback()), doing the long part, and writing at the end.
        return not (self._sqlite and db.session().in_transaction())

    def progress(self, done: int, total: int, zh: str | None = None, en: str | None = None, *, force: bool = False) -> None:
        done, total = max(0, int(done)), max(0, int(total))
        self.last_total = total
        now = time.monotonic()
        if not force and now - self._last_write < PROGRESS_EVERY:
            return
        if not self._may_write():
            return
        values = {"progress_done": min(done, total) if total else done, "progress_total": total, "heartbeat_at": NOW}
        if zh is not None or en is not None:
            values.update(message_zh=zh, message_en=en)
        try:
            ok = _update_job(self.job_id, self.attempt, **values)
        except OperationalError:  # a busy SQLite file: progress is best effort, try next time
            log.warning("job %s: progress not written (database busy)", self.job_id)
            return
        self._last_write = now
        if not ok:
            raise JobLost(self.job_id)

    def begin_writing(self) -> None:
        """Call before reading what the function is about to change.  On SQLite this opens the
        function's transaction with a write, so it holds the database's write lock from its
        first read: otherwise any commit by another connection between that read and the first
        write (a page saving its session, say) would make the write fail (a stale WAL snapshot).
        Elsewhere row locks do the job and this does nothing (it must not lock the job's row,
        which progress and heartbeats update from other connections)."""
        if self._sqlite and not db.session().in_transaction():
            db.session.execute(update(Job).where(Job.id == self.job_id).values(heartbeat_at=database.db_now()))

    def beat(self) -> None:
        """A heartbeat without news (for long steps that report no progress)."""
        now = time.monotonic()
        if now - self._last_write < PROGRESS_EVERY or not self._may_write():
            return
        if not _update_job(self.job_id, self.attempt, heartbeat_at=NOW):
            raise JobLost(self.job_id)
        self._last_write = now

    def done(self, zh: str, en: str) -> None:
        """What the job's page says once it is done (stored with the ``done`` state)."""
        self.summary = (zh, en)

    def then(self, kind_name: str, params: dict) -> Job:
        """Queue a job of ``kind_name`` that starts only once this job's work has committed.  It is
        written in this job's transaction, so a job that fails (or whose commit fails) leaves no
        follow-up behind: nothing that acts outside the database (a text message, say) runs on
        changes that were never kept."""

        job = start_job(self.estate, kind_name, params, actor=self.actor, runner=runner_mode(self.app))
        self.follow_ups.append(job)
        return job

    def save_result(self, name: str, data: bytes, mimetype: str = "application/octet-stream") -> None:
        """Store the result file (owner-only permissions, outside the web root)."""
        self.discard_result()
        name = safe_filename(name)
        if not store_reachable(files_root(self.app)):
            # Not mounted here: a result saved into the empty local folder would be missing for
            # every other server (webapp/core/filestore.py).  The job fails and can be retried.
            log.error("job %s: %s", self.job_id, not_mounted(files_root(self.app)))
            raise StoreNotReachable(
                "这台服务器无法访问文件存储（共享文件夹未挂载），结果没有保存。请稍后重试；如果一再出现，请联系技术人员。",
                "The file store is not reachable from this server (the shared folder is not mounted): the result was not saved. "
                "Try again in a moment; if it keeps happening, tell the technicians.",
            )
        folder = files_root(self.app) / (str(self.estate_id) if self.estate_id is not None else "district")
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        suffix = Path(name).suffix if re.fullmatch(r"\.[A-Za-z0-9]{1,8}", Path(name).suffix or "") else ".bin"
        path = folder / f"job-{self.job_id}-{self.attempt}-{secrets.token_hex(8)}{suffix}"
        tmp = path.with_name(path.name + ".part")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        self.result = JobResult(path=path, name=name, mimetype=mimetype, size=len(data), sha256=hashlib.sha256(data).hexdigest())

    def discard_result(self) -> None:
        if self.result is not None:
            self.result.path.unlink(missing_ok=True)
            self.result = None


# --------------------------------------------------------------------------------------------
# Heartbeats while a function runs (server databases only; see JobContext._may_write)
