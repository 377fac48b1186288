"""Estates: the estate record and its settings, the statute's thresholds and the estate's stricter rules, and who may see what of an estate."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from webapp.audit import labels as audit_labels
from webapp.estates.routes import bp
from webapp.estates.tasks import staff_tasks

# How the audit log names this package's actions (webapp.audit.labels).
AUDIT_ACTIONS = {
    "estate.create": _l("Created the estate"),
    "estate.settings": _l("Changed the estate's settings"),
}


def init_app(app: Flask) -> None:
    audit_labels.register_actions(AUDIT_ACTIONS)
    app.register_blueprint(bp)
    app.add_template_global(staff_tasks)
