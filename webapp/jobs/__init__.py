"""Background jobs with progress: the Job record, kinds, runners (RQ or in-process) and pages."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from webapp.audit import labels as audit_labels
from webapp.jobs.routes import bp, can_see_jobs

# How the audit log names this package's actions (webapp.audit.labels).
AUDIT_ACTIONS = {
    "job.download": _l("Downloaded a job's result"),
    "job.retry": _l("Retried a background job"),
    "job.start": _l("Started a background job"),
}


def init_app(app: Flask) -> None:
    audit_labels.register_actions(AUDIT_ACTIONS)
    app.register_blueprint(bp)
    app.jinja_env.globals["can_see_jobs"] = can_see_jobs
