"""Staff accounts: sign-in, passwords, the platform's staff list, and the staff roles of an estate."""

from __future__ import annotations

from flask import Flask

from webapp.auth.routes import bp


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
