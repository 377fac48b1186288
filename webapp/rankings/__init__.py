"""Rankings (考评排名, 红黑榜): the district's rules, each period's signed ranking of every estate's firm
from the owners' evaluations, its PDF for notice boards (docs/evaluation-format.md, "Ranking")."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from webapp.audit import labels as audit_labels
from webapp.audit.operations import anchor_at_once
from webapp.pool import hooks as pool_hooks
from webapp.rankings import jobs  # noqa: F401  (registers the ranking job kind)
from webapp.rankings import operations as ops
from webapp.rankings.routes import bp

AUDIT_ACTIONS = {
    "ranking.rule": _l("Published a ranking rule"),
    "ranking.publish": _l("Published a ranking of firms"),
    "ranking.reselection": _l("Prepared a re-selection draft: the firm failed consecutive periods"),
}

# A published ranking is relied on (it can send an estate's firm back to the owners): anchored at once.
AUDIT_ANCHORED = {"ranking.publish", "ranking.reselection"}


def init_app(app: Flask) -> None:
    audit_labels.register_actions(AUDIT_ACTIONS)
    anchor_at_once(AUDIT_ANCHORED)
    app.config.setdefault("OWNERSVOTE_DISTRICT_TIMEZONE", "Asia/Shanghai")
    pool_hooks.answer_standings(ops.latest_standings)
    app.register_blueprint(bp)
