"""crypto/bundle.py on its own: rules pinned by the mutants that survived its first mutation run
(docs/mutation-testing.md)."""

from __future__ import annotations

import gc
import json

import pytest

from crypto import bundle as bundle_mod
from crypto.errors import FormatError


def _roll(*entries):
    return {"entries": [{"member": m, "area": a, "heads": h, "keys": []} for m, a, h in entries]}


def test_the_tally_input_takes_each_members_heads_from_the_roll():
    # heads default to 1 in the tally input: a roll whose heads are all 1 would hide a dropped member
    doc = bundle_mod.tally_document(
        {"roll": _roll(("M-A", "10.00", 0), ("M-B", "20.00", 2)), "tally_input": {"items": []}}, [("M-B", {"q1": "agree"})]
    )
    assert doc == {
        "members": [{"id": "M-A", "area": "10.00", "heads": 0}, {"id": "M-B", "area": "20.00", "heads": 2}],
        "items": [],
        "ballots": [{"member": "M-B", "choices": {"q1": "agree"}}],
    }


def test_the_tally_input_carries_the_notices_rules_and_only_when_there_are_rules():
    rules = {"thresholds": {"6": {"approval": {"at_least": "4/5"}}}, "alternates": 2}
    doc = bundle_mod.tally_document({"roll": _roll(), "tally_input": {"rules": rules, "items": []}}, [])
    assert doc["rules"] == rules
    assert "rules" not in bundle_mod.tally_document({"roll": _roll(), "tally_input": {"items": []}}, [])


def test_parsing_leaves_the_garbage_collector_as_it_found_it():
    assert gc.isenabled()
    bundle_mod.parse_document(b"{}")
    assert gc.isenabled()
    with pytest.raises(FormatError):
        bundle_mod.parse_document(b"{")
    assert gc.isenabled()
    gc.disable()
    try:
        bundle_mod.parse_document(b"{}")
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_document_that_is_not_strict_json_says_so():
    with pytest.raises(FormatError, match=r"^bundle is not acceptable JSON: "):
        bundle_mod.parse_document(b'{"a": 1.5}')


def _header(**changes):
    bundle = {name: {} for name in bundle_mod.TOP_LEVEL}
    bundle.update(format="ownersvote-bundle", version=2)
    bundle.update(changes)
    return bundle


def test_load_bundle_reads_bytes_and_files_and_checks_the_header(tmp_path):
    good = _header()
    data = json.dumps(good).encode()
    assert bundle_mod.load_bundle(data) == good
    path = tmp_path / "b.json"
    path.write_bytes(data)
    assert bundle_mod.load_bundle(path) == good
    assert bundle_mod.load_bundle(str(path)) == good
    with pytest.raises(FormatError, match="not an OwnersVote audit bundle"):
        bundle_mod.load_bundle(json.dumps(_header(format="x")).encode())


@pytest.mark.parametrize(
    ("bundle", "message"),
    [
        ([], "^a bundle is a JSON object$"),
        (_header(format="other"), r"^not an OwnersVote audit bundle \(format is 'other', expected 'ownersvote-bundle'\)$"),
        (_header(version=1), r"^bundle version 1 is not supported \(this verifier reads versions 2, 3\)$"),
        ({k: v for k, v in _header().items() if k not in ("tally", "roll")}, "^bundle lacks roll, tally$"),
        (_header(zz=1, aa=2), "^bundle has members no signature covers: aa, zz$"),
    ],
)
def test_the_header_check_names_what_is_wrong(bundle, message):
    with pytest.raises(FormatError, match=message):
        bundle_mod.check_header(bundle)
    assert bundle_mod.check_header(_header()) is None


def test_key_lists_are_put_in_key_id_order():
    records = [{"kid": "b", "x": 1}, {"kid": "B", "x": 2}, {"kid": "a", "x": 3}]
    assert [r["kid"] for r in bundle_mod.by_kid(records)] == ["B", "a", "b"]
