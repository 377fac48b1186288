"""The server's key set (docs/bundle-format.md §8, issue 18 item 1): a bundle lists every server
key it needs with its period [not_before, retired_at); both verifiers accept a rotation (the
notice and the first tree heads by the old key, the later ones by the new) and refuse a key used
outside its period, an unlisted or idle key, and a malformed list.  Version-2 bundles (one
``log.server_key``) still verify."""

from __future__ import annotations

import copy
import json

import pytest

from crypto.bundle import by_kid
from crypto.errors import SignatureInvalid
from crypto.keys import generate_ed25519
from crypto.serverkeys import KeySet, ServerKey, key_record, parse_key, verify_signed_at
from crypto.testbundle import generate
from crypto.treehead import sign_object
from crypto.verify import main as verify_main
from crypto.verify import verify_bundle
from tests.test_crypto import test_js_verifier as jsv


@pytest.fixture(scope="module")
def rotated():
    return generate(40, 3, seed=31, rotate_server_key=True, receipts=4)


def resigned(record: dict, signer) -> dict:
    return sign_object(signer, {k: v for k, v in record.items() if k not in ("kid", "sig")})


def failures(bundle, **kwargs) -> list[tuple[str, str]]:
    return verify_bundle(bundle, jobs=1, **kwargs).failures


def heads_by(gen, bundle) -> tuple[list[int], list[int]]:
    """Positions of the tree heads signed by the first key and by the second."""
    heads = [h["sth"] for h in bundle["log"]["tree_heads"]]
    return [k for k, h in enumerate(heads) if h["kid"] == gen.server.kid], [k for k, h in enumerate(heads) if h["kid"] == gen.rotated.kid]


def as_version_2(bundle: dict) -> dict:
    b = copy.deepcopy(bundle)
    (key,) = b["log"].pop("server_keys")
    b["version"] = 2
    log = b["log"]
    b["log"] = {
        "id": log["id"],
        "server_key": {"kid": key["kid"], "jwk": key["jwk"]},
        "entries": log["entries"],
        "tree_heads": log["tree_heads"],
    }
    return b


# --- the key set on its own ---------------------------------------------------------------------


def test_a_key_is_valid_from_its_start_until_just_before_its_retirement():
    key = ServerKey("k", {}, not_before=1000, retired_at=2000)
    assert [key.valid_at(t) for t in (999, 1000, 1999, 2000)] == [False, True, True, False]
    assert ServerKey("k", {}, 1000, None).valid_at(10**15)
    assert [key.valid_during(*span) for span in ((0, 1000), (1999, 5000), (0, 999), (2000, 3000))] == [True, True, False, False]


def test_an_object_is_verified_with_the_key_it_names_at_its_own_time():
    old, new = generate_ed25519(), generate_ed25519()
    keys = KeySet.of([parse_key(key_record(old.jwk, 0, 5000)), parse_key(key_record(new.jwk, 5000, None))])
    before = sign_object(old, {"type": "x", "at": 4999})
    verify_signed_at(before, keys, 4999)
    with pytest.raises(SignatureInvalid, match="after its retirement"):
        verify_signed_at(sign_object(old, {"type": "x", "at": 5000}), keys, 5000)
    with pytest.raises(SignatureInvalid, match="valid only from"):
        verify_signed_at(sign_object(new, {"type": "x", "at": 4999}), keys, 4999)
    with pytest.raises(SignatureInvalid, match="not a server key"):
        verify_signed_at(sign_object(generate_ed25519(), {"type": "x"}), keys, 4999)
    with pytest.raises(SignatureInvalid, match="does not verify"):
        verify_signed_at({**before, "at": 4998}, keys, 4999)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda r: r.update(retired_at=r["not_before"]), "retired_at must be null or an integer later than not_before"),
        (lambda r: r.update(not_before=-1), "not_before must be milliseconds"),
        (lambda r: r.update(not_before=True), "not_before must be milliseconds"),
        (
            lambda r: r.update(kid=("y" if r["kid"].startswith("x") else "x") + r["kid"][1:]),
            "is not the thumbprint",
        ),  # (a kid may begin with x)
        (lambda r: r["jwk"].update(use="sig"), "only its required members"),
        (lambda r: r.update(comment="x"), "a server key is"),
    ],
)
def test_a_listed_key_is_refused_for_what_is_wrong_with_it(change, message):
    record = key_record(generate_ed25519().jwk, 1000, None)
    change(record)
    with pytest.raises(Exception, match=message):
        parse_key(record)


# --- a rotation in a bundle ------------------------------------------------------------------------


