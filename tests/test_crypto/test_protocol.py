"""Ballots, log entries, the roll, tree heads, receipts and tracking codes."""

from __future__ import annotations

import json

import pytest

from crypto.ballot import (
    choice_problems,
    entry_leaf_hash,
    make_ballot,
    make_paper_ballot,
    parse_ballot,
    sign_ballot,
    verify_entry,
)
from crypto.errors import FormatError, ProofInvalid, SignatureInvalid, ThresholdNotMet
from crypto.keys import generate_ed25519, generate_p256
from crypto.merkle import MerkleLog
from crypto.roll import (
    certification_payload,
    format_area,
    parse_area,
    pseudonymous_member_id,
    roll_entry,
    roll_payload,
    roll_root,
    sign_payload,
    verify_threshold,
)
from crypto.treehead import (
    make_receipt,
    normalize_tracking_code,
    sign_tree_head,
    tracking_code,
    verify_receipt,
    verify_tree_head,
)

ROOT = "ab" * 32
NOTICE = "cd" * 32
ITEMS = [
    {"id": "q1", "category": 2, "kind": "resolution"},
    {"id": "q2", "category": 3, "kind": "election", "seats": 2, "options": ["c1", "c2", "c3"]},
    {"id": "q3", "category": 4, "kind": "selection", "options": ["f1", "f2"]},
]


def test_ballot_is_canonical_and_signed_over_its_bytes():
    device = generate_p256()
    ballot = make_ballot("asm-1", NOTICE, ROOT, "M-1", {"q1": "agree", "q2": ["c1"]})
    entry = sign_ballot(device, ballot)
    assert entry["kind"] == "online"
    assert parse_ballot(entry["ballot"]) == ballot
    assert verify_entry(entry, device.jwk) == ballot
    with pytest.raises(SignatureInvalid):
        verify_entry(entry, generate_p256().jwk)
    # Same choices, same bytes? Never: the nonce differs.
    assert (
        make_ballot("asm-1", NOTICE, ROOT, "M-1", {"q1": "agree"})["nonce"]
        != make_ballot("asm-1", NOTICE, ROOT, "M-1", {"q1": "agree"})["nonce"]
    )


def test_non_canonical_or_malformed_ballots_are_refused():
    device = generate_ed25519()
    entry = sign_ballot(device, make_ballot("asm-1", NOTICE, ROOT, "M-1", {"q1": "agree"}))
    spaced = json.dumps(json.loads(entry["ballot"]))  # same value, different bytes
    with pytest.raises(FormatError, match="canonical"):
        parse_ballot(spaced)
    with pytest.raises(FormatError):
        parse_ballot('{"a":1}')
    with pytest.raises(FormatError):
        make_ballot("asm-1", NOTICE, ROOT, "M-1", {"q1": "yes"})
    with pytest.raises(FormatError):
        make_ballot("asm-1", NOTICE, "not-hex", "M-1", {})


def test_paper_ballot_needs_two_operators_and_a_scan_hash():
    server = generate_ed25519()
    ballot = make_paper_ballot("asm-1", NOTICE, ROOT, "M-2", {"q1": "disagree"}, "cd" * 32, ["op-a", "op-b"], serial="S-1")
    entry = sign_ballot(server, ballot)
    assert entry["kind"] == "paper"
    verify_entry(entry, server.jwk)
    with pytest.raises(FormatError, match="same operator"):
        make_paper_ballot("asm-1", NOTICE, ROOT, "M-2", {}, "cd" * 32, ["op-a", "op-a"], serial="S-1")
    with pytest.raises(FormatError, match="scan_sha256"):
        make_paper_ballot("asm-1", NOTICE, ROOT, "M-2", {}, "not a hash", ["op-a", "op-b"], serial="S-1")
    with pytest.raises(FormatError, match="serial"):
        make_paper_ballot("asm-1", NOTICE, ROOT, "M-2", {}, "cd" * 32, ["op-a", "op-b"], serial="")
    resolved = make_paper_ballot("asm-1", NOTICE, ROOT, "M-2", {}, "cd" * 32, ["op-a", "op-b"], serial="S-1", resolved_by="sup-1")
    assert resolved["paper"]["resolved_by"] == "sup-1"


def test_a_ballot_names_the_notice_it_answers():
    with pytest.raises(FormatError, match="notice"):
        make_ballot("asm-1", "not a digest", ROOT, "M-1", {})
    ballot = make_ballot("asm-1", NOTICE, ROOT, "M-1", {})
    assert ballot["notice"] == NOTICE
    assert ballot["v"] == 2


def test_choice_problems():
    assert choice_problems({"q1": "agree", "q2": ["c1", "c2"], "q3": []}, ITEMS) == []
    assert choice_problems({"q9": "agree"}, ITEMS) == ["choice for unknown item 'q9'"]
    assert choice_problems({"q2": ["c1", "c2", "c3"]}, ITEMS)  # more marks than seats
    assert choice_problems({"q2": ["c1", "c1"]}, ITEMS)
    assert choice_problems({"q3": ["f9"]}, ITEMS)
    # A paper ballot may be spoiled on an item (废票): only unknown items are wrong then.
    assert choice_problems({"q2": ["c1", "c2", "c3"]}, ITEMS, strict=False) == []


