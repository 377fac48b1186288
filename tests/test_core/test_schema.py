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


def test_a_database_with_files_in_use_upgrades_and_keeps_every_reference_to_them(tmp_path):
    """SQLite changes a constraint by rebuilding the table (batch mode): copy, drop the old one,
    rename.  With foreign keys enforced the drop would first delete every row, setting other
    tables' references to NULL (a plan's document) or refusing (a proxy letter's scan).  An
    installation with files in use upgrades, and every reference still names its file."""
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import create_engine, select
    from sqlalchemy.orm import Session

    from webapp.assemblies.models import AgendaItem, Assembly, PlanOption
    from webapp.attachments.models import Attachment
    from webapp.core.migrate import upgrade
    from webapp.estates.models import Estate

    url = f"sqlite:///{tmp_path / 'in-use.sqlite3'}"
    upgrade(url, "c13fd2e0fc1d")  # before the attachments' kinds last changed
    engine = create_engine(url)
    opens = datetime(2026, 12, 20, 1, 0, tzinfo=UTC)
    with Session(engine) as session:
        estate = Estate(slug="files", name="文件小区")
        session.add(estate)
        session.flush()
        assembly = Assembly(estate_id=estate.id, title="加装电梯", kind="regular", opens_at=opens, closes_at=opens + timedelta(days=7))
        session.add(assembly)
        session.flush()
        item = AgendaItem(assembly_id=assembly.id, position=1, form="plan", category=6, title="电梯方案")
        session.add(item)
        session.flush()
        document = Attachment(
            estate_id=estate.id,
            kind="plan",
            filename="方案一.pdf",
            content_type="application/pdf",
            size=9,
            sha256="a" * 64,
            uploaded_by="test",
        )
        session.add(document)
        session.flush()
        session.add(PlanOption(item_id=item.id, name="方案一", attachment_id=document.id))
        session.commit()
        document_id = document.id
    upgrade(url)
    with Session(engine) as session:
        assert session.scalar(select(PlanOption.attachment_id)) == document_id
        assert session.scalar(select(Attachment.filename)) == "方案一.pdf"
        assert session.connection().exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()
