"""The district's pool of firms (优势资源库): contacts, qualifications and notes of the register's
firms, when and why each entered or left the pool, and the two-way matching of estates without a
firm (无物业小区) with the pool's firms.  Selections draw their bidders from it
(webapp/assemblies), and so does a re-selection draft (webapp/rankings/reselection.py)."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from webapp.audit import labels as audit_labels
from webapp.audit.operations import anchor_at_once
from webapp.pool.routes import bp

AUDIT_ACTIONS = {
    "pool.enter": _l("A firm entered the district's pool"),
    "pool.leave": _l("A firm left the district's pool"),
    "pool.profile": _l("Changed a firm's contacts, qualifications or notes"),
    "pool.estate_interest": _l("The estate's organisers are interested in a firm of the pool"),
    "pool.firm_interest": _l("A firm of the pool is interested in the estate"),
    "pool.estate_withdraw": _l("The estate's organisers withdrew their interest in a firm"),
    "pool.firm_withdraw": _l("A firm withdrew its interest in the estate"),
    "pool.match": _l("The estate and a firm of the pool are interested in each other (a match)"),
}

# A firm's place in the pool decides whether a selection or a re-selection draft may name it:
# entering and leaving are anchored at once, as is a match an estate's organisers act on.
AUDIT_ANCHORED = {"pool.enter", "pool.leave", "pool.match"}


def init_app(app: Flask) -> None:
    audit_labels.register_actions(AUDIT_ACTIONS)
    anchor_at_once(AUDIT_ANCHORED)
    app.register_blueprint(bp)
