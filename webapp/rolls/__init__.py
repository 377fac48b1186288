"""Electoral rolls: frozen from the registry, signed by supervisors in their own browsers, and checked against their signatures wherever they are used."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from webapp.assemblies import hooks as assembly_hooks
from webapp.audit import labels as audit_labels
from webapp.audit.operations import anchor_at_once
from webapp.estates import tasks as estate_tasks
from webapp.rolls import checks, tasks
from webapp.rolls.routes import bp, rolls_to_choose

# How the audit log names this package's actions (webapp.audit.labels).
AUDIT_ACTIONS = {
    "roll.freeze": _l("Froze the electoral roll"),
    "roll.sign": _l("Signed the electoral roll"),
    "roll.supplement": _l("Asked the supervisors to add a key to the frozen roll"),
    "roll.supplement_sign": _l("Signed a supplement to the electoral roll"),
}

# The roll's freeze and signatures, anchored at once (webapp.audit.operations.ANCHORED).
AUDIT_ANCHORED = {
    "roll.freeze",
    "roll.sign",
    "roll.supplement_sign",
}


def init_app(app: Flask) -> None:
    audit_labels.register_actions(AUDIT_ACTIONS)
    anchor_at_once(AUDIT_ANCHORED)
    app.register_blueprint(bp)
    estate_tasks.register("rolls.signatures", tasks.waiting)
    assembly_hooks.register("opening_blockers", "rolls.certified", checks.opening_blockers)
    assembly_hooks.register("detail_context", "rolls.choices", rolls_to_choose)
