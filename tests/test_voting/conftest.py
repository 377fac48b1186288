"""The voting package's shared fixture: an assembly of many registered owners, voting now, in
a database of its own (bench/assembly_setup.py builds it, as the benchmarks do)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _assembly_setup():
    spec = importlib.util.spec_from_file_location("bench_assembly_setup", ROOT / "bench" / "assembly_setup.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def voting_pg(database_url, instance_dir, tmp_path_factory):
    """An estate of 60 units whose owners registered a phone, and an assembly voting now, in a
    database of its own on the session's backend (a file of its own on SQLite, where the writers
    queue on the database lock; a database of its own on PostgreSQL, where they meet at row
    locks and the unique constraint)."""
    from sqlalchemy.engine import make_url

    setup = _assembly_setup()
    sqlite = database_url.startswith("sqlite")
    if sqlite:
        url = f"sqlite:///{tmp_path_factory.mktemp('concurrent') / 'cast.sqlite3'}"
    else:
        admin = make_url(database_url).set(database="postgres").render_as_string(hide_password=False)
        url = setup.create_database(admin, "ownersvote_test_cast")
    try:
        app = setup.app_for(url, TESTING=True, OWNERSVOTE_CAST_LIMIT="10000/minute")
        built = setup.build(app, units=60)
        yield app, built
        from webapp.core.db import db

        with app.app_context():
            db.engine.dispose()
    finally:
        if not sqlite:
            setup.drop_database(admin, url)
