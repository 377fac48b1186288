"""Promises of inclusion before `ownersvote verify`: in a version 3 receipt or alone, kept or
broken; a broken one is named as evidence against the server (docs/bundle-format.md §9a)."""

from __future__ import annotations

import copy
import hashlib
import json

import pytest

from crypto.promise import make_promise
from crypto.testbundle import generate
from crypto.treehead import make_receipt
from crypto.verify import main as verify_main
from crypto.verify import verify_bundle

EVIDENCE = "this signed promise is evidence against the server"


@pytest.fixture(scope="module")
def gen():
    return generate(40, 4, seed=11, receipts=3)


def report_of(gen, *inputs, bundle=None):
    return verify_bundle(gen.bundle if bundle is None else bundle, [(f"input-{n}", doc) for n, doc in enumerate(inputs)])


def messages(report, check="promise"):
    return [m for c, m in report.failures if c == check]


def covering(gen, index):
    return next(r["sth"] for r in gen.bundle["log"]["tree_heads"] if r["sth"]["size"] > index)


def test_receipts_are_version_3_and_carry_the_promise_of_their_ballot(gen):
    for receipt, promise in zip(gen.receipts, gen.promises, strict=True):
        assert receipt["v"] == 3
        assert receipt["promise"] == promise
        assert promise["leaf_hash"] == receipt["leaf_hash"]
        assert promise["accepted"] <= promise["deadline"]


def test_a_good_version_3_receipt_passes_and_its_promise_is_listed(gen):
    report = report_of(gen, *gen.receipts)
    assert report.ok, report.failures
    codes = [r["code"] for r in gen.receipts]
    assert report.facts["receipts"] == codes
    assert report.facts["promises"] == codes


def test_a_bare_promise_passes(gen):
    report = report_of(gen, *gen.promises)
    assert report.ok, report.failures
    assert report.facts["promises"] == [r["code"] for r in gen.receipts]
    assert "receipts" not in report.facts


def test_a_version_2_receipt_still_passes():
    old = generate(40, 4, seed=11, receipts=2, receipt_version=2)
    assert [r["v"] for r in old.receipts] == [2, 2]
    assert all("promise" not in r for r in old.receipts)
    report = report_of(old, *old.receipts)
    assert report.ok, report.failures
    assert "promises" not in report.facts


def test_a_promise_for_a_leaf_missing_from_the_final_tree_is_evidence_against_the_server(gen):
    leaf = hashlib.sha256(b"a ballot the server accepted and then dropped").digest()
    report = report_of(gen, gen.promise(5, leaf=leaf))
    assert not report.ok
    (message,) = messages(report)
    assert f"the server promised to include leaf {leaf.hex()} by " in message
    assert "the final tree does not contain it" in message
    assert EVIDENCE in message


def test_a_receipt_whose_ballot_was_dropped_names_its_promise_as_evidence(gen):
    """The server drops a receipted ballot from the log: the receipt fails, and its promise says
    what the voter holds."""
    bundle = copy.deepcopy(gen.bundle)
    receipt = gen.receipts[1]
    del bundle["log"]["entries"][receipt["index"]]
    for n, entry in enumerate(bundle["log"]["entries"]):
        entry["index"] = n
    report = report_of(gen, receipt, bundle=bundle)
    assert any("dropped or changed" in m for m in messages(report, "receipt")), report.failures
    assert any("the final tree does not contain it" in m and EVIDENCE in m for m in messages(report)), report.failures


@pytest.mark.parametrize("where", ["bare", "in-a-receipt"])
def test_a_promise_with_a_tampered_signature_fails(gen, where):
    promise = copy.deepcopy(gen.promises[0])
    promise["sig"] = gen.promises[1]["sig"]
    doc = promise if where == "bare" else {**copy.deepcopy(gen.receipts[0]), "promise": promise}
    report = report_of(gen, doc)
    assert not report.ok
    check = "promise" if where == "bare" else "receipt"
    (message,) = messages(report, check)
    assert "signature does not verify" in message
    if where == "in-a-receipt":
        assert "the receipt's promise" in message
    assert EVIDENCE not in message  # a promise the server did not sign proves nothing


