"""What the jobs package tells readiness and metrics: whether the file store and the job folder
take a write, and how many jobs wait and run (read when /metrics is scraped)."""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

from flask import Flask, current_app
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select

from webapp.attachments.storage import root as files_root_of_attachments
from webapp.core.db import db
from webapp.jobs.context import files_root, runner_mode
from webapp.jobs.models import Job
from webapp.jobs.runner import job_queue


def _writable(folder: Path) -> str | None:
    probe = folder / f".ready-{secrets.token_hex(6)}"
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, b"ok")
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as exc:
        return f"{folder} is not writable: {exc.strerror or type(exc).__name__}"
    finally:
        with contextlib.suppress(OSError):
            probe.unlink(missing_ok=True)
    return None


def file_store(app: Flask) -> str | None:
    problems = [p for p in (_writable(files_root_of_attachments()), _writable(files_root(app))) if p]
    return "; ".join(problems) or None


def collect_jobs():
    """Jobs queued and running by kind (the database), and the RQ queue's length."""
    app = current_app._get_current_object()
    family = GaugeMetricFamily("ownersvote_jobs", "Background jobs not finished, by state and kind", labels=["state", "kind"])
    rows = db.session.execute(
        select(Job.state, Job.kind, func.count(Job.id)).where(Job.state.in_(("queued", "running"))).group_by(Job.state, Job.kind)
    ).all()
    for state, kind, count in rows:
        family.add_metric([state, kind], count)
    yield family
    if runner_mode(app) == "rq":
        depth = GaugeMetricFamily("ownersvote_job_queue_depth", "Jobs waiting in the RQ queue")
        depth.add_metric([], job_queue(app).count)
        yield depth
