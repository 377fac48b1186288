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
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


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
