"""Concurrent submissions on SQLite and PostgreSQL, through the endpoint, in a database of their own (each
thread's request has its own application context, session and connection, as in production):
one member's twenty different signed ballots at once give exactly one counted ballot, and many
members voting at once all land in the log, each under a signed tree head, each audited once."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from crypto.treehead import verify_receipt
from tests.factories import post_all, signed_body


def test_twenty_concurrent_submissions_for_one_member_give_one_counted_ballot(voting_pg):
    from webapp.assemblies.models import Assembly
    from webapp.audit.models import AuditEvent
    from webapp.core.db import db
    from webapp.voting.casting import counted
    from webapp.voting.models import Ballot
    from webapp.voting.sequencer import run_once

    app, built = voting_pg
    member, signer = sorted(built.voters.items())[0]
    bodies = [signed_body(app, built, member, signer, {}) for _ in range(20)]  # twenty different ballots (nonces)
    results = post_all(app, built.assembly_id, bodies)
    statuses = sorted(code for code, _ in results)
    assert statuses == [201] + [409] * 19, results
    accepted = next(body for code, body in results if code == 201)
    with app.app_context():
        rows = list(db.session.scalars(select(Ballot).where(Ballot.assembly_id == built.assembly_id, Ballot.member == member)))
        assert len(rows) == 1
        assert rows[0].promise == accepted["promise"]
        run_once()
        db.session.expire_all()
        assert rows[0].leaf_index == 0
        assembly = db.session.get(Assembly, built.assembly_id)
        assert list(counted(assembly.id, replace_allowed=False)) == [member]
        events = db.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "ballot.accept", AuditEvent.object_id == str(rows[0].id))
        )
        assert events == 1


def _sequencers_at_once(app, n: int) -> None:
    """``n`` sequencers passing at the same moment: the advisory lock lets one integrate a log."""
    from webapp.voting.sequencer import run_once

    barrier = threading.Barrier(n)

    def one() -> None:
        with app.app_context():
            barrier.wait()
            run_once()

    threads = [threading.Thread(target=one) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with app.app_context():
        run_once()  # whatever a loser of the race left for the next pass


def test_many_members_at_once_all_land_under_signed_tree_heads(voting_pg):
    from webapp.assemblies.models import Assembly
    from webapp.core.db import db
    from webapp.core.serverkey import signer as server_signer
    from webapp.oversight.integrity import check_estate
    from webapp.voting import log as ballot_log
    from webapp.voting.models import Ballot

    app, built = voting_pg
    voters = sorted(built.voters.items())[1:31]
    bodies = [signed_body(app, built, member, signer, {}) for member, signer in voters]
    results = post_all(app, built.assembly_id, bodies)
    assert [code for code, _ in results] == [201] * len(bodies), results
    _sequencers_at_once(app, 2)
    with app.app_context():
        assembly = db.session.get(Assembly, built.assembly_id)
        jwk = server_signer().jwk
        for _, body in results:
            ballot = db.session.scalar(select(Ballot).where(Ballot.promise.isnot(None), Ballot.leaf_hash == body["promise"]["leaf_hash"]))
            receipt = ballot_log.receipt(ballot)
            assert receipt["promise"] == body["promise"]
            verify_receipt(receipt, jwk, assembly.log_id)  # signatures (head and promise), tracking code, inclusion proof
        indices = sorted(db.session.scalars(select(Ballot.leaf_index).where(Ballot.assembly_id == assembly.id)))
        assert indices == list(range(len(indices)))  # every ballot a leaf, no gap, none twice
        report = check_estate(assembly.estate)
        assert report.ok, report.findings
