"""Roll supplements (docs/bundle-format.md §7a): a key added to a frozen roll, and the old one
revoked, signed by the roll's supervisors; both verifiers apply them in order and judge each
ballot by its position in the log."""

from __future__ import annotations

import copy
import json

import pytest

from crypto.ballot import make_ballot, sign_ballot
from crypto.bundle import by_kid
from crypto.errors import FormatError
from crypto.keys import jwk_thumbprint, p256_from_seed
from crypto.roll import sign_payload
from crypto.supplement import apply_supplements, supplement_payload, validate_supplement_payload
from crypto.testbundle import generate
from crypto.verify import verify_bundle
from tests.test_crypto import test_js_verifier as jsv
from tests.test_crypto.test_verify import reseal

NEW_PHONE = p256_from_seed(b"the owner's new phone")


@pytest.fixture(scope="module")
def gen():
    return generate(12, 2, seed=21)


def _payload(bundle, member, *, add=(NEW_PHONE.jwk,), revoke=(), seq=1, required=None):
    roll = bundle["roll"]
    return supplement_payload(
        estate=str(bundle["estate"]["id"]),
        roll=roll["id"],
        roll_root=roll["root"],
        assembly=bundle["assembly"]["id"],
        seq=seq,
        member=member,
        add=list(add),
        revoke=list(revoke),
        made_at=roll["frozen_at"] + 1000,
        required_signatures=required or roll["required_signatures"],
    )


def supplemented(gen, *, shift=0, signers=None, keep_old_ballot_after=False):
    """The generated bundle with one online ballot re-signed on a new phone, after a supplement
    that adds the new key and revokes the old one took effect at that ballot's position
    (``shift`` moves the supplement's ``from`` later, so the ballot comes before it)."""
    bundle = copy.deepcopy(gen.bundle)
    entries = bundle["log"]["entries"]
    i = next(n for n, e in enumerate(entries) if e["kind"] == "online")
    ballot = json.loads(entries[i]["ballot"])
    member = ballot["member"]
    old_kid = entries[i]["kid"]
    payload = _payload(bundle, member, revoke=[old_kid])
    signers = gen.supervisors if signers is None else signers
    bundle["supplements"] = [{"payload": payload, "signatures": by_kid(sign_payload(s, payload) for s in signers), "from": i + shift}]
    if not keep_old_ballot_after:
        fresh = make_ballot(bundle["assembly"]["id"], ballot["notice"], ballot["roll_root"], member, ballot["choices"])
        entries[i] = {"index": i, **sign_ballot(NEW_PHONE, fresh)}
    else:  # the supplement took effect before the old phone's ballot
        bundle["supplements"][0]["from"] = 0
    return reseal(gen, bundle, keep_checkpoints=False)


def checks(bundle):
    report = verify_bundle(bundle, jobs=1)
    return {check for check, _ in report.failures}, report


def test_a_supplement_payload_is_normalised_and_checked(gen):
    member = gen.bundle["roll"]["entries"][0]["member"]
    payload = _payload(gen.bundle, member, revoke=["b", "a"])
    assert payload["revoke"] == ["a", "b"]
    assert payload["add"] == [{"use": "vote", "jwk": NEW_PHONE.jwk}]
    validate_supplement_payload(payload)
    for broken in ({**payload, "add": [], "revoke": []}, {**payload, "extra": 1}, {**payload, "seq": 0}):
        with pytest.raises(FormatError):
            validate_supplement_payload(broken)
    with pytest.raises(FormatError):
        _payload(gen.bundle, member, revoke=[NEW_PHONE.kid])  # added and revoked at once


def test_a_ballot_on_a_supplements_key_verifies_after_it(gen):
    failed, report = checks(supplemented(gen))
    assert not failed, report.failures
    assert report.facts["supplements"] == 1


def test_a_ballot_on_a_supplements_key_before_it_took_effect_fails(gen):
    failed, report = checks(supplemented(gen, shift=1))
    assert "ballot-key" in failed
    assert any("added only from log entry" in m for _, m in report.failures)


def test_a_revoked_keys_later_ballot_fails(gen):
    failed, report = checks(supplemented(gen, keep_old_ballot_after=True))
    assert "ballot-key" in failed
    assert any("revoked from log entry 0" in m for _, m in report.failures)


