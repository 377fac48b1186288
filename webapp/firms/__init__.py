"""Firms (物业服务企业): the district's register of property-service firms and the estates each serves."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from webapp.audit import labels as audit_labels
from webapp.firms.routes import bp

AUDIT_ACTIONS = {
    "firm.create": _l("Registered a property-service firm"),
    "firm.assign": _l("Recorded the firm serving an estate"),
}


def init_app(app: Flask) -> None:
    audit_labels.register_actions(AUDIT_ACTIONS)
    app.register_blueprint(bp)
