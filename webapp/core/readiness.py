"""Readiness: may this process take requests?  ``/healthz`` says only that the process is alive;
``/readyz`` answers 503 with what is wrong when the database does not answer within
``OWNERSVOTE_READY_TIMEOUT`` seconds, its schema is older than the code, Redis is down, or a
check a package registered fails (the file store is not writable, the configured server key is
not the installation's).

An old schema is also refused at every page (``require_schema``): a web process started before
``ownersvote init`` answers 503 rather than half-working on tables it does not know, as the
command line already refuses to run (webapp/commands.py).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask, current_app, request
from sqlalchemy import text
from werkzeug.exceptions import ServiceUnavailable

from webapp.core import redisconn
from webapp.core.db import db
from webapp.core.migrate import alembic_config

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 2.0
SCHEMA_RECHECK = 15.0  # seconds between two looks at an old schema (after `ownersvote init`, serve)

Check = Callable[[Flask], str | None]  # None when all is well, else what is wrong
_checks: dict[str, tuple[Check, bool]] = {}
_pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="ownersvote-ready")


class SchemaTooOld(ServiceUnavailable):
    """The database's schema is older than this code: `ownersvote init` has not been run."""


def register_check(name: str, check: Check, *, database: bool = False) -> None:
    """A package's check; ``database`` ones run one after another on one connection, after the
    database itself answered."""
    _checks[name] = (check, database)


def _database(app: Flask) -> str | None:
    db.session.execute(text("SELECT 1"))
    return None


_head: list[str] = []


def schema_state() -> tuple[str | None, str]:
    """(the database's revision, the code's), through the app's own session."""
    if not _head:
        _head.append(ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head())
    current = MigrationContext.configure(db.session.connection()).get_current_revision()
    return current, _head[0]


def _schema(app: Flask) -> str | None:
    current, head = schema_state()
    if current != head:
        return f"the database schema is at {current}, the code needs {head}: run `ownersvote init`"
    return None


def _redis(app: Flask) -> str | None:
    if app.config.get("OWNERSVOTE_REDIS_URL"):
        redisconn.connect(app).ping()
    return None


def checks() -> dict[str, tuple[Check, bool]]:
    return {"database": (_database, True), "schema": (_schema, True), "redis": (_redis, False), **_checks}


def _said(exc: Exception) -> str:
    first = str(exc).splitlines()[0][:200] if str(exc) else ""
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


def run_checks(app: Flask) -> dict[str, str]:
    """Every check within the timeout: name → "ok" or what is wrong.  Checks that need the
    database run in order on one thread (the database's own first); the others each on its own."""
    seconds = float(app.config.get("OWNERSVOTE_READY_TIMEOUT") or DEFAULT_TIMEOUT)
    everything = checks()
    on_database = [name for name, (_, database) in everything.items() if database]
    answers: dict[str, str] = {}

    def run_database() -> None:
        with app.app_context():
            try:
                for name in on_database:
                    try:
                        answers[name] = everything[name][0](app) or "ok"
                    except Exception as exc:
                        answers[name] = _said(exc)
                        db.session.rollback()
                        if name == "database":
                            return
            finally:
                db.session.remove()

    def run_one(check: Check) -> str:
        with app.app_context():
            return check(app) or "ok"

    futures = {name: _pool.submit(run_one, check) for name, (check, database) in everything.items() if not database}
    futures["(database)"] = _pool.submit(run_database)
    deadline = time.monotonic() + seconds
    for name, future in futures.items():
        try:
            answer = future.result(timeout=max(0.0, deadline - time.monotonic()))
        except FutureTimeout:
            answer = f"no answer within {seconds:g} s"
        except Exception as exc:
            answer = _said(exc)
        if name != "(database)":
            answers[name] = answer
    for name in on_database:
        if name not in answers:
            stuck = name == "database" or answers.get("database") == "ok"
            answers[name] = f"no answer within {seconds:g} s" if stuck else "not checked: the database did not answer"
    return dict(sorted(answers.items()))


_schema_seen: dict = {"ok": False, "at": 0.0}
_schema_lock = threading.Lock()


def schema_current(app: Flask) -> bool:
    """Whether the schema is the code's (once true, for the process's life)."""
    if _schema_seen["ok"] and _schema_seen.get("app") is app:
        return True
    with _schema_lock:
        if _schema_seen.get("app") is not app:
            _schema_seen.update(ok=False, at=0.0, app=app)
        if not _schema_seen["ok"] and time.monotonic() - _schema_seen["at"] >= SCHEMA_RECHECK:
            _schema_seen["at"] = time.monotonic()
            try:
                problem = _schema(app)
            except Exception:  # the database is down: that is the pages' own error, not this one
                return True
            finally:
                db.session.rollback()
            if problem:
                log.error("refusing to serve: %s", problem)
            _schema_seen["ok"] = problem is None
        return _schema_seen["ok"]


EXEMPT = {"static", "core.health", "core.ready", "core.metrics_page"}


def install(app: Flask) -> None:
    @app.before_request
    def require_schema():
        if request.endpoint in EXEMPT:
            return
        if not schema_current(current_app._get_current_object()):
            raise SchemaTooOld()
