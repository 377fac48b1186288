"""The hash-chained audit log of privileged actions."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text, update

from tests.factories import bypass_append_only
from webapp.audit.models import AuditEvent
from webapp.audit.operations import chain_events, check_chain, record


def test_privileged_actions_form_an_unbroken_chain(db_session, make_estate, make_staff):
    estate = make_estate()
    make_staff("org", estate=estate, role="organiser")
    record("test.action", actor="tester", estate_id=estate.id, detail="x")
    db_session.commit()
    events = chain_events(estate.id)
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert [e.action for e in events][:2] == ["estate.create", "staff.role.grant"]
    assert check_chain(estate.id) == []


def test_editing_an_event_breaks_the_chain_at_that_event(db_session, make_estate):
    estate = make_estate()
    record("a", actor="t", estate_id=estate.id)
    record("b", actor="t", estate_id=estate.id)
    db_session.commit()
    bypass_append_only(db_session)
    db_session.execute(update(AuditEvent).where(AuditEvent.chain == estate.id, AuditEvent.seq == 2).values(actor="someone else"))
    db_session.expire_all()
    problems = check_chain(estate.id)
    assert [(p.seq, p.message) for p in problems] == [(2, "event content does not match its hash")]


def test_deleting_an_event_shows_as_a_gap(db_session, make_estate):
    estate = make_estate()
    for action in "abc":
        record(action, actor="t", estate_id=estate.id)
    db_session.commit()
    victim = db_session.scalar(select(AuditEvent).where(AuditEvent.chain == estate.id, AuditEvent.seq == 2))
    bypass_append_only(db_session)
    db_session.delete(victim)
    db_session.commit()
    messages = [p.message for p in check_chain(estate.id)]
    assert any("gap" in m for m in messages)
    assert any("link broken" in m for m in messages)


def test_each_estate_has_its_own_chain(db_session, make_estate):
    a, b = make_estate("a-estate"), make_estate("b-estate")
    record("x", actor="t", estate_id=a.id)
    db_session.commit()
    assert [e.seq for e in chain_events(b.id)] == [1]
    assert [e.seq for e in chain_events(a.id)] == [1, 2]


def test_concurrent_writers_never_fork_the_chain(app, database_url, tmp_path):
    """Separate connections and transactions, as separate requests have: the chain stays one."""
    import threading

    from sqlalchemy import create_engine, delete
    from sqlalchemy.orm import Session

    if database_url.startswith("sqlite"):
        import pytest

        pytest.skip("SQLite has a single writer; the chain lock matters on PostgreSQL")
    from webapp.audit.chain import verify_chain
    from webapp.core.db import db
    from webapp.estates.models import Estate

    engine = create_engine(database_url)
    with Session(engine) as s:
        estate = Estate(slug="concurrent", name="并发", roll_signatures_required=1)
        s.add(estate)
        s.commit()
        estate_id = estate.id
    errors = []

    def writer(n: int) -> None:
        # Each thread has its own application context, hence its own session and connection.
        try:
            with app.app_context():
                for i in range(5):
                    record(f"write.{n}.{i}", actor="t", estate_id=estate_id)
                    db.session.commit()
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with Session(engine) as s:
        events = list(s.scalars(select(AuditEvent).where(AuditEvent.chain == estate_id).order_by(AuditEvent.seq)))
        try:
            assert errors == []
            assert [e.seq for e in events] == list(range(1, 21))
            assert verify_chain(events) == []
        finally:
            # Committed rows of this test's own: cleaned up as a superuser may, triggers off.
            s.execute(text("SET LOCAL session_replication_role = replica"))
            s.execute(delete(AuditEvent).where(AuditEvent.chain == estate_id))
            s.execute(delete(Estate).where(Estate.id == estate_id))
            s.commit()
    engine.dispose()


def test_supervisors_see_the_audit_log_and_whether_its_chain_holds(client, login, make_estate, make_staff, db_session):
    estate = make_estate()
    make_staff("sup", estate=estate, role="supervisor")
    make_staff("org", estate=estate, role="organiser")
    login("sup")
    page = client.get(f"/e/{estate.slug}/audit").get_data(as_text=True)
    assert "完整的哈希链" in page
    assert "创建小区" in page
    assert "estate.create" not in page
    bypass_append_only(db_session)
    db_session.execute(update(AuditEvent).where(AuditEvent.chain == estate.id, AuditEvent.seq == 1).values(action="estate.deleted"))
    db_session.commit()
    broken = client.get(f"/e/{estate.slug}/audit").get_data(as_text=True)
    assert "日志链已断裂" in broken
    assert "第 1 条记录：记录写入后被改动过" in broken


def test_organisers_cannot_read_the_audit_log(client, login, make_estate, make_staff):
    estate = make_estate()
    make_staff("org", estate=estate, role="organiser")
    login("org")
    assert client.get(f"/e/{estate.slug}/audit").status_code == 403


def test_postgresql_refuses_to_change_or_delete_audit_events(db_session, make_estate):
    import pytest
    from sqlalchemy import delete
    from sqlalchemy.exc import DBAPIError

    if db_session.get_bind().dialect.name != "postgresql":
        pytest.skip("the append-only trigger is PostgreSQL's (SQLite relies on the signed anchors)")
    estate = make_estate()
    record("a", actor="t", estate_id=estate.id)
    db_session.commit()
    for statement in (
        update(AuditEvent).where(AuditEvent.chain == estate.id).values(actor="x"),
        delete(AuditEvent).where(AuditEvent.chain == estate.id, AuditEvent.seq >= 1),
    ):
        with pytest.raises(DBAPIError, match="append-only"), db_session.begin_nested():
            db_session.execute(statement)


def test_deleting_the_tail_is_named_by_the_signed_anchors(db_session, make_estate):
    from webapp.audit.models import AuditCheckpoint
    from webapp.oversight.integrity import IntegrityReport, check_audit

    estate = make_estate()
    for n in range(25):  # a checkpoint is signed every 20 events
        record(f"step.{n}", actor="t", estate_id=estate.id)
    db_session.commit()
    assert (
        db_session.scalar(select(AuditCheckpoint.seq).where(AuditCheckpoint.chain == estate.id).order_by(AuditCheckpoint.seq.desc())) == 21
    )
    bypass_append_only(db_session)
    db_session.execute(AuditEvent.__table__.delete().where(AuditEvent.chain == estate.id, AuditEvent.seq >= 8))
    db_session.expire_all()
    assert check_chain(estate.id) == []  # what is left is still a chain: the tail is simply gone
    report = IntegrityReport()
    check_audit(estate.id, report)
    assert any("events #8–#21 are missing" in f.en for f in report.findings), report.findings


_json_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**60), max_value=2**60),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(),
)
_json = st.recursive(
    _json_leaf, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=12
)


@settings(max_examples=300, deadline=None)
@given(details=st.dictionaries(st.text(max_size=8), _json, max_size=4), object_id=st.one_of(st.none(), st.text(max_size=12)))
def test_an_event_hashes_to_the_sha256_of_its_rfc8785_form_whatever_its_details(details, object_id):
    import hashlib

    import rfc8785

    from webapp.audit.chain import event_hash

    at = datetime(2026, 12, 7, 3, 4, 5, 678901, tzinfo=UTC)
    fields = {"chain": 3, "seq": 41, "actor": "owner", "action": "ballot.accept", "object_type": "Ballot", "object_id": object_id}
    body = {**fields, "at": "2026-12-07T03:04:05.678901+00:00", "details": details, "prev": "ab" * 32}
    try:
        expected = hashlib.sha256(rfc8785.dumps(body)).hexdigest()
    except Exception as exc:  # what rfc8785 refuses (a lone surrogate, a huge integer) stays refused
        with pytest.raises(type(exc)):
            event_hash(**fields, at=at, details=details, prev_hash="ab" * 32)
        return
    assert event_hash(**fields, at=at, details=details, prev_hash="ab" * 32) == expected
