"""Alembic environment: the URL is the app's (OWNERSVOTE_DATABASE_URL), or a connection handed
in by ``webapp.core.migrate`` through ``config.attributes['connection']``."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

import webapp.core.db  # noqa: F401  (SQLite connection pragmas)
from webapp.core.config import database_url
from webapp.models import metadata

config = context.config


def run(connection) -> None:
    # SQLite changes a constraint by rebuilding the table (batch mode: copy it, drop the old one,
    # rename the copy). With foreign keys enforced, SQLite deletes every row of a dropped table
    # first, which sets other tables' references to it to NULL (ON DELETE SET NULL) or refuses
    # (RESTRICT). So they are off while the revisions run (a PRAGMA only takes effect outside a
    # transaction: on the driver's connection, before Alembic begins one), the result is checked
    # with foreign_key_check, and they are on again afterwards.
    raw = None
    if connection.dialect.name == "sqlite" and not connection.in_transaction():
        raw = connection.connection.dbapi_connection
        raw.execute("PRAGMA foreign_keys=OFF")
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    try:
        with context.begin_transaction():
            context.run_migrations()
            if raw is not None:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"after the revisions, references name rows that do not exist (table, rowid, parent): {broken[:5]}")
    finally:
        if raw is not None:
            if connection.in_transaction():  # (only the check's read is left: each revision commits its own)
                connection.rollback()
            raw.execute("PRAGMA foreign_keys=ON")


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        run(connection)
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url") or database_url())
    with engine.connect() as conn:
        run(conn)
    engine.dispose()


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url") or database_url(), target_metadata=metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