def test_a_supplement_short_of_its_signatures_changes_nothing(gen):
    failed, report = checks(supplemented(gen, signers=gen.supervisors[:1]))
    assert {"supplements", "ballot-key"} <= failed, report.failures


def test_a_supplement_for_a_member_not_on_the_roll_or_a_foreign_key_fails(gen):
    bundle = copy.deepcopy(gen.bundle)
    roll = bundle["roll"]
    trusted = {s.kid: s.jwk for s in gen.supervisors}
    stranger = _payload(bundle, "M-NOT-ON-THE-ROLL")
    someone_elses = _payload(bundle, roll["entries"][0]["member"], revoke=[jwk_thumbprint(roll["entries"][1]["keys"][0]["jwk"])])
    records = [
        {"payload": p, "signatures": by_kid(sign_payload(s, p) for s in gen.supervisors), "from": 0} for p in (stranger, someone_elses)
    ]
    changes = apply_supplements(records, estate=stranger["estate"], roll=roll, assembly=stranger["assembly"], trusted=trusted, log_size=5)
    assert changes.applied == 0
    assert any("is not on the roll" in p for p in changes.problems)
    assert any("which is not a key of" in p for p in changes.problems)


def test_supplements_apply_in_order(gen):
    bundle = copy.deepcopy(gen.bundle)
    roll = bundle["roll"]
    trusted = {s.kid: s.jwk for s in gen.supervisors}
    member = roll["entries"][0]["member"]
    first = _payload(bundle, member, seq=1)
    then = _payload(bundle, member, add=[p256_from_seed(b"third phone").jwk], revoke=[NEW_PHONE.kid], seq=2)
    signed = [
        {"payload": p, "signatures": by_kid(sign_payload(s, p) for s in gen.supervisors), "from": f} for p, f in ((first, 2), (then, 4))
    ]
    changes = apply_supplements(signed, estate=first["estate"], roll=roll, assembly=first["assembly"], trusted=trusted, log_size=5)
    assert changes.applied == 2
    assert not changes.problems
    assert changes.ballot_problem(NEW_PHONE.kid, 3) is None
    assert changes.ballot_problem(NEW_PHONE.kid, 4) is not None
    # the other way round, the second revokes a key not yet added, and from goes back
    reverse = [dict(signed[1], **{"from": 4}), dict(signed[0], **{"from": 2})]
    changes = apply_supplements(reverse, estate=first["estate"], roll=roll, assembly=first["assembly"], trusted=trusted, log_size=5)
    assert changes.applied == 1
    assert any("not a key of" in p for p in changes.problems)


def test_the_js_verifier_agrees_on_supplements(gen, tmp_path):
    if not jsv.NODE:
        pytest.skip(jsv.NODE_HOWTO)
    cases = {
        "valid": supplemented(gen),
        "before": supplemented(gen, shift=1),
        "revoked": supplemented(gen, keep_old_ballot_after=True),
        "unsigned": supplemented(gen, signers=gen.supervisors[:1]),
    }
    jobs = []
    for name, bundle in cases.items():
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(bundle, ensure_ascii=False), encoding="utf-8")
        jobs.append({"path": str(path)})
    reports = dict(zip(cases, jsv.js_verify(jsv.NODE, jobs), strict=True))
    assert reports["valid"]["ok"], reports["valid"]["failures"][:5]
    assert any("added only from log entry" in f["message"] for f in reports["before"]["failures"])
    assert any("revoked from log entry 0" in f["message"] for f in reports["revoked"]["failures"])
    assert any(f["check"] == "supplements" for f in reports["unsigned"]["failures"])


def test_a_supplements_signatures_out_of_key_id_order_fail_both_verifiers(gen, tmp_path):
    """Every signature list of a bundle has one order, by key id (docs/bundle-format.md §5)."""
    bundle = supplemented(gen)
    bundle["supplements"][0]["signatures"].reverse()
    failed, report = checks(bundle)
    assert any("key-id order" in m for _, m in report.failures), report.failures
    if jsv.NODE:
        path = tmp_path / "reversed.json"
        path.write_text(json.dumps(bundle, ensure_ascii=False), encoding="utf-8")
        (js,) = jsv.js_verify(jsv.NODE, [{"path": str(path)}])
        assert not js["ok"]
        assert any("key-id order" in f["message"] for f in js["failures"])
