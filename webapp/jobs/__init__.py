"""Background jobs with progress: the Job record, kinds, runners (RQ or in-process) and pages."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from webapp.audit import labels as audit_labels
from webapp.core import metrics, readiness, startup
from webapp.jobs import health
from webapp.jobs.context import runner_mode
from webapp.jobs.routes import bp, can_see_jobs
from webapp.jobs.runner import start_thread_sweeper

# How the audit log names this package's actions (webapp.audit.labels).
AUDIT_ACTIONS = {
    "job.download": _l("Downloaded a job's result"),
    "job.retry": _l("Retried a background job"),
    "job.start": _l("Started a background job"),
}


def init_app(app: Flask) -> None:
    audit_labels.register_actions(AUDIT_ACTIONS)
    app.register_blueprint(bp)
    readiness.register_check("file store", health.file_store)
    startup.register_startup_check("file store", lambda app: health.mark_local_stores(app))
    metrics.register_collector(health.collect_jobs)
    app.jinja_env.globals["can_see_jobs"] = can_see_jobs
    if runner_mode(app) == "thread":
        # Jobs run in this process's threads: so does the sweep of jobs whose runner died (a
        # web process restarted mid-job), started with the first request of each process.
        @app.before_request
        def sweep_dead_jobs_here() -> None:  # (returns nothing: a before_request's value is the response)
            start_thread_sweeper(app)
