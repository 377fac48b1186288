"""Owners' onboarding: QR letters, the identity check, registrations, sign-in on the device, notices; and the supervisors' queue."""

from __future__ import annotations

from flask import Flask

from webapp.owners import jobs  # noqa: F401  (registers its job kinds)
from webapp.owners.routes import bp
from webapp.owners.staff_routes import bp as onboarding_bp


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.register_blueprint(onboarding_bp)
