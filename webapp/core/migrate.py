"""Running the Alembic revisions from code (``ownersvote init`` and the test fixtures)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine

ROOT = Path(__file__).resolve().parents[2]


def script_location() -> str:
    """The revisions: the source tree's migrations/ folder, or, in an install without the source
    tree (``pip install .``), the copy shipped as the package ``ownersvote_migrations``."""
    if (ROOT / "migrations" / "env.py").exists():
        return str(ROOT / "migrations")
    spec = importlib.util.find_spec("ownersvote_migrations")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the Alembic revisions are missing: reinstall the package (pip install .)")
    return next(iter(spec.submodule_search_locations))


def alembic_config(url: str, connection=None) -> Config:
    ini = ROOT / "alembic.ini"
    config = Config(str(ini)) if ini.exists() else Config()
    config.set_main_option("script_location", script_location())
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(url: str, revision: str = "head") -> list[tuple[str, str]]:
    """Run the revisions the database lacks; returns (revision, first line of its message) of
    each one run, oldest first."""
    config = alembic_config(url)
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()
    script = ScriptDirectory.from_config(config)
    pending = [(r.revision, (r.doc or "").splitlines()[0] if r.doc else "") for r in script.iterate_revisions(revision, current)]
    command.upgrade(config, revision)
    return list(reversed(pending))


def schema_state(engine) -> tuple[str | None, str]:
    """(the database's revision or None when it has no schema yet, the newest revision)."""
    head = ScriptDirectory.from_config(alembic_config(str(engine.url))).get_current_head()
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    return current, head
