"""The server key rotated across an open assembly (issue 18, item 1): ballots are cast under the
old key, a new key is added and activated, the machines move to it, the old one is retired, more
ballots are cast, the vote closes, the tally is certified and published, and the bundle (both
keys, with their periods) verifies with both verifiers, the receipts of either period included.
A server still configured with the retired key signs nothing: it refuses a ballot (it cannot sign
the promise), and its sequencer leaves accepted ballots waiting for one with the installation's key
(the close then puts them under the final head)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from crypto.keys import generate_ed25519, generate_p256
from crypto.verify import verify_bundle
from tests.factories import TITLES, certify_as, close, state
from tests.test_crypto import test_js_verifier as jsv


@pytest.fixture
def configured(app):
    """Swap the key this app (a machine) is configured with; put the original back afterwards."""
    original = app.extensions["ownersvote_server_key"]

    def use(key):
        app.extensions["ownersvote_server_key"] = key

    yield use
    app.extensions["ownersvote_server_key"] = original


def ballot(s, label: str, statute: str) -> dict:
    ids = s.item_ids()
    s.sign_in(label)
    election = s.options(TITLES["election"])
    return s.ballot(label, {ids[TITLES["statute"]]: statute, ids[TITLES["election"]]: [election[0]]})


def cast(s, label: str, statute: str):
    """Cast, let the sequencer integrate it, and add the receipt to the answer."""
    return s.cast_in_log(ballot(s, label, statute))


def test_a_key_rotated_mid_vote_leaves_every_signature_verifiable(voting, app, configured, tmp_path):
    from webapp.core.serverkey import signer
    from webapp.oversight.integrity import check_estate
    from webapp.oversight.serverkeys import activate_key, add_key, retire_key
    from webapp.voting import log as ballot_log
    from webapp.voting.receipts import check_receipt

    s = voting
    old, new = signer(), generate_ed25519()
    code, first = cast(s, "1-101", "agree")
    assert code == 201, first
    assert first["receipt"]["sth"]["kid"] == old.kid

    # The rotation, as docs/deployment.md has the operator run it.
    s.later(minutes=10)
    add_key(new.jwk, actor="operator")
    s.db.commit()
    s.later(minutes=1)
    activate_key(new.kid, actor="operator")
    s.db.commit()
    configured(new)  # the machines restarted with the new key
    assert s.client.get("/readyz").get_json()["checks"]["server key"] == "ok"
    s.later(minutes=10)
    retired = retire_key(old.kid, actor="operator")
    s.db.commit()

    # A machine left on the retired key: nothing signed, /readyz says why.  It refuses a ballot
    # (nothing stored: it cannot sign the promise), and its sequencer integrates nothing.
    configured(old)
    ready = s.client.get("/readyz").get_json()["checks"]["server key"]
    assert f"this installation's key is {new.kid} ({old.kid} was retired at {retired.retired_at:%Y-%m-%d %H:%M:%S} UTC)" in ready
    late = ballot(s, "1-102", "disagree")
    code, refused = s.cast(late)
    assert code == 503, refused
    assert "was retired" in refused["error_en"]
    configured(new)
    code, pending = s.cast(late)
    assert code == 201, pending
    assert pending["promise"]["kid"] == new.kid
    configured(old)
    assert s.sequence().integrated == 0  # the ballot waits, stored, with its promise
    configured(new)

    close(s)  # the new key puts the waiting ballot under the final head itself
    heads = [h.document for h in ballot_log.heads(s.assembly_id)]
    assert [h["kid"] for h in heads] == [old.kid] * 2 + [new.kid] * (len(heads) - 2)
    assert heads[-1]["final"]
    second = check_receipt(s.assembly, code=None, document=json.dumps(first["receipt"]))
    assert second.ok, second.steps  # a receipt signed before the rotation still checks

    s.as_staff("organiser")
    assert s.post(f"/e/{s.estate.slug}/assemblies/{s.assembly_id}/results/tally").status_code == 302
    assert state(s) == "tallied"
    assert certify_as(s, "supervisor") == 200
    s.as_staff("organiser")
    s.post(f"/e/{s.estate.slug}/assemblies/{s.assembly_id}/results/publish")
    assert state(s) == "published"

    data = s.client.get(f"/p/{s.estate.slug}/a/{s.assembly_id}/bundle.json").data
    bundle = json.loads(data)
    keys = {k["kid"]: k for k in bundle["log"]["server_keys"]}
    assert set(keys) == {old.kid, new.kid}
    assert keys[old.kid]["not_before"] == 0
    assert keys[old.kid]["retired_at"] == int(retired.retired_at.timestamp() * 1000)
    assert keys[new.kid]["retired_at"] is None
    assert keys[new.kid]["not_before"] < keys[old.kid]["retired_at"]  # both active while the machines moved over
    receipts = [("first", first["receipt"])]
    report = verify_bundle(bundle, receipts, jobs=1, pin_server=[old.kid, new.kid])
    assert report.ok, report.failures
    assert check_estate(s.estate).ok, check_estate(s.estate).findings

    # The receipt page hands the browser the key its tree head names: the old one, for this ballot.
    page = s.client.get(first["next"]).get_data(as_text=True)
    assert old.jwk["x"] in page

    if jsv.NODE:
        path = tmp_path / "bundle.json"
        path.write_bytes(data)
        (js,) = jsv.js_verify(jsv.NODE, [{"path": str(path), "receipt_texts": [json.dumps(first["receipt"])]}])
        assert js["ok"], jsv.failures(js)


def test_a_tree_head_signed_with_the_retired_key_after_its_retirement_is_named_by_the_check(voting, configured):
    """What a machine left on the old key would have done without the key set: ``ownersvote check``
    and the bundle's verifier name the head."""
    from sqlalchemy import select

    from crypto.treehead import sign_object
    from webapp.core.serverkey import signer
    from webapp.oversight.integrity import check_estate
    from webapp.oversight.serverkeys import activate_key, add_key, retire_key
    from webapp.voting.models import TreeHead

    s = voting
    old, new = signer(), generate_ed25519()
    assert cast(s, "1-101", "agree")[0] == 201
    add_key(new.jwk, actor="operator")
    activate_key(new.kid, actor="operator")
    configured(new)
    s.later(minutes=1)
    retire_key(old.kid, actor="operator")
    s.db.commit()
    s.later(minutes=1)
    assert cast(s, "1-102", "agree")[0] == 201
    head = s.db.scalar(select(TreeHead).where(TreeHead.assembly_id == s.assembly_id).order_by(TreeHead.n.desc()).limit(1))
    assert head.document["kid"] == new.kid
    forged = sign_object(old, {k: v for k, v in head.document.items() if k not in ("kid", "sig")})
    s.db.execute(TreeHead.__table__.update().where(TreeHead.id == head.id).values(document=forged))
    s.db.commit()
    s.db.expire_all()
    findings = [f.en for f in check_estate(s.estate).findings]
    assert any(f"tree head no. {head.n} does not verify" in f for f in findings), findings


