"""The Alembic revisions build exactly the schema the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from webapp.core.db import db
from webapp.models import metadata


def test_migrations_match_the_models(app):
    with app.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []


def test_the_database_refuses_a_non_positive_area(db_session, make_estate):
    import pytest
    from sqlalchemy.exc import IntegrityError

    from webapp.registry.models import Building, Unit, UnitStatus

    estate = make_estate()
    building = Building(estate_id=estate.id, name="1")
    db_session.add(building)
    db_session.flush()
    db_session.add(Unit(estate_id=estate.id, building=building, number="101", area_centi=0, status=UnitStatus.unsold))
    with pytest.raises(IntegrityError):
        db_session.flush()
    db_session.rollback()


def test_every_revision_downgrades_and_upgrades_again(tmp_path):
    from alembic import command
    from sqlalchemy import create_engine, inspect

    from webapp.core.migrate import alembic_config

    url = f"sqlite:///{tmp_path / 'roundtrip.sqlite3'}"
    config = alembic_config(url)
    command.upgrade(config, "head")
    command.downgrade(config, "base")
    engine = create_engine(url)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    command.upgrade(config, "head")
    assert "registrations" in inspect(engine).get_table_names()
    engine.dispose()
