"""What supervisors check: the estate's audit log, and the integrity check (`ownersvote check`) that reads rolls, logs, tallies and the audit chain together."""

from __future__ import annotations

from flask import Flask

from webapp.oversight.routes import bp


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
