"""Background jobs with progress: the Job record, kinds, runners (RQ or in-process) and pages."""

from __future__ import annotations

from flask import Flask

from webapp.jobs.routes import bp, can_see_jobs


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.jinja_env.globals["can_see_jobs"] = can_see_jobs