def test_a_rotated_bundle_verifies_with_both_keys_and_their_periods(rotated, capsys):
    b = rotated.bundle
    assert b["version"] == 3
    keys = {k["kid"]: k for k in b["log"]["server_keys"]}
    assert keys == {
        rotated.server.kid: key_record(rotated.server.jwk, keys[rotated.server.kid]["not_before"], rotated.rotated_at),
        rotated.rotated.kid: key_record(rotated.rotated.jwk, rotated.rotated_at, None),
    }
    old, new = heads_by(rotated, b)
    assert max(old) < min(new)
    assert b["notice"]["kid"] == rotated.server.kid
    paper = {e["kid"] for e in b["log"]["entries"] if e["kind"] == "paper"}
    assert paper == {rotated.server.kid, rotated.rotated.kid}
    receipts = [(f"r{i}", r) for i, r in enumerate(rotated.receipts)]
    assert {r["sth"]["kid"] for _, r in receipts} == {rotated.server.kid, rotated.rotated.kid}
    assert failures(b) == []
    assert verify_bundle(b, receipts, jobs=1).failures == []
    assert failures(b, pin_server=[rotated.server.kid, rotated.rotated.kid]) == []


def test_the_summary_names_each_server_key_with_its_period(rotated, tmp_path, capsys):
    path = tmp_path / "rotated.json"
    path.write_text(json.dumps(rotated.bundle, ensure_ascii=False), encoding="utf-8")
    assert verify_main([str(path), "--server-key", rotated.server.kid, "--server-key", rotated.rotated.kid]) == 0
    out = capsys.readouterr().out
    assert f"server key {rotated.server.kid}  from 2025-01-30 09:00:00 (UTC+8), retired " in out
    assert f"{rotated.rotated.kid}  from 2025-03-11 13:52:43 (UTC+8), in use" in out


def test_a_tree_head_signed_by_the_old_key_after_its_retirement_is_refused(rotated):
    b = copy.deepcopy(rotated.bundle)
    _, new = heads_by(rotated, b)
    record = b["log"]["tree_heads"][new[0]]
    record["sth"] = resigned(record["sth"], rotated.server)
    found = failures(b)
    assert [c for c, _ in found] == ["tree-head"], found
    assert f"key {rotated.server.kid} was retired" in found[0][1]
    assert "after its retirement" in found[0][1]


def test_a_tree_head_signed_by_the_new_key_before_its_period_is_refused(rotated):
    b = copy.deepcopy(rotated.bundle)
    old, _ = heads_by(rotated, b)
    record = b["log"]["tree_heads"][old[-1]]
    record["sth"] = resigned(record["sth"], rotated.rotated)
    found = failures(b)
    assert any(c == "tree-head" and f"key {rotated.rotated.kid} is valid only from" in m for c, m in found), found


def test_a_notice_signed_by_the_new_key_before_its_period_is_refused(rotated):
    b = copy.deepcopy(rotated.bundle)
    b["notice"] = resigned(b["notice"], rotated.rotated)
    found = failures(b)
    assert found[0][0] == "notice", found
    assert "is valid only from" in found[0][1]


def test_a_paper_ballot_by_a_key_not_yet_valid_when_its_tree_head_covered_it_is_refused(rotated):
    from crypto.ballot import sign_ballot

    b = copy.deepcopy(rotated.bundle)
    i, entry = next((i, e) for i, e in enumerate(b["log"]["entries"]) if e["kind"] == "paper" and e["kid"] == rotated.server.kid)
    b["log"]["entries"][i] = {"index": i, **sign_ballot(rotated.rotated, json.loads(entry["ballot"]))}
    found = failures(b)
    assert any(c == "ballot-key" and f"log entry {i}: paper ballot signed with server key {rotated.rotated.kid}" in m for c, m in found), (
        found
    )


def test_narrowing_a_period_past_what_its_key_signed_is_refused(rotated):
    """Periods are the installation's record (unsigned): moved so as to leave out something the
    key signed, the bundle fails; widened, only the published key set tells (docs/security.md)."""
    old, new = heads_by(rotated, rotated.bundle)
    stamps = [h["sth"]["timestamp"] for h in rotated.bundle["log"]["tree_heads"]]
    for name, value in (("not_before", stamps[new[0]] + 1), ("retired_at", stamps[old[-1]])):
        b = copy.deepcopy(rotated.bundle)
        key = next(k for k in b["log"]["server_keys"] if k["kid"] == (rotated.rotated.kid if name == "not_before" else rotated.server.kid))
        key[name] = value
        assert {c for c, _ in failures(b)} >= {"tree-head"}, name


def test_a_key_the_bundle_needs_but_does_not_list_or_one_listed_that_signs_nothing_is_refused(rotated):
    b = copy.deepcopy(rotated.bundle)
    b["log"]["server_keys"] = [k for k in b["log"]["server_keys"] if k["kid"] != rotated.server.kid]
    assert failures(b)[0] == (
        "notice",
        f"the notice: signed by key {rotated.server.kid!r}, which is not a server key ({rotated.rotated.kid})",
    )
    b = copy.deepcopy(rotated.bundle)
    idle = generate_ed25519()
    # Retired as voting opened: it can have signed no promise of this vote either.
    b["log"]["server_keys"] = by_kid(b["log"]["server_keys"] + [key_record(idle.jwk, 0, b["notice"]["opens"])])
    [(check, message)] = failures(b)
    assert check == "tree-head"
    assert message.startswith(f"server key {idle.kid} is listed but signs nothing in the bundle, and was not valid while voting was open")


