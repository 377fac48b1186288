"""Owners' onboarding: QR letters, the identity check, registrations, sign-in on the device, notices; and the supervisors' queue."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from webapp.audit import labels as audit_labels
from webapp.audit.operations import anchor_at_once
from webapp.owners import jobs  # noqa: F401  (registers its job kinds)
from webapp.owners.routes import bp
from webapp.owners.staff_routes import bp as onboarding_bp

# How the audit log names this package's actions (webapp.audit.labels).
AUDIT_ACTIONS = {
    "letter.issue": _l("Printed QR letters"),
    "letter.locked": _l("Locked a letter after too many wrong answers"),
    "letter.void": _l("Voided earlier QR letters"),
    "owner.representative": _l("Recorded who votes for the co-owners"),
    "registration.approved": _l("Approved a registration"),
    "registration.proxy": _l("A proxy registered with their own letter"),
    "registration.rejected": _l("Rejected a registration"),
    "registration.submitted": _l("An owner asked the supervisors to check a registration"),
    "registration.superseded": _l("A new registration replaced an earlier one"),
}

# Supervisors' decisions on registrations, anchored at once (webapp.audit.operations.ANCHORED).
AUDIT_ANCHORED = {
    "registration.approved",
    "registration.rejected",
}


def init_app(app: Flask) -> None:
    audit_labels.register_actions(AUDIT_ACTIONS)
    anchor_at_once(AUDIT_ANCHORED)
    app.register_blueprint(bp)
    app.register_blueprint(onboarding_bp)