def test_the_key_set_refuses_what_would_leave_the_installation_unable_to_sign(voting):
    from webapp.core.serverkey import signer
    from webapp.oversight.serverkeys import KeySetError, activate_key, add_key, retire_key

    s = voting
    old = signer()
    with pytest.raises(KeySetError, match="the only active key"):
        retire_key(old.kid, actor="operator")
    new = generate_ed25519()
    with pytest.raises(KeySetError, match="an Ed25519 key"):
        add_key(generate_p256().jwk, actor="operator")
    with pytest.raises(KeySetError, match="private key material"):
        add_key({**new.jwk, "d": "AAAA"}, actor="operator")
    add_key(new.jwk, actor="operator")
    with pytest.raises(KeySetError, match="already in the key set"):
        add_key(new.jwk, actor="operator")
    activate_key(new.kid, actor="operator")
    with pytest.raises(KeySetError, match="already active"):
        activate_key(new.kid, actor="operator")
    s.later(minutes=1)
    retire_key(old.kid, actor="operator")
    with pytest.raises(KeySetError, match="never comes back"):
        activate_key(old.kid, actor="operator")
    with pytest.raises(KeySetError, match="already retired"):
        retire_key(old.kid, actor="operator")
    with pytest.raises(KeySetError, match="no key"):
        activate_key("nope", actor="operator")
    from webapp.audit.operations import chain_events

    actions = [e.action for e in chain_events(None) if e.action.startswith("server_key.")]
    assert actions == ["server_key.add", "server_key.activate", "server_key.retire"]


def test_a_new_key_cannot_sign_anything_dated_before_its_activation(db_session, configured):
    from webapp.core.serverkey import KeyNotUsable, signing_key
    from webapp.oversight.serverkeys import activate_key, add_key

    new = generate_ed25519()
    add_key(new.jwk, actor="operator")
    configured(new)
    with pytest.raises(KeyNotUsable, match="added but is not active yet"):
        signing_key()
    key = activate_key(new.kid, actor="operator")
    assert signing_key() is new
    with pytest.raises(KeyNotUsable, match="active only from"):
        signing_key(key.not_before - timedelta(seconds=1))
