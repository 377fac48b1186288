"""Voting: signed ballots, the assembly's Merkle log, receipts, turnout and paper ballots."""

from __future__ import annotations

from flask import Flask

from webapp.assemblies import hooks as assembly_hooks
from webapp.voting import jobs  # noqa: F401  (registers its job kinds)
from webapp.voting.log import close_if_due, open_log
from webapp.voting.routes import bp


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    assembly_hooks.register("voting_opened", "voting.open_log", _open_log)
    assembly_hooks.register("voting_due", "voting.close", close_if_due)


def _open_log(assembly, now) -> None:
    open_log(assembly, now=now)