def test_a_listed_key_valid_during_the_vote_may_have_signed_only_promises(rotated):
    """A key rotated in during the vote may have signed promises of inclusion and nothing the bundle
    carries (promises stay with the owners: their times would tell who voted when)."""
    b = copy.deepcopy(rotated.bundle)
    promises_only = generate_ed25519()
    notice = b["notice"]
    b["log"]["server_keys"] = by_kid(b["log"]["server_keys"] + [key_record(promises_only.jwk, notice["closes"] - 60_000, None)])
    assert failures(b) == []


def test_the_server_keys_are_listed_once_each_in_key_id_order(rotated):
    b = copy.deepcopy(rotated.bundle)
    b["log"]["server_keys"].reverse()
    assert ("tree-head", "log.server_keys must be listed in key-id order (code points, ascending)") in failures(b)
    b = copy.deepcopy(rotated.bundle)
    b["log"]["server_keys"].append(dict(b["log"]["server_keys"][-1]))
    assert any("is listed twice" in m for _, m in failures(b))
    b = copy.deepcopy(rotated.bundle)
    b["log"]["server_keys"] = []
    assert ("tree-head", "log.server_keys must list the server's keys (at least one)") in failures(b)


def test_a_pinned_key_set_trusts_only_the_pinned_keys(rotated):
    found = failures(rotated.bundle, pin_server=[rotated.rotated.kid])
    assert found[0] == (
        "tree-head",
        f"the bundle's server key {rotated.server.kid} is not the key given with --server-key ({rotated.rotated.kid})",
    )


def test_a_version_2_bundle_with_one_server_key_still_verifies():
    one = generate(12, 2, seed=32)
    b = as_version_2(one.bundle)
    assert list(b["log"]) == ["id", "server_key", "entries", "tree_heads"]
    assert failures(b) == []
    assert failures(b, pin_server=one.server.kid) == []
    mixed = copy.deepcopy(b)
    mixed["log"]["server_keys"] = one.bundle["log"]["server_keys"]
    assert ("format", "log has members no signature covers: server_keys") in failures(mixed)
    newer = copy.deepcopy(one.bundle)
    newer["version"] = 2
    assert ("format", "log lacks server_key") in failures(newer)


# --- the independent verifier agrees ---------------------------------------------------------------


def test_the_js_verifier_accepts_a_rotation_and_refuses_a_key_outside_its_period(rotated, tmp_path):
    if not jsv.NODE:
        pytest.skip(jsv.NODE_HOWTO)
    late = copy.deepcopy(rotated.bundle)
    _, new = heads_by(rotated, late)
    late["log"]["tree_heads"][new[0]]["sth"] = resigned(late["log"]["tree_heads"][new[0]]["sth"], rotated.server)
    early_notice = copy.deepcopy(rotated.bundle)
    early_notice["notice"] = resigned(early_notice["notice"], rotated.rotated)
    idle = copy.deepcopy(rotated.bundle)
    idle["log"]["server_keys"] = by_kid(idle["log"]["server_keys"] + [key_record(generate_ed25519().jwk, 0, idle["notice"]["opens"])])
    during = copy.deepcopy(rotated.bundle)
    during["log"]["server_keys"] = by_kid(
        during["log"]["server_keys"] + [key_record(generate_ed25519().jwk, during["notice"]["closes"] - 60_000, None)]
    )
    cases = {
        "rotated": rotated.bundle,
        "late": late,
        "early-notice": early_notice,
        "idle": idle,
        "promises-only": during,
        "version-2": as_version_2(generate(12, 2, seed=32).bundle),
    }
    jobs = []
    for name, bundle in cases.items():
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(bundle, ensure_ascii=False), encoding="utf-8")
        job = {"path": str(path)}
        if name == "rotated":
            job["receipt_texts"] = [json.dumps(r) for r in rotated.receipts]
            job["server_key"] = [rotated.server.kid, rotated.rotated.kid]
        jobs.append(job)
    jobs.append({"path": jobs[0]["path"], "server_key": rotated.rotated.kid})
    reports = jsv.js_verify(jsv.NODE, jobs)
    verdicts = dict(zip([*cases, "pinned-new-only"], reports, strict=True))
    assert verdicts["rotated"]["ok"], jsv.failures(verdicts["rotated"])
    assert verdicts["version-2"]["ok"], jsv.failures(verdicts["version-2"])
    assert [f["check"] for f in verdicts["late"]["failures"]] == ["tree_heads"], jsv.failures(verdicts["late"])
    assert "after its retirement" in verdicts["late"]["failures"][0]["message"]
    assert any("valid only from" in f["message"] for f in verdicts["early-notice"]["failures"]), jsv.failures(verdicts["early-notice"])
    assert any("is listed but signs nothing" in f["message"] for f in verdicts["idle"]["failures"]), jsv.failures(verdicts["idle"])
    assert verdicts["promises-only"]["ok"], jsv.failures(verdicts["promises-only"])
    assert any(f["check"] == "server_key" and "pinned" in f["message"] for f in verdicts["pinned-new-only"]["failures"])
