"""The request accepts, the sequencer integrates (issue 19, items 1 and 2)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from crypto.promise import verify_promise
from tests.factories import TITLES, signed_body


def _choices(s) -> dict:
    return {s.item_ids()[TITLES["statute"]]: "agree"}


def test_a_cast_answers_with_a_signed_promise_and_signs_no_tree_head(voting):
    from webapp.core.serverkey import signer
    from webapp.voting.log import ms
    from webapp.voting.models import Ballot, TreeHead

    s = voting
    s.sign_in("1-101")
    code, answer = s.cast(s.ballot("1-101", _choices(s)))
    assert code == 201, answer
    promise = verify_promise(answer["promise"], signer().jwk, s.assembly.log_id)
    s.db.expire_all()
    ballot = s.db.scalar(select(Ballot).where(Ballot.assembly_id == s.assembly_id))
    assert ballot.leaf_index is None  # not integrated inside the request
    assert s.db.scalar(select(func.count()).select_from(TreeHead).where(TreeHead.size > 0)) == 0
    assert promise.leaf_hash.hex() == ballot.leaf_hash
    assert promise.accepted == ms(ballot.received_at)
    assert promise.deadline - promise.accepted == 60_000
    page = s.client.get(answer["next"]).get_data(as_text=True)
    assert 'data-action="await-receipt"' in page
    assert s.client.get(answer["next"] + ".json").status_code == 202


def test_my_page_links_to_the_receipt_of_a_ballot_the_sequencer_has_not_yet_integrated(voting):
    """The receipt page shows the promise until the proof comes: the owner is not told to come
    back later when the link already leads somewhere."""
    s = voting
    s.sign_in("1-101")
    code, answer = s.cast(s.ballot("1-101", _choices(s)))
    assert code == 201, answer
    page = s.client.get("/me").get_data(as_text=True)
    assert answer["next"].split("/receipt/")[1] in page


def test_the_sequencer_integrates_what_waits_under_one_signed_head(voting):
    from webapp.voting.models import Ballot, TreeHead

    s = voting
    s.sign_in("1-101")
    assert s.cast(s.ballot("1-101", _choices(s)))[0] == 201
    s.sign_in("1-102")
    assert s.cast(s.ballot("1-102", _choices(s)))[0] == 201
    heads = s.db.scalar(select(func.count()).select_from(TreeHead))
    done = s.sequence()
    assert (done.integrated, done.batches) == (2, 1)
    s.db.expire_all()
    assert sorted(s.db.scalars(select(Ballot.leaf_index).where(Ballot.assembly_id == s.assembly_id))) == [0, 1]
    assert s.db.scalar(select(func.count()).select_from(TreeHead)) == heads + 1
    assert s.sequence().integrated == 0  # nothing twice


def test_a_sequencer_that_dies_mid_batch_loses_nothing(voting_pg, monkeypatch):
    """A batch is one transaction: killed while signing, nothing of it is kept and the ballot
    waits for the next pass (its own database: the batch really commits or rolls back)."""
    from webapp.core.db import db
    from webapp.voting import log as ballot_log
    from webapp.voting.models import Ballot
    from webapp.voting.sequencer import run_once

    app, built = voting_pg
    member, signer = sorted(built.voters.items())[-1]
    response = app.test_client().post(f"/api/v1/a/{built.assembly_id}/ballots", json=signed_body(app, built, member, signer, {}))
    assert response.status_code == 201, response.get_json()

    def killed(*args, **kwargs):
        raise SystemError("the sequencer's process died while signing")

    with app.app_context():
        monkeypatch.setattr(ballot_log, "sign_tree_head", killed)
        assert run_once().integrated == 0
        assert db.session.scalar(select(Ballot.leaf_index).where(Ballot.member == member)) is None
        monkeypatch.undo()
        assert run_once().integrated >= 1
        assert db.session.scalar(select(Ballot.leaf_index).where(Ballot.member == member)) is not None


def test_the_close_seals_only_after_every_ballot_accepted_before_it_is_in_the_log(voting):
    from webapp.voting.models import Ballot, TreeHead

    s = voting
    s.sign_in("1-101")
    assert s.cast(s.ballot("1-101", _choices(s)))[0] == 201  # and no sequencer pass before the close
    s.at(s.assembly.closes_at + timedelta(seconds=1))
    assert s.sequence().transitions == 1
    s.db.expire_all()
    assert s.assembly.state == "closed"
    final = s.db.scalar(select(TreeHead).where(TreeHead.assembly_id == s.assembly_id, TreeHead.final.is_(True)))
    assert final.size == 1
    assert s.db.scalar(select(Ballot.leaf_index).where(Ballot.assembly_id == s.assembly_id)) == 0
    non_final_after_close = s.db.scalar(
        select(func.count())
        .select_from(TreeHead)
        .where(TreeHead.assembly_id == s.assembly_id, TreeHead.final.is_(False), TreeHead.size > 0)
    )
    assert non_final_after_close == 0


def test_each_app_in_a_process_gets_its_own_sequencer_thread():
    """Two apps served by one process (a test run's demo server, then its live server) each have
    their own sequencer: a thread already running for the first must not stand for the second."""
    from flask import Flask

    from webapp.voting import sequencer

    first, second = Flask("first"), Flask("second")
    first.config["OWNERSVOTE_SEQUENCER_EVERY"] = second.config["OWNERSVOTE_SEQUENCER_EVERY"] = 3600
    stops = [sequencer.start_thread(first), sequencer.start_thread(second)]
    try:
        assert all(stop is not None for stop in stops)
        assert sequencer.start_thread(first) is None  # once per app
    finally:
        for stop in stops:
            if stop is not None:
                stop.set()
