"""The database handle shared by every domain package.

A naming convention gives every constraint a stable name, so Alembic revisions can refer to
them on SQLite (batch mode) and PostgreSQL alike.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

from flask_sqlalchemy import SQLAlchemy
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import DateTime, MetaData, event, func, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def lost_connection(error: BaseException) -> bool:
    """Whether a database error says the connection itself was lost (the server restarted, or
    the connection was killed), as SQLAlchemy's dialect recognises it."""
    return isinstance(error, DBAPIError) and bool(error.connection_invalidated)


class RetryingSession(FlaskSession):
    """A session whose first statement of a transaction is sent once more on a fresh connection
    when the pooled one turns out to be dead.

    A connection handed back less than ``PING_AFTER_IDLE_SECONDS`` ago is not pinged (see
    ``install_idle_ping``); if the database dropped it in the meantime, the next request's first
    statement fails.  Nothing has been written in that transaction yet (no statement ran in it,
    and nothing was waiting to be flushed), so rolling back and sending the statement again on a
    new connection is safe.  SQLAlchemy invalidates the pool's older connections on a disconnect,
    so the second attempt does not meet another dead one.  Any later failure is not retried: the
    request answers 503 "please send again" (``webapp.core.errors``)."""

    def _execute_internal(self, statement, *args, **kwargs):
        fresh = not self.in_transaction() and not (self.new or self.dirty or self.deleted)
        try:
            return super()._execute_internal(statement, *args, **kwargs)
        except DBAPIError as error:
            if not (fresh and lost_connection(error)):
                raise
            self.rollback()
            return super()._execute_internal(statement, *args, **kwargs)


db = SQLAlchemy(model_class=Base, session_options={"class_": RetryingSession})


def utcnow() -> datetime:
    """This process's clock: for what only this server cares about (sessions, throttles)."""
    return datetime.now(UTC)


# One clock for everything that matters (issue 18, item 6): the database's.  It decides whether a
# ballot is in time and when voting closes, so it also opens voting, dates tree heads and audit
# events, and judges whether a job's worker is still alive.  An app server whose clock is off by
# minutes or days then changes nothing anyone relies on.  Callers use it as ``database.db_now()``
# (``from webapp.core import db as database``), so that tests can move it with the test clock.


def db_clock():
    """The database's clock as an SQL expression, read inside a statement (PostgreSQL)."""
    return func.clock_timestamp()


def db_now(session=None) -> datetime:
    """The database's clock, read through ``session`` (the request's by default)."""
    session = session if session is not None else db.session
    if session.get_bind().dialect.name == "postgresql":
        return session.execute(text("SELECT clock_timestamp()")).scalar_one()
    raw = session.execute(text("SELECT strftime('%Y-%m-%d %H:%M:%f', 'now')")).scalar_one()
    return datetime.strptime(raw, "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=UTC)


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes on both backends (SQLite drops the zone; we put it back)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


# A pooled connection is checked before use only when it sat idle in the pool for a while: a
# server restart or a dropped connection shows up there, while a connection handed back a moment
# ago is as good as it was (SQLAlchemy's pool_pre_ping would spend a round trip on every checkout,
# several per ballot cast).
PING_AFTER_IDLE_SECONDS = 5.0


def size_pool(config) -> None:
    """Keep OWNERSVOTE_DB_POOL_SIZE connections open to PostgreSQL, and let as many more open for
    a moment beyond it.  SQLAlchemy's default keeps 5: under load, the sixth to eighth thread of a
    gunicorn worker each opened a connection and closed it again a request later, a new server
    process on PostgreSQL's side each time (bench/cast.py).  (SQLite's pool is SQLAlchemy's own.)"""
    if not str(config.get("SQLALCHEMY_DATABASE_URI", "")).startswith("postgresql"):
        return
    size = int(config.get("OWNERSVOTE_DB_POOL_SIZE") or 10)
    options = config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {})
    options.setdefault("pool_size", size)
    options.setdefault("max_overflow", size)


def forget_pool_after_fork(engine: Engine) -> None:
    """A forked child (gunicorn's workers under --preload, the RQ work horse) must not use the
    connections its parent opened: two processes on one socket corrupt each other's results
    ("unexpected result EMPTY_QUERY from command 'BEGIN'").  SQLAlchemy's documented recipe: the
    child drops the inherited pool without closing the parent's connections."""
    os.register_at_fork(after_in_child=lambda: engine.dispose(close=False))


def install_idle_ping(engine: Engine) -> None:
    import time

    from sqlalchemy import exc

    @event.listens_for(engine.pool, "checkin")
    def _checkin(dbapi_connection, record):
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine.pool, "checkout")
    def _checkout(dbapi_connection, record, proxy):
        since = record.info.pop("idle_since", None)
        if since is None or time.monotonic() - since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as error:  # the pool then discards it and connects anew
            raise exc.DisconnectionError() from error


@event.listens_for(Engine, "connect")
def _sqlite_connect(dbapi_connection, connection_record):
    # pysqlite's own transaction handling defers BEGIN and breaks SAVEPOINT; SQLAlchemy's
    # documented recipe takes over BEGIN ourselves and turns on foreign keys, which SQLite
    # otherwise ignores.
    module = type(dbapi_connection).__module__
    if not module.startswith("sqlite3"):
        return
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_begin(conn):
    # IMMEDIATE: the transaction takes SQLite's write lock when it begins, waiting for it under
    # busy_timeout. A deferred transaction that reads and then writes cannot wait: when another
    # writer got there first, SQLite answers "database is locked" at once (to avoid a deadlock),
    # and twenty owners casting at the same moment would see errors. SQLite has one writer
    # anyway; readers of the WAL are not held up by it.
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE")
