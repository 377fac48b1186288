"""Candidates for the owners' committee: nominations, written commitments, vetting, the list."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from webapp.assemblies import hooks as assembly_hooks
from webapp.assemblies.files import listed_in_notice
from webapp.attachments.access import register_reader
from webapp.audit import labels as audit_labels
from webapp.audit.operations import anchor_at_once
from webapp.candidates import checks, tasks
from webapp.candidates.notice import election_options
from webapp.candidates.routes import bp
from webapp.estates import tasks as estate_tasks

# How the audit log names this package's actions (webapp.audit.labels).
AUDIT_ACTIONS = {
    "candidate.commit": _l("A candidate signed the written commitment"),
    "candidate.decline": _l("A nominee declined"),
    "candidate.nominate": _l("Nominated a candidate"),
    "candidate.vet": _l("Vetted a candidate"),
    "candidate.withdraw": _l("A candidate withdrew"),
    "candidates.publish": _l("Published the approved candidates' list"),
}

# Vetting decisions and the published list, anchored at once (webapp.audit.operations.ANCHORED).
AUDIT_ANCHORED = {
    "candidate.vet",
    "candidates.publish",
}


def init_app(app: Flask) -> None:
    audit_labels.register_actions(AUDIT_ACTIONS)
    anchor_at_once(AUDIT_ANCHORED)
    app.register_blueprint(bp)
    estate_tasks.register("candidates.vetting", tasks.waiting)
    assembly_hooks.register("item_notice_problems", "candidates.list", checks.notice_problems)
    assembly_hooks.register("opening_blockers", "candidates.shortfall", checks.opening_blockers)
    assembly_hooks.register("election_options", "candidates.published", election_options)
    assembly_hooks.register("item_removal_problems", "candidates.nominated", checks.removal_problems)
    # Candidates' statements and photos are public once a published notice lists them.
    for kind in ("candidate", "photo"):
        register_reader(kind, listed_in_notice)
