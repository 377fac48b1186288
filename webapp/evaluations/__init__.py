"""Evaluations (满意度测评): forms signed by the platform, and owners' anonymous evaluation of their
estate's firm with RFC 9474 blind tokens (docs/evaluation-format.md, docs/security.md)."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from webapp.audit import labels as audit_labels
from webapp.audit.operations import anchor_at_once
from webapp.evaluations.routes import bp, phase, phase_label

AUDIT_ACTIONS = {
    "evaluation.form": _l("Published an evaluation form"),
    "evaluation.open": _l("Opened an owners' evaluation of the firm"),
    "evaluation.token": _l("A member obtained its evaluation token"),
    "evaluation.publish": _l("Published an evaluation's result"),
}

# The published result is relied on: anchored at once (webapp.audit.operations.ANCHORED).
AUDIT_ANCHORED = {"evaluation.publish"}


def init_app(app: Flask) -> None:
    audit_labels.register_actions(AUDIT_ACTIONS)
    anchor_at_once(AUDIT_ANCHORED)
    app.config.setdefault("OWNERSVOTE_EVALUATION_MIN_ANSWERS", 5)
    app.register_blueprint(bp)
    app.jinja_env.globals.update(evaluation_phase=phase, evaluation_phase_label=phase_label)
