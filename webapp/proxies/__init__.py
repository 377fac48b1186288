"""Proxies (委托代理人): an owner's written authorisation for one assembly, approved by a supervisor."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from webapp.assemblies import hooks as assembly_hooks
from webapp.audit import labels as audit_labels
from webapp.audit.operations import anchor_at_once
from webapp.owners import hooks as owner_hooks
from webapp.proxies.operations import check_proxy_identity, freeze_problems, proxy_keys_by_member
from webapp.proxies.routes import bp

# How the audit log names this package's actions (webapp.audit.labels).
AUDIT_ACTIONS = {
    "proxy.decide": _l("Decided a letter of proxy"),
    "proxy.letter": _l("Printed a proxy's letter"),
    "proxy.submit": _l("Entered a letter of proxy"),
    "proxy.withdraw": _l("A proxy was withdrawn"),
}

# Supervisors' decisions on letters of proxy, anchored at once (webapp.audit.operations.ANCHORED).
AUDIT_ANCHORED = {
    "proxy.decide",
}


def init_app(app: Flask) -> None:
    audit_labels.register_actions(AUDIT_ACTIONS)
    anchor_at_once(AUDIT_ANCHORED)
    app.register_blueprint(bp)
    owner_hooks.answer_proxy_identity(check_proxy_identity)
    assembly_hooks.register("roll_freeze_problems", "proxies.undecided", freeze_problems)
    assembly_hooks.register("roll_extra_keys", "proxies.keys", proxy_keys_by_member)
