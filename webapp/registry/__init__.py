"""The registry of units and owners: imports from the property office's file, the statute's counting of heads and area, and the estate's roster pages."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from webapp.audit import labels as audit_labels
from webapp.registry import jobs  # noqa: F401  (registers its job kinds)
from webapp.registry.counting import format_area
from webapp.registry.roster_routes import bp as roster_bp
from webapp.registry.routes import bp

# How the audit log names this package's actions (webapp.audit.labels).
AUDIT_ACTIONS = {
    "registry.import": _l("Imported the registry"),
}


def init_app(app: Flask) -> None:
    audit_labels.register_actions(AUDIT_ACTIONS)
    app.register_blueprint(bp)
    app.register_blueprint(roster_bp)
    app.jinja_env.globals["format_area"] = format_area
