"""A forked child never uses its parent's pooled connections (gunicorn --preload, RQ's horse)."""

from __future__ import annotations

import os

import pytest


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_starts_with_an_empty_pool(app):
    from sqlalchemy import text

    from webapp.core.db import db

    with app.app_context():
        engine = db.engine
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        assert engine.pool.checkedin() >= 1  # the parent keeps a connection in its pool
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: report its pool's size, touch nothing else
            os.write(write, str(engine.pool.checkedin()).encode())
            os._exit(0)
        os.waitpid(pid, 0)
        assert os.read(read, 16) == b"0"
