"""Device keys of owners and staff: made in the browser, stored after a proof of possession, revoked with a reason."""

from __future__ import annotations

from flask import Flask

from webapp.devices.names import device_name
from webapp.devices.routes import bp


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.jinja_env.globals["device_name"] = device_name
