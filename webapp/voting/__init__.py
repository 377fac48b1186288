"""Voting: signed ballots, the assembly's Merkle log, receipts, turnout and paper ballots."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from webapp.assemblies import hooks as assembly_hooks
from webapp.audit import labels as audit_labels
from webapp.audit.operations import anchor_at_once
from webapp.core import readiness, serverkey, startup
from webapp.voting import (
    health,
    jobs,  # noqa: F401  (registers its job kinds)
    sequencer,
)
from webapp.voting.log import close_if_due, open_log
from webapp.voting.routes import bp

# How the audit log names this package's actions (webapp.audit.labels).
AUDIT_ACTIONS = {
    "assembly.close": _l("Voting closed and the log was sealed (by the clock)"),
    "ballot.accept": _l("Accepted a ballot"),
    "ballot.inspect": _l("Looked at a household's ballot"),
    "paper.dispute": _l("Two entries of a paper sheet differ"),
    "paper.enter": _l("Entered a paper ballot sheet"),
    "paper.print": _l("Printed paper ballot sheets"),
    "paper.refused": _l("A paper ballot was not counted"),
    "paper.resolve": _l("Decided a disputed paper sheet"),
}

# The close and paper rulings, anchored at once (webapp.audit.operations.ANCHORED).
AUDIT_ANCHORED = {
    "assembly.close",
    "paper.refused",
    "paper.resolve",
}


def init_app(app: Flask) -> None:
    audit_labels.register_actions(AUDIT_ACTIONS)
    anchor_at_once(AUDIT_ANCHORED)
    app.register_blueprint(bp)
    readiness.register_check("server key", health.server_key, database=True)
    startup.register_startup_check("server key", health.server_key)
    serverkey.register_first_key_check(health.first_key_problem)
    assembly_hooks.register("voting_opened", "voting.open_log", _open_log)
    assembly_hooks.register("voting_due", "voting.close", close_if_due)
    if sequencer.mode(app) == "thread":
        # Accepted ballots are integrated by this process's own sequencer thread, started with
        # its first request (so that it starts again in each forked worker).
        @app.before_request
        def start_sequencer_here() -> None:  # (returns nothing: a before_request's value is the response)
            sequencer.start_thread(app)


def _open_log(assembly, now) -> None:
    open_log(assembly, now=now)
