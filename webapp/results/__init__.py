"""Results: the tally from the sealed log, supervisors' certification, publication (公示),
objections and the public audit bundle."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from webapp.attachments.access import register_reader
from webapp.audit import labels as audit_labels
from webapp.audit.operations import anchor_at_once
from webapp.estates import tasks as estate_tasks
from webapp.results import (
    jobs,  # noqa: F401  (registers its job kinds)
    tasks,
)
from webapp.results.objections import may_read_objection_file
from webapp.results.operations import CHECK_WORDS, STEP_WORDS
from webapp.results.routes import bp

# How the audit log names this package's actions (webapp.audit.labels).
AUDIT_ACTIONS = {
    "assembly.archive": _l("Archived the assembly"),
    "assembly.certified": _l("The tally has every certification it needs"),
    "assembly.publish": _l("Published the result and its audit bundle"),
    "assembly.tally": _l("Computed the tally from the sealed log"),
    "objection.answer": _l("Answered an objection"),
    "objection.file": _l("An owner filed an objection"),
    "tally.certify": _l("Certified the tally"),
    "tally.tampering": _l("Tampering alarm: the audit bundle failed verification and the step was refused"),
}

# Objections, answers, the tally's transitions, certifications and alarms, anchored at once
# (webapp.audit.operations.ANCHORED).
AUDIT_ANCHORED = {
    "assembly.archive",
    "assembly.certified",
    "assembly.publish",
    "assembly.tally",
    "objection.answer",
    "objection.file",
    "tally.certify",
    "tally.tampering",
}


def init_app(app: Flask) -> None:
    audit_labels.register_actions(AUDIT_ACTIONS)
    anchor_at_once(AUDIT_ANCHORED)
    audit_labels.register_words({w.en: w for w in (*CHECK_WORDS.values(), *STEP_WORDS.values())})
    app.register_blueprint(bp)
    estate_tasks.register("results.certifications", tasks.waiting)
    register_reader("objection", may_read_objection_file)
