"""What supervisors check: the estate's audit log, and the integrity check (`ownersvote check`) that reads rolls, logs, tallies and the audit chain together; and the installation's server key set as its operator changes it."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from webapp.audit import labels as audit_labels
from webapp.audit.operations import anchor_at_once
from webapp.oversight.routes import bp

# How the audit log names this package's actions (webapp.audit.labels).
AUDIT_ACTIONS = {
    "server_key.add": _l("Added a server signing key (not in use yet)"),
    "server_key.activate": _l("Put a server signing key into use"),
    "server_key.retire": _l("Retired a server signing key"),
}

# Every change of the key set is anchored at once (webapp.audit.operations.ANCHORED).
AUDIT_ANCHORED = set(AUDIT_ACTIONS)


def init_app(app: Flask) -> None:
    audit_labels.register_actions(AUDIT_ACTIONS)
    anchor_at_once(AUDIT_ANCHORED)
    app.register_blueprint(bp)
