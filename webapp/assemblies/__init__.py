"""Owners' assemblies: the agenda, the notice and the clock that opens and closes voting."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from webapp.assemblies.files import listed_in_notice
from webapp.assemblies.presentation import convener
from webapp.assemblies.routes import bp
from webapp.attachments.access import register_reader
from webapp.audit import labels as audit_labels
from webapp.audit.operations import anchor_at_once

# How the audit log names this package's actions (webapp.audit.labels).
AUDIT_ACTIONS = {
    "assembly.create": _l("Created an assembly"),
    "assembly.edit": _l("Changed an assembly's details"),
    "assembly.nominations_open": _l("Called for candidates"),
    "assembly.notice": _l("Published the notice"),
    "assembly.open": _l("Voting opened (by the clock)"),
    "assembly.roll": _l("Set the assembly's electoral roll"),
    "attachment.add": _l("Attached a file"),
    "attachment.remove": _l("Removed a file"),
    "bidder.add": _l("Added a bidder"),
    "bidder.remove": _l("Removed a bidder"),
    "item.add": _l("Added an agenda item"),
    "item.edit": _l("Changed an agenda item"),
    "item.remove": _l("Removed an agenda item"),
    "plan.add": _l("Added a plan"),
    "plan.remove": _l("Removed a plan"),
}

# Transitions of an assembly people rely on, anchored at once (webapp.audit.operations.ANCHORED).
AUDIT_ANCHORED = {
    "assembly.notice",
    "assembly.open",
}


def init_app(app: Flask) -> None:
    audit_labels.register_actions(AUDIT_ACTIONS)
    anchor_at_once(AUDIT_ANCHORED)
    app.register_blueprint(bp)
    app.jinja_env.globals["assembly_convener"] = convener
    # Documents of items, bids and plans are public once a published notice lists them.
    for kind in ("item", "bidder", "plan"):
        register_reader(kind, listed_in_notice)
