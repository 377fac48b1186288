"""What the jobs package tells readiness and metrics: whether the file store and the job folder
are the shared stores (their marker, webapp/core/filestore.py) and take a write, and how many jobs
wait and run (read when /metrics is scraped)."""

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
from webapp.core.filestore import mark_if_local, mounted, not_mounted
from webapp.jobs.context import files_root, runner_mode
from webapp.jobs.models import Job
from webapp.jobs.runner import job_queue


def _writable(folder: Path) -> str | None:
    if not mounted(folder):  # never written into an unmounted share's empty local folder
        return not_mounted(folder)
    probe = folder / f".ready-{secrets.token_hex(6)}"
    try:
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


def mark_local_stores(app: Flask) -> None:
    """At start: a store the installation owns on this machine is marked (its first start); a
    shared one only by `ownersvote init`, so that an unmounted share is never taken for the store."""
    production = app.config.get("OWNERSVOTE_ENV") == "production"
    mark_if_local(files_root_of_attachments(), production=production, what="file store")
    mark_if_local(files_root(app), production=production, what="job files")


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