def test_roll_entries_root_and_supervisor_threshold():
    keys = [generate_p256(), generate_ed25519()]
    entries = [roll_entry("M-B", 8950, 1, [keys[0].jwk]), roll_entry("M-A", "120.00", 1, [keys[1].jwk, keys[0].jwk])]
    assert entries[0]["area"] == "89.50"
    with pytest.raises(FormatError, match="order"):
        roll_root(entries)
    entries.sort(key=lambda e: e["member"])
    root = roll_root(entries)
    assert len(root) == 32
    payload = roll_payload("estate", "roll-1", root, 2, "209.50", 2, 0, 2)
    assert payload["required_signatures"] == 2
    assert payload["v"] == 2
    sups = [generate_p256(), generate_ed25519(), generate_p256()]
    trusted = {s.kid: s.jwk for s in sups}
    sigs = [sign_payload(s, payload) for s in sups[:2]]
    assert sorted(verify_threshold(payload, sigs, trusted, 2)) == sorted(s.kid for s in sups[:2])
    with pytest.raises(ThresholdNotMet):
        verify_threshold(payload, sigs[:1], trusted, 2)
    with pytest.raises(SignatureInvalid, match="more than once"):
        verify_threshold(payload, sigs[:1] + sigs[:1], trusted, 1)  # one supervisor signs once
    with pytest.raises(SignatureInvalid):
        verify_threshold({**payload, "required_signatures": 1}, sigs, trusted, 1)  # the requirement is signed
    with pytest.raises(SignatureInvalid):
        verify_threshold({**payload, "heads": 3}, sigs, trusted, 1)
    with pytest.raises(SignatureInvalid):
        verify_threshold(payload, [sign_payload(generate_p256(), payload)], trusted, 1)
    cert = certification_payload("asm", NOTICE, root.hex(), 5, b"\0" * 32, "ff" * 32)
    assert cert["log_root"] == "00" * 32
    assert cert["notice"] == NOTICE
    assert cert["v"] == 2


def test_a_proxy_key_sits_beside_the_voting_key_in_one_entry():
    owner, proxy = generate_p256(), generate_p256()
    entry = roll_entry("M-A", 8950, 1, [owner.jwk], [proxy.jwk])
    uses = {k["use"] for k in entry["keys"]}
    assert uses == {"vote", "proxy"}
    with pytest.raises(FormatError, match="proxy"):
        roll_root([{**entry, "keys": [{"use": "admin", "jwk": owner.jwk}]}])


def test_areas_are_decimal_strings():
    assert format_area(0) == "0.00"
    assert format_area(123456) == "1234.56"
    assert parse_area("89.50") == 8950
    for bad in ("89.5", "089.50", "-1.00", "1e2", 89.5, "89.500"):
        with pytest.raises(FormatError):
            parse_area(bad)


def test_pseudonyms_are_stable_keyed_and_scoped():
    a = pseudonymous_member_id(b"secret", "estate", "roll-1", "unit-1")
    assert a == pseudonymous_member_id(b"secret", "estate", "roll-1", "unit-1")
    assert a != pseudonymous_member_id(b"other", "estate", "roll-1", "unit-1")
    assert a != pseudonymous_member_id(b"secret", "estate", "roll-2", "unit-1")
    assert a.startswith("M-")
    assert len(a) == 18


def test_tree_heads_and_receipts():
    server = generate_ed25519()
    log = MerkleLog()
    leaves = [entry_leaf_hash(sign_ballot(generate_p256(), make_ballot("asm", NOTICE, ROOT, f"M-{i}", {}))) for i in range(9)]
    log.extend_leaf_hashes(leaves)
    sth = sign_tree_head(server, "asm", 9, log.root(), 1_700_000_000_000, n=3, notice=NOTICE, audit=(12, "ee" * 32))
    head = verify_tree_head(sth, server.jwk, "asm")
    assert (head.size, head.n, head.notice, head.audit, head.final) == (9, 3, NOTICE, (12, "ee" * 32), False)
    for change in ({"size": 8}, {"n": 2}, {"notice": "00" * 32}, {"audit": None}, {"final": True}):
        with pytest.raises(SignatureInvalid):
            verify_tree_head({**sth, **change}, server.jwk)
    with pytest.raises(FormatError, match="unexpected"):
        verify_tree_head({**sth, "extra": 1}, server.jwk)
    with pytest.raises(FormatError):
        verify_tree_head(sth, server.jwk, "another-log")
    with pytest.raises(SignatureInvalid):
        verify_tree_head(sth, generate_ed25519().jwk)
    receipt = make_receipt(sth, 4, leaves[4], log.inclusion_proof(4))
    json.dumps(receipt)  # serialisable as it is
    assert verify_receipt(receipt, server.jwk, "asm").code == tracking_code(leaves[4])
    with pytest.raises(ProofInvalid):
        verify_receipt({**receipt, "leaf_hash": leaves[5].hex(), "code": tracking_code(leaves[5])}, server.jwk)
    with pytest.raises(FormatError):
        verify_receipt({**receipt, "code": tracking_code(leaves[5])}, server.jwk)


def test_tracking_codes():
    code = tracking_code(bytes(range(32)))
    assert len(code) == 14
    assert code.count("-") == 2
    assert normalize_tracking_code(code.lower().replace("-", " ")) == code
    assert normalize_tracking_code("oooo-iiii-llll") == "0000-1111-1111"
    with pytest.raises(FormatError):
        normalize_tracking_code("ABCD-EFGH-JKL")
    with pytest.raises(FormatError):
        normalize_tracking_code("ABCD-EFGH-JKLU")  # U is not Crockford
