"""Issue 17 item 11: a pooled connection the database dropped a moment ago costs the next request
nothing (its first statement is sent again on a fresh connection), and a connection lost at the
commit answers 503 "please send again", since nobody can say whether the commit happened."""

from __future__ import annotations

import pytest
from sqlalchemy import event

LOST = "server closed the connection unexpectedly (simulated)"


def _lost(engine):
    """The driver's own error, which the engine then reads as a lost connection (as the dialect
    does for a real one: psycopg looks at the connection's state, which a simulation cannot set)."""
    return engine.dialect.loaded_dbapi.OperationalError(LOST)


@pytest.fixture
def simulated(fresh):
    from webapp.core.db import db

    with fresh.app_context():
        engine = db.engine

    def read_as_lost(context):
        if LOST in str(context.original_exception):
            context.is_disconnect = True

    event.listen(engine, "handle_error", read_as_lost)
    yield engine
    event.remove(engine, "handle_error", read_as_lost)


@pytest.fixture
def fresh(app):
    """An app of its own on the test database, outside the test's rolled-back transaction."""
    from webapp import create_app
    from webapp.core.db import db

    made = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "SERVER_NAME": "ownersvote.test",
            "WTF_CSRF_ENABLED": False,
            # No sequencer thread: its own commit would meet the simulated loss meant for the request's.
            "OWNERSVOTE_SEQUENCER": "off",
        }
    )
    yield made
    with made.app_context():
        db.engine.dispose()


def test_the_first_statement_on_a_dropped_connection_is_sent_again_on_a_fresh_one(fresh, simulated):
    engine = simulated
    attempts = []

    def drop_first(conn, cursor, statement, parameters, context, executemany):
        if statement.strip().upper().startswith("SELECT 1"):
            attempts.append(statement)
            if len(attempts) == 1:
                raise _lost(engine)

    event.listen(engine, "before_cursor_execute", drop_first)
    try:
        response = fresh.test_client().get("/healthz")
    finally:
        event.remove(engine, "before_cursor_execute", drop_first)
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
    assert len(attempts) == 2


def test_a_connection_lost_at_the_commit_answers_please_send_again_in_both_languages(fresh, simulated, monkeypatch):
    engine = simulated
    real_commit = engine.dialect.do_commit
    lost = []

    def commit(dbapi_connection):
        if not lost:
            lost.append(True)
            raise _lost(engine)
        return real_commit(dbapi_connection)

    monkeypatch.setattr(engine.dialect, "do_commit", commit)
    client = fresh.test_client()
    response = client.post("/login", data={"username": "nobody", "password": "wrong password"})
    assert lost == [True]
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert "请再发送一次" in page
    assert "没有保存" in page

    lost.clear()
    response = fresh.test_client().post(
        "/login", data={"username": "nobody", "password": "wrong password"}, headers={"Accept": "application/json"}
    )
    assert response.status_code == 503
    assert response.get_json()["error_en"] == "Please send again"
