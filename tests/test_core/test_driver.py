"""The hot path's statements beneath SQLAlchemy (webapp.core.driver): each web thread's own
connection in autocommit, the insert prepared once on it and sent through libpq with its values
as text.  What is sent must arrive as PostgreSQL reads it, and the thread's connection must
survive what happens to connections: a statement deallocated, a backend terminated, the engine
disposed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from psycopg.types.json import Json
from sqlalchemy import JSON, Boolean, DateTime, Integer, Interval, String, bindparam, cast, literal, select, text
from sqlalchemy.dialects.postgresql import JSONB

AT = datetime(2026, 12, 7, 21, 30, 5, 250000, tzinfo=UTC)
VALUES = {
    "word": "业主 'quoted' \\ back",
    "n": 41,
    "at": AT,
    "gap": timedelta(days=1, seconds=10, microseconds=5),
    "doc": Json({"a": [1, "二"], "b": None}),
    "flag": True,
}

# One row (its "id" 7) only when every value arrived as itself.
EACH_KIND = select(literal(7, Integer)).where(
    bindparam("word", type_=String) == VALUES["word"],
    bindparam("n", type_=Integer) == 41,
    bindparam("at", type_=DateTime(timezone=True)) == AT,
    bindparam("gap", type_=Interval) == timedelta(days=1, seconds=10, microseconds=5),
    cast(bindparam("doc", type_=JSON), JSONB) == cast(literal('{"b": null, "a": [1, "二"]}'), JSONB),
    bindparam("flag", type_=Boolean).is_(True),
)


@pytest.fixture
def engine(app):
    from webapp.core.db import db

    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("the driver's path is PostgreSQL's; SQLite casts through the session")
        yield db.engine


def _run(values=VALUES):
    from webapp.core.driver import driver_cursor, run_for_id

    with driver_cursor() as cursor:
        return run_for_id(cursor, EACH_KIND, values), cursor.connection


def _prepared_here(connection) -> list[str]:
    rows = connection.execute("SELECT name FROM pg_prepared_statements WHERE name LIKE 'ownersvote_%'").fetchall()
    return [name for (name,) in rows]


def test_values_of_every_kind_arrive_as_postgresql_reads_them(engine):
    found, _ = _run()
    assert found == 7
    for name, other in (("word", "业主"), ("n", 42), ("at", AT + timedelta(microseconds=1)), ("flag", False), ("doc", Json({"a": [1]}))):
        assert _run({**VALUES, name: other})[0] is None, name


def test_a_thread_prepares_the_statement_once_on_its_own_connection_in_autocommit(engine):
    _, first = _run()
    _, second = _run()
    assert first is second
    assert first.autocommit
    assert first.info.backend_pid == second.info.backend_pid
    assert len(_prepared_here(first)) == 1


def test_a_statement_deallocated_behind_its_back_is_prepared_again(engine):
    _, connection = _run()
    connection.execute("DEALLOCATE ALL")
    assert _prepared_here(connection) == []
    assert _run()[0] == 7
    assert len(_prepared_here(connection)) == 1


def test_a_connection_the_server_dropped_is_replaced_after_one_failure(engine):
    _, connection = _run()
    old_pid = connection.info.backend_pid
    with engine.connect() as other:
        other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": old_pid})
    with pytest.raises(psycopg.Error):  # the fast path then leaves the ballot to the full path
        _run()
    found, fresh = _run()
    assert found == 7
    assert fresh.info.backend_pid != old_pid
    assert connection.closed


def test_a_thread_connection_idle_for_a_while_is_pinged_and_replaced_if_dropped(engine, monkeypatch):
    from webapp.core import driver

    _, connection = _run()
    old_pid = connection.info.backend_pid
    with engine.connect() as other:
        other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": old_pid})
    monkeypatch.setattr(driver, "PING_AFTER_IDLE_SECONDS", -1.0)  # as if it had sat idle
    found, fresh = _run()
    assert found == 7
    assert fresh.info.backend_pid != old_pid


def test_disposing_the_engine_closes_every_thread_connection(engine):
    _, connection = _run()
    engine.dispose()
    assert connection.closed
    found, fresh = _run()
    assert found == 7
    assert fresh is not connection
