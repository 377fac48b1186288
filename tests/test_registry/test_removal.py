"""A file that would remove a large share of the registry (a partial export) is applied only
when the number of units it removes is given to confirm it; otherwise nothing changes."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.factories import registry_of
from webapp.audit.models import AuditEvent
from webapp.registry.importing import Removal, RemovalNotConfirmed, import_file
from webapp.registry.models import Owner, Unit


@pytest.mark.parametrize(
    ("removed", "current", "needed"),
    [
        (0, 1200, False),
        (9, 20, False),
        (10, 100, False),
        (10, 99, True),
        (11, 100, True),
        (1197, 1200, True),
        (120, 1200, False),
        (121, 1200, True),
    ],
)
def test_a_confirmation_is_needed_past_ten_percent_and_ten_units(removed, current, needed):
    assert Removal(units=removed, owners=0, current_units=current).needs_confirmation is needed


@pytest.fixture
def estate(make_estate, db_session):
    estate = make_estate()
    import_file(estate, registry_of(40), "full.csv", actor="test")
    db_session.commit()
    return estate


def test_a_partial_file_is_refused_without_confirmation_and_changes_nothing(estate, db_session):
    with pytest.raises(RemovalNotConfirmed) as info:
        import_file(estate, registry_of(3), "partial.csv", actor="test")
    db_session.rollback()
    assert "remove 37 of the 40 current units (92%) and 37 owners of record" in info.value.en
    assert "此次导入将移除现有 40 套房屋中的 37 套（92%）和 37 位业主" in info.value.zh
    assert db_session.scalar(select(func.count(Unit.id))) == 40
    assert db_session.scalar(select(func.count(Owner.id))) == 40
    assert db_session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "registry.import")) == 1


def test_a_wrong_number_is_refused_and_named(estate, db_session):
    with pytest.raises(RemovalNotConfirmed) as info:
        import_file(estate, registry_of(3), "partial.csv", actor="test", confirm_removal=40)
    assert "The number typed, 40, is not the number of units to be removed" in info.value.en


def test_a_partial_file_applies_with_the_number_of_removed_units(estate, db_session):
    diff = import_file(estate, registry_of(3), "partial.csv", actor="test", confirm_removal=37)
    db_session.commit()
    assert len(diff.removed_units) == 37
    assert db_session.scalar(select(func.count(Unit.id))) == 3


def test_an_ordinary_update_needs_no_confirmation(estate, db_session):
    diff = import_file(estate, registry_of(36), "update.csv", actor="test")  # 4 units go
    assert len(diff.removed_units) == 4
