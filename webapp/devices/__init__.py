"""Device keys of owners and staff: made in the browser, stored after a proof of possession, revoked with a reason."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from webapp.audit import labels as audit_labels
from webapp.devices.names import device_name
from webapp.devices.routes import bp

# How the audit log names this package's actions (webapp.audit.labels).
AUDIT_ACTIONS = {
    "device_key.add": _l("Registered a device key"),
    "device_key.revoke": _l("Revoked a device key"),
}


def init_app(app: Flask) -> None:
    audit_labels.register_actions(AUDIT_ACTIONS)
    app.register_blueprint(bp)
    app.jinja_env.globals["device_name"] = device_name
