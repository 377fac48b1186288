"""The PostgreSQL pool keeps as many connections as a gunicorn worker has threads."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from webapp.core.config import ConfigError, Settings

THREADS = 8  # tools/deploy/gunicorn.conf.py and bench/cast.py


def test_a_worker_s_threads_reuse_their_connections_instead_of_opening_new_ones(app):
    from webapp.core.db import db

    with app.app_context():
        engine = db.engine
        if engine.dialect.name != "postgresql":
            pytest.skip("SQLite's pool is SQLAlchemy's own")
        opened = []

        def count(*_):
            opened.append(1)

        event.listen(engine, "connect", count)
        try:
            for _round in range(3):  # every thread busy at once, then all idle, three times over
                held = [engine.raw_connection() for _ in range(THREADS)]
                for connection in held:
                    connection.close()
            assert len(opened) <= THREADS  # only the first round may open any
        finally:
            event.remove(engine, "connect", count)


def test_the_pool_size_comes_from_the_environment_and_refuses_nonsense(monkeypatch, instance_dir):
    monkeypatch.delenv("OWNERSVOTE_DB_POOL_SIZE", raising=False)
    assert Settings.from_env().db_pool_size == 10
    monkeypatch.setenv("OWNERSVOTE_DB_POOL_SIZE", "24")
    assert Settings.from_env().flask_config()["OWNERSVOTE_DB_POOL_SIZE"] == 24
    for wrong in ("0", "many", "1000"):
        monkeypatch.setenv("OWNERSVOTE_DB_POOL_SIZE", wrong)
        with pytest.raises(ConfigError, match="OWNERSVOTE_DB_POOL_SIZE"):
            Settings.from_env()
