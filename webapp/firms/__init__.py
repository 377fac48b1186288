"""Firms (物业服务企业): the district's register of property-service firms, the estates each serves,
and the firms' own logins (which see their estates' results, inspections and notices, never owners)."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from webapp.audit import labels as audit_labels
from webapp.firms.routes import bp

AUDIT_ACTIONS = {
    "firm.create": _l("Registered a property-service firm"),
    "firm.assign": _l("Recorded the firm serving an estate"),
    "firm.account": _l("Created a login for a firm's staff"),
    "firm.account_disable": _l("Disabled a firm's login"),
    "firm.account_enable": _l("Enabled a firm's login again"),
    "firm.login": _l("A firm's staff member signed in"),
}


def init_app(app: Flask) -> None:
    audit_labels.register_actions(AUDIT_ACTIONS)
    app.register_blueprint(bp)
