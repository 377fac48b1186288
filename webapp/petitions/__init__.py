"""Petitions (业主提议): owners holding 20% of the area and of the heads require the committee to
convene an extraordinary meeting (业主大会和业主委员会指导规则 Art. 21); each signature is signed on
the owner's phone and kept in the petition's own log (docs/petition-format.md)."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from webapp.audit import labels as audit_labels
from webapp.audit.operations import anchor_at_once
from webapp.petitions.routes import bp

AUDIT_ACTIONS = {
    "petition.start": _l("An owner started a petition for an extraordinary meeting"),
    "petition.sign": _l("An owner signed a petition"),
    "petition.succeed": _l("A petition reached both shares: the committee must convene the meeting"),
    "petition.lapse": _l("A petition lapsed before reaching both shares"),
}

# A petition that succeeded starts the committee's deadline: anchored at once.
AUDIT_ANCHORED = {"petition.succeed"}


def init_app(app: Flask) -> None:
    audit_labels.register_actions(AUDIT_ACTIONS)
    anchor_at_once(AUDIT_ANCHORED)
    app.register_blueprint(bp)
