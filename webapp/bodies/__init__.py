"""The estate's organising body (业主委员会, 筹备组 or 物管会), term by term: what every notice,
letter, ballot sheet and result calls the organiser, and the reminder of a term's end (换届)."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from webapp.audit import labels as audit_labels
from webapp.bodies import operations
from webapp.bodies.routes import bp
from webapp.core.i18n import Bilingual

AUDIT_ACTIONS = {
    "body.record": _l("Recorded a term of the organising body"),
    "body.term_reminder": _l("Reminded the supervisors that the organising body's term is ending"),
}


def _term_warning(estate):
    found = operations.term_warning(estate)
    return Bilingual(*found) if found else None


def init_app(app: Flask) -> None:
    audit_labels.register_actions(AUDIT_ACTIONS)
    app.register_blueprint(bp)
    app.jinja_env.globals.update(
        organiser_name=operations.organiser_name,
        organising_body=operations.current_body,
        body_term_warning=_term_warning,
        body_kind_words=operations.kind_words,
    )
