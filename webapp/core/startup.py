"""Checks a process makes once, when its app is built (``create_app``: gunicorn's workers,
``ownersvote worker`` and the other commands), refusing to start when one fails: a process that
would do lasting damage (sign under a key that is not the installation's) must not take a single
request.  Packages register theirs from ``init_app``, as they do readiness checks: the lowest
floors cannot ask the voting package themselves.

A check that cannot run (the database does not answer, or has no tables yet) is skipped with a
warning: starting is then not refused, and ``/readyz`` keeps asking the same question.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Flask

from webapp.core.config import ConfigError
from webapp.core.db import db

log = logging.getLogger(__name__)

Check = Callable[[Flask], str | None]  # None when all is well, else what is wrong
_checks: dict[str, Check] = {}


def register_startup_check(name: str, check: Check) -> None:
    _checks[name] = check


def run_startup_checks(app: Flask) -> None:
    """Every registered check, in the app's context; ConfigError naming what is wrong."""
    problems = []
    with app.app_context():
        try:
            for name, check in _checks.items():
                try:
                    problem = check(app)
                except Exception as exc:  # the database is down or not initialised: not this check's to judge
                    log.warning("startup check %r could not run (%s); /readyz keeps checking it", name, type(exc).__name__)
                    db.session.rollback()
                    continue
                if problem:
                    problems.append(problem)
        finally:
            db.session.remove()
    if problems:
        for problem in problems:
            log.error("refusing to start: %s", problem)
        raise ConfigError("refusing to start: " + "; ".join(problems))
