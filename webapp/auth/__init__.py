"""Staff accounts: sign-in, passwords, the platform's staff list, and the staff roles of an estate."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from webapp.audit import labels as audit_labels
from webapp.auth.routes import bp

# How the audit log names this package's actions (webapp.audit.labels).
AUDIT_ACTIONS = {
    "staff.create": _l("Created a staff account"),
    "staff.disable": _l("Disabled a staff account"),
    "staff.enable": _l("Enabled a staff account again"),
    "staff.identity": _l("Recorded a staff member's identity (as a keyed hash)"),
    "staff.login": _l("Logged in"),
    "staff.password": _l("Changed their password"),
    "staff.role.grant": _l("Granted a role in this estate"),
    "staff.role.revoke": _l("Removed a role in this estate"),
}


def init_app(app: Flask) -> None:
    audit_labels.register_actions(AUDIT_ACTIONS)
    app.register_blueprint(bp)
