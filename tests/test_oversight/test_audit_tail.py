"""Events a person relies on are anchored at once (issue 17, item 2): an owner's objection deleted
together with its audit event, right after it was filed, is named by ``ownersvote check`` and
``ownersvote audit-check``."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select

from tests.factories import bypass_append_only, published


def test_an_objection_deleted_with_its_audit_event_is_named_by_check_and_audit_check(voting, capsys):
    from webapp.audit.models import AuditCheckpoint, AuditEvent
    from webapp.commands import audit_check
    from webapp.oversight.integrity import check_estate
    from webapp.results.models import Objection

    s = voting
    published(s)
    s.sign_in("1-102")
    s.post(f"/p/{s.estate.slug}/a/{s.assembly_id}/objections", {"text": "第1号楼的统计有疑问"})
    filed = s.db.scalar(select(AuditEvent).where(AuditEvent.chain == s.estate.id, AuditEvent.action == "objection.file"))
    assert filed is not None
    # Signed in the same transaction as the objection, not up to 19 events or an hour later.
    anchor = s.db.scalar(select(AuditCheckpoint).where(AuditCheckpoint.chain == s.estate.id, AuditCheckpoint.seq == filed.seq))
    assert anchor is not None
    assert anchor.hash == filed.hash

    # Someone with write access to the database removes the objection and its event: the tail of
    # the chain is simply shorter, and still a chain.
    bypass_append_only(s.db)
    s.db.execute(delete(Objection).where(Objection.assembly_id == s.assembly_id))
    s.db.execute(delete(AuditEvent).where(AuditEvent.chain == s.estate.id, AuditEvent.seq >= filed.seq))
    s.db.commit()
    s.db.expire_all()

    report = check_estate(s.estate)
    assert any(f.area == "audit" and f"events #{filed.seq}–#{filed.seq} are missing" in f.en for f in report.findings), report.findings
    with pytest.raises(SystemExit) as exited:
        audit_check.callback.__wrapped__(s.estate.slug)
    assert exited.value.code == 1
    assert f"events #{filed.seq}–#{filed.seq} are missing" in capsys.readouterr().err


def test_every_event_a_person_relies_on_is_anchored_at_once(app):
    from webapp.audit.operations import ANCHORED

    relied_on = {
        "objection.file",
        "objection.answer",
        "candidate.vet",
        "candidates.publish",
        "registration.approved",
        "registration.rejected",
        "proxy.decide",
        "assembly.notice",
        "assembly.open",
        "assembly.close",
        "assembly.tally",
        "assembly.certified",
        "assembly.publish",
        "assembly.archive",
        "tally.certify",
        "tally.tampering",
        "roll.freeze",
        "roll.sign",
        "paper.resolve",
        "paper.refused",
        "pool.enter",
        "pool.leave",
        "pool.match",
    }
    assert relied_on <= ANCHORED, sorted(relied_on - ANCHORED)