def test_a_promise_changed_after_signing_fails(gen):
    promise = {**gen.promises[0], "deadline": gen.promises[0]["deadline"] + 86_400_000}
    assert messages(report_of(gen, promise)) == ["promise input-0: signature does not verify"]


def test_a_promise_for_another_leaf_inside_a_receipt_fails(gen):
    receipt = {**copy.deepcopy(gen.receipts[0]), "promise": gen.promises[1]}
    (message,) = messages(report_of(gen, receipt), "receipt")
    assert "its promise is for another leaf" in message


def test_a_promise_of_another_log_fails(gen):
    accepted = gen.promises[0]["accepted"]  # (inside the key's period: only the log is wrong)
    other = make_promise(gen.server, "another-assembly", bytes.fromhex(gen.promises[0]["leaf_hash"]), accepted, accepted + 1)
    (message,) = messages(report_of(gen, other))
    assert "not 'test-assembly-11'" in message


def test_late_inclusion_breaks_the_promise(gen):
    index = 10
    head = covering(gen, index)
    late = gen.promise(index, deadline=head["timestamp"] - 1)
    for doc in (late, make_receipt(head, index, gen.leaf(index), _proof(gen, index, head["size"]), late)):
        report = report_of(gen, doc)
        (message,) = messages(report)
        assert f"no. {head['n']}, size {head['size']}" in message
        assert "0.001 s late" in message
        assert "a broken promise (late inclusion)" in message
        assert EVIDENCE in message
        assert "promises" not in report.facts


def test_a_promise_due_exactly_when_its_head_was_signed_is_kept(gen):
    index = 10
    on_time = gen.promise(index, deadline=covering(gen, index)["timestamp"])
    assert report_of(gen, on_time).ok


def test_a_promise_accepted_after_the_close_is_suspicious(gen):
    closes = gen.bundle["notice"]["closes"]
    report = report_of(gen, gen.promise(len(gen.bundle["log"]["entries"]) - 1, accepted=closes + 1, deadline=closes + 60_000))
    (message,) = messages(report)
    assert "suspicious" in message
    assert "after voting closed" in message


def test_a_promise_accepted_after_the_head_covering_it_is_suspicious(gen):
    index = 10
    head = covering(gen, index)
    report = report_of(gen, gen.promise(index, accepted=head["timestamp"] + 1, deadline=head["timestamp"] + 60_000))
    (message,) = messages(report)
    assert "the server's signed times contradict each other" in message


def test_the_command_line_takes_receipts_and_promises_and_lists_them(tmp_path, gen, capsys):
    bundle = tmp_path / "bundle.json"
    bundle.write_text(json.dumps(gen.bundle, ensure_ascii=False), encoding="utf-8")
    old = generate(40, 4, seed=11, receipts=1, receipt_version=2).receipts[0]
    args = [str(bundle)]
    for name, doc in [("v3.json", gen.receipts[0]), ("v2.json", old), ("promise.json", gen.promises[2])]:
        (tmp_path / name).write_text(json.dumps(doc), encoding="utf-8")
        args += ["--receipt", str(tmp_path / name)]
    assert verify_main(args) == 0
    out = capsys.readouterr().out
    assert "receipts   2 verified" in out
    assert f"promises   2 kept (in the final tree, covered by their deadlines): {gen.receipts[0]['code']}, {gen.receipts[2]['code']}" in out
    assert verify_main([*args, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["promises"] == [gen.receipts[0]["code"], gen.receipts[2]["code"]]
    missing = gen.promise(3, leaf=hashlib.sha256(b"dropped").digest())
    (tmp_path / "missing.json").write_text(json.dumps(missing), encoding="utf-8")
    assert verify_main([str(bundle), "--receipt", str(tmp_path / "missing.json")]) == 1
    out = capsys.readouterr().out
    assert "[promise] promises of inclusion (a broken one is evidence against the server): 1 problem(s)" in out
    assert EVIDENCE in out


def _proof(gen, index, size):
    from crypto.merkle import MerkleLog

    log = MerkleLog()
    for i in range(len(gen.bundle["log"]["entries"])):
        log.append_leaf_hash(gen.leaf(i))
    return log.inclusion_proof(index, size)
