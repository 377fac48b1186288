"""psycopg itself, beneath SQLAlchemy, for a hot path's few statements on PostgreSQL.

Casting a ballot runs one statement per ballot (webapp.voting.casting).  SQLAlchemy's session,
transaction and execution around it cost more CPU than the statement, and psycopg's cursor
(its query conversion, adapters, prepared-statement bookkeeping and result objects) as much
again as libpq and the network (bench/cast.py with py-spy; docs/performance.md).  So each web
thread keeps a connection of its own in autocommit, and the insert runs there as a statement
prepared once on that connection, through libpq.

Why a connection per thread and not the pool's: the pool's connections are shared with
SQLAlchemy's sessions, and psycopg deallocates every prepared statement of a connection when it
rolls back there; planning the insert afresh costs PostgreSQL about half a millisecond a ballot
(measured: 1.23–1.29 ms of PostgreSQL CPU a cast against 0.71–0.77).  Taking and returning a
pooled connection, and turning autocommit on and off around it, were 8% of a web worker's samples
under load besides.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import datetime, timedelta

from psycopg.errors import error_from_result
from psycopg.pq import DiagnosticField, ExecStatus
from psycopg.rows import namedtuple_row
from psycopg.types.json import Json
from sqlalchemy import event
from sqlalchemy.dialects.postgresql.psycopg import dialect as psycopg_dialect
from sqlalchemy.engine import Engine

from webapp.core.db import PING_AFTER_IDLE_SECONDS, db


class _Kept:
    """A web thread's own connection (autocommit) and the statements prepared on it."""

    def __init__(self, engine: Engine, connection) -> None:
        self.engine = weakref.ref(engine)
        self.connection = connection
        self.pid = os.getpid()
        self.used = time.monotonic()
        self.prepared: set[bytes] = set()


_THREAD = threading.local()
# Every kept connection of an engine, closed when the engine is disposed (a test's app, or
# gunicorn's worker after the fork: forget_pool_after_fork).
_BY_ENGINE: weakref.WeakKeyDictionary[Engine, set[_Kept]] = weakref.WeakKeyDictionary()
_BY_ENGINE_LOCK = threading.Lock()


@contextmanager
def driver_cursor() -> Iterator:
    """A cursor of psycopg itself on this thread's own connection, each statement committing on
    its own (autocommit): no session, no transaction to begin or end, one round trip per
    statement.  A connection an error left broken is closed, and the next call opens another.
    Under a test's connection (tests/conftest.py binds the session to a connection whose
    transaction is rolled back afterwards) the statements run inside that transaction."""
    bind = db.engine
    if not isinstance(bind, Engine):  # a test's connection: its transaction holds everything
        with bind.connection.driver_connection.cursor(row_factory=namedtuple_row) as cursor:
            yield cursor
        # What autocommit would have made durable must outlive the request's session, whose
        # savepoint (if it began one on this connection) the request's end rolls back.
        if db.session().in_transaction():
            db.session.commit()
        return
    kept = _kept(bind)
    try:
        with kept.connection.cursor(row_factory=namedtuple_row) as cursor:
            yield cursor
    except Exception:
        if kept.connection.broken:
            _drop(kept)
        raise


def _kept(engine: Engine) -> _Kept:
    """This thread's connection to ``engine``'s database, opened on first use; one idle for a
    while is pinged first (as the pool's are: webapp.core.db.install_idle_ping) and replaced if
    the server dropped it."""
    kept = getattr(_THREAD, "kept", None)
    if kept is not None:
        if kept.pid != os.getpid():  # inherited across a fork: the parent's, never to be used or closed here
            kept = None
        elif (
            kept.engine() is not engine
            or kept.connection.closed
            or time.monotonic() - kept.used > PING_AFTER_IDLE_SECONDS
            and not _answers(kept.connection)
        ):
            _drop(kept)
            kept = None
    if kept is None:
        pooled = engine.raw_connection()  # with the engine's connect arguments and hooks
        connection = pooled.driver_connection
        pooled.detach()  # the thread's from now on; the pool opens another when it needs one
        connection.autocommit = True
        kept = _Kept(engine, connection)
        with _BY_ENGINE_LOCK:
            if engine not in _BY_ENGINE:
                _BY_ENGINE[engine] = set()
                event.listen(engine, "engine_disposed", _close_all)
            _BY_ENGINE[engine].add(kept)
        _THREAD.kept = kept
    kept.used = time.monotonic()
    return kept


def _answers(connection) -> bool:
    try:
        connection.execute("SELECT 1")
    except Exception:
        return False
    return True


