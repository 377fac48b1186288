"""Inspections (检查考核) of an estate's firm by its supervisors, rectification notices (整改通知) and
follow-ups, each signed in the inspector's browser with the inspector's device key; and the firm's
written answers (crypto/inspection.py, docs/inspection-format.md)."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from webapp.attachments.access import register_reader
from webapp.attachments.models import Attachment
from webapp.audit import labels as audit_labels
from webapp.audit.operations import anchor_at_once
from webapp.core.db import db
from webapp.core.roles import is_firm
from webapp.inspections import operations
from webapp.inspections.models import FirmAnswer, FollowUp, Inspection
from webapp.inspections.routes import bp

AUDIT_ACTIONS = {
    "inspection.form": _l("Published an inspection form"),
    "inspection.record": _l("Recorded an inspection of the firm (signed by the inspector)"),
    "inspection.notice": _l("Issued a rectification notice (signed by the inspector)"),
    "inspection.followup": _l("Recorded a follow-up of a rectification notice (signed by the inspector)"),
    "inspection.answer": _l("The firm answered an inspection or a rectification notice"),
}

# Signed by a supervisor's own key and relied on by the firm and the ranking: anchored at once.
AUDIT_ANCHORED = {"inspection.record", "inspection.notice", "inspection.followup"}


def _firm_reads(attachment: Attachment) -> bool:
    """The firm inspected sees the photos of its inspections, of the follow-ups of its notices and
    of its own answers."""
    if not is_firm():
        return False
    if attachment.kind == "inspection":
        found = db.session.get(Inspection, attachment.owner_id)
        return found is not None and found.firm_id == current_user.firm_id
    if attachment.kind == "answer":
        reply = db.session.get(FirmAnswer, attachment.owner_id)
        return reply is not None and reply.firm_id == current_user.firm_id
    found = db.session.get(FollowUp, attachment.owner_id)
    return found is not None and found.notice.firm_id == current_user.firm_id


def init_app(app: Flask) -> None:
    audit_labels.register_actions(AUDIT_ACTIONS)
    anchor_at_once(AUDIT_ANCHORED)
    register_reader("inspection", _firm_reads)
    register_reader("followup", _firm_reads)
    register_reader("answer", _firm_reads)
    # Scores on pages come from the signed documents after checking them, never the stored column.
    app.add_template_global(operations.score_of, "inspection_score")
    app.add_template_global(operations.verified_score, "verified_score")
    app.add_template_global(operations.item_points, "item_points")
    app.register_blueprint(bp)