def _drop(kept: _Kept) -> None:
    if getattr(_THREAD, "kept", None) is kept:
        _THREAD.kept = None
    engine = kept.engine()
    with _BY_ENGINE_LOCK:
        if engine is not None and engine in _BY_ENGINE:
            _BY_ENGINE[engine].discard(kept)
    with suppress(Exception):  # already gone: nothing to give back
        kept.connection.close()


def _close_all(engine: Engine) -> None:
    with _BY_ENGINE_LOCK:
        kept = _BY_ENGINE.pop(engine, set())
    for one in kept:
        if one.pid == os.getpid():
            with suppress(Exception):
                one.connection.close()


def run_first(cursor, statement, values: dict):
    """The first row (a named tuple) of a SQLAlchemy Core ``statement`` run through ``cursor``
    (``driver_cursor``): the SQL is compiled once per process, with its constants, and a
    parameter given as a callable (the tests' clock) is read at each run.  Values go in as
    psycopg takes them (JSON wrapped in ``psycopg.types.json.Json``); rows come back as psycopg
    gives them (aware datetimes, parsed JSON)."""
    sql, constants, callables = _compiled(statement)
    cursor.execute(sql, {**constants, **{name: read() for name, read in callables.items()}, **values})
    return cursor.fetchone()


@functools.cache
def _compiled(statement) -> tuple[str, dict, dict]:
    compiled = statement.compile(dialect=psycopg_dialect())
    return compiled.string, *_values_of(compiled, compiled.binds)


def run_for_id(cursor, statement, values: dict) -> int | None:
    """The integer in the first column of the first row (an inserted row's id), or None when
    there is no row, of a SQLAlchemy Core ``statement`` run through ``cursor``'s connection
    (``driver_cursor``) by libpq itself: on a thread's own connection as a statement prepared
    there once, on a test's connection in one round trip unprepared.  The values go as text,
    typed by their Python types (the SQL carries SQLAlchemy's casts besides), and only the id is
    read back."""
    connection = cursor.connection
    name, sql, names, constants, callables = _dollar_compiled(statement)
    params = {**constants, **{key: read() for key, read in callables.items()}, **values}
    texts = [_as_text(params[key]) for key in names]
    pgconn = connection.pgconn
    kept = getattr(_THREAD, "kept", None)
    if kept is None or kept.connection is not connection:
        result = pgconn.exec_params(sql, texts, [_OIDS.get(type(params[key]), 0) for key in names])
    else:
        if name not in kept.prepared:
            _raise_unless(pgconn.prepare(name, sql, [_OIDS.get(type(params[key]), 0) for key in names]), ExecStatus.COMMAND_OK, connection)
            kept.prepared.add(name)
        result = pgconn.exec_prepared(name, texts)
        if result.error_field(DiagnosticField.SQLSTATE) == b"26000":  # deallocated behind our back: once more
            kept.prepared.discard(name)
            return run_for_id(cursor, statement, values)
    _raise_unless(result, ExecStatus.TUPLES_OK, connection)
    return int(result.get_value(0, 0)) if result.ntuples else None


# PostgreSQL's type of each Python value run_for_id sends (0: the server infers it).
_OIDS = {int: 20, str: 25, bool: 16, datetime: 1184, timedelta: 1186, Json: 114}


def _as_text(value) -> bytes | None:
    """A value in PostgreSQL's text input form."""
    if value is None:
        return None
    if isinstance(value, bool):
        return b"t" if value else b"f"
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.isoformat().encode()
    if isinstance(value, timedelta):
        return f"{value.days} days {value.seconds} seconds {value.microseconds} microseconds".encode()
    if isinstance(value, Json):
        return json.dumps(value.obj).encode()
    if isinstance(value, (int, str)):
        return str(value).encode()
    raise TypeError(f"run_for_id cannot send a {type(value).__name__}")


def _raise_unless(result, status, connection) -> None:
    if result.status != status:
        raise error_from_result(result, encoding=connection.info.encoding)


@functools.cache
def _dollar_compiled(statement) -> tuple[bytes, bytes, list[str], dict, dict]:
    """A statement's name when prepared, its SQL with $n placeholders, the parameter of each, and
    its constants and callables (as for ``_compiled``)."""
    compiled = statement.compile(dialect=psycopg_dialect(paramstyle="numeric_dollar"))
    names = list(compiled.positiontup or ())
    sql = compiled.string.encode()
    return b"ownersvote_" + hashlib.sha256(sql).hexdigest()[:20].encode(), sql, names, *_values_of(compiled, names)


def _values_of(compiled, names) -> tuple[dict, dict]:
    """The constants among a compiled statement's parameters ``names``, and those given as a
    callable (read at each run: the tests' clock)."""
    constants, callables = {}, {}
    for name in names:
        bind = compiled.binds[name]
        if bind.callable is not None:
            callables[name] = bind.callable
        elif bind.value is not None:
            constants[name] = bind.value
    return constants, callables
