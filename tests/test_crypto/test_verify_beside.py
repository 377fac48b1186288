"""The verifier's faster paths give the verdicts of the plain ones.

With a pool the main process reads the ballots and recomputes the tally while the workers check
signatures (crypto.verify._speculate); the result is used only when the checks count exactly
the ballots it assumed.  The canonical parser, the Merkle log, base64url and key ids have quick
paths too; each is held here to the plain way.
"""

from __future__ import annotations

import copy
import json
import os
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import crypto.verify as verify_module
from crypto import canonical
from crypto.canonical import CanonicalJSONError, canonical_json_of_checked, loads, parse_canonical
from crypto.keys import generate_ed25519, generate_p256, jwk_thumbprint
from crypto.merkle import MerkleLog, leaf_hash, root_of
from crypto.testbundle import generate
from crypto.verify import verify_bundle


def verdict(bundle, *, pool: bool, monkeypatch) -> tuple[list, dict]:
    """Failures and facts (without timings), through the pool of two workers or in one process."""
    with monkeypatch.context() as m:
        if pool:
            m.setattr(verify_module, "PARALLEL_THRESHOLD", 0)
            m.setattr(verify_module, "CHUNK", 7)  # many tasks, as with a large bundle
        report = verify_bundle(copy.deepcopy(bundle), jobs=2 if pool else 1)
    facts = {k: v for k, v in report.facts.items() if k != "timings"}
    return report.failures, facts


def recounts(bundle, monkeypatch) -> int:
    calls = []
    real = verify_module._recount

    def counting(*args):
        calls.append(1)
        return real(*args)

    with monkeypatch.context() as m:
        m.setattr(verify_module, "_recount", counting)
        m.setattr(verify_module, "PARALLEL_THRESHOLD", 0)
        verify_bundle(copy.deepcopy(bundle), jobs=2)
    return len(calls)


@pytest.fixture(scope="module")
def plain():
    return generate(48, 4, seed=21).bundle


@pytest.fixture(scope="module")
def replacing():
    return generate(48, 4, seed=22, replace_allowed=True).bundle


def online(bundle, nth=0):
    return [i for i, e in enumerate(bundle["log"]["entries"]) if e["kind"] == "online"][nth]


def broken_signature(bundle):
    b = copy.deepcopy(bundle)
    entry = b["log"]["entries"][online(b, 2)]
    entry["sig"] = ("B" if entry["sig"][0] != "B" else "C") + entry["sig"][1:]
    return b


def spaced_ballot(bundle):
    """A ballot any JSON parser reads, but not in canonical form: it never counts."""
    b = copy.deepcopy(bundle)
    entry = b["log"]["entries"][online(b, 3)]
    entry["ballot"] = entry["ballot"].replace(",", ", ", 1)
    return b


def repeated_ballot(bundle):
    b = copy.deepcopy(bundle)
    entries = b["log"]["entries"]
    entries[online(b, 4)]["ballot"] = entries[online(b, 5)]["ballot"]
    return b


@pytest.mark.parametrize("change", [None, broken_signature, spaced_ballot, repeated_ballot])
@pytest.mark.parametrize("which", ["plain", "replacing"])
def test_the_pool_and_one_process_reach_the_same_verdict(which, change, request, monkeypatch):
    bundle = request.getfixturevalue(which)
    if change is not None:
        bundle = change(bundle)
    in_pool = verdict(bundle, pool=True, monkeypatch=monkeypatch)
    alone = verdict(bundle, pool=False, monkeypatch=monkeypatch)
    assert in_pool == alone
    failures, facts = in_pool
    if change is None:
        assert failures == []
        assert facts["tally"] == bundle["tally"]
    else:
        assert failures


def test_the_tally_beside_the_pool_is_used_when_every_ballot_counts(plain, replacing, monkeypatch):
    assert recounts(plain, monkeypatch) == 1
    assert recounts(replacing, monkeypatch) == 1


# A repeated ballot counts for neither: the copy's signature is not over it, and the original is
# then the repeat of an entry before it.
@pytest.mark.parametrize(("change", "fewer"), [(broken_signature, 1), (spaced_ballot, 1), (repeated_ballot, 2)])
def test_a_ballot_that_does_not_count_makes_the_tally_be_counted_again(plain, change, fewer, monkeypatch):
    bundle = change(plain)
    assert recounts(bundle, monkeypatch) == 2
    failures, facts = verdict(bundle, pool=True, monkeypatch=monkeypatch)
    assert facts["counted"] == verdict(plain, pool=True, monkeypatch=monkeypatch)[1]["counted"] - fewer
    assert "tally" in {check for check, _ in failures}  # the bundle's tally counted that ballot


# --- the quick paths of the building blocks ----------------------------------------------------

JSON_TEXT = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**60), 2**60),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(max_size=6),
    ),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=3), inner, max_size=3)),
    max_leaves=8,
)


def strict_reading(raw: bytes):
    """What parse_canonical said before its quick path: the strict parser, then the comparison."""
    try:
        value = loads(raw)
        if canonical_json_of_checked(value) != raw:
            raise CanonicalJSONError("JSON text is not in RFC 8785 canonical form")
    except CanonicalJSONError as exc:
        return "refused", str(exc)
    return "read", value


def reading(raw: bytes):
    try:
        return "read", parse_canonical(raw)
    except CanonicalJSONError as exc:
        return "refused", str(exc)


@settings(max_examples=400, deadline=None)
@given(JSON_TEXT, st.sampled_from(["canonical", "spaced", "repeated", "escaped"]))
def test_the_canonical_parser_reads_and_refuses_as_the_strict_one(value, how):
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    if how == "spaced":
        text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    elif how == "repeated" and text.startswith("{") and text != "{}":
        text = text[:-1] + "," + text[1:]  # every member twice
    elif how == "escaped":
        text = json.dumps(value, ensure_ascii=True, sort_keys=True, separators=(",", ":"))
    try:
        raw = text.encode("utf-8")
    except UnicodeEncodeError:
        return
    assert reading(raw) == strict_reading(raw)


@pytest.mark.parametrize(
    "raw",
    [b'{"a":1,"a":2}', b'{"a":1.5}', b'{"a":9007199254740992}', b'{"a":NaN}', b"\xef\xbb\xbf{}", b'{"a":"\xff"}', b"[1] ", b"[-0]"],
)
def test_what_the_strict_parser_refuses_the_quick_path_refuses_in_the_same_words(raw):
    assert reading(raw) == strict_reading(raw)
    assert reading(raw)[0] == "refused"


@pytest.mark.parametrize(
    "raw",
    [
        b'{"a":1000000000000000}',  # sixteen digits, yet safe: the strict path reads it
        b'{"a":-9007199254740991}',
        '{"a":"\u00e9\u4e2d"}'.encode(),
        '{"\U00010000":1,"\uffff":2}'.encode(),  # UTF-16 order, not code-point order
        b'{"a":null,"b":[true,false,0,-1]}',
        b"null",
    ],
)
def test_the_quick_path_reads_what_the_strict_parser_reads(raw):
    assert reading(raw) == strict_reading(raw)
    assert reading(raw)[0] == "read"


def test_the_quick_path_is_the_one_taken_for_a_canonical_text(monkeypatch):
    def no_strict(*args, **kwargs):
        raise AssertionError("the strict parser ran")

    monkeypatch.setattr(canonical, "loads", no_strict)
    assert parse_canonical(b'{"choices":{"q1":"agree"},"v":2}') == {"choices": {"q1": "agree"}, "v": 2}


@pytest.mark.parametrize("size", [*range(0, 70), 1023, 1024, 1025, 3001])
def test_a_log_filled_at_once_equals_one_filled_leaf_by_leaf(size):
    leaves = [leaf_hash(os.urandom(8)) for _ in range(size)]
    at_once, one_by_one = MerkleLog(), MerkleLog()
    at_once.extend_leaf_hashes(leaves)
    for leaf in leaves:
        one_by_one.append_leaf_hash(leaf)
    assert at_once.state == one_by_one.state
    assert at_once.store._nodes == one_by_one.store._nodes
    assert root_of(leaves) == one_by_one.root()
    if size > 3:
        k = random.Random(size).randrange(1, size)
        assert at_once.root(k) == one_by_one.root(k)
        assert at_once.inclusion_proof(k - 1) == one_by_one.inclusion_proof(k - 1)
        assert at_once.consistency_proof(k) == one_by_one.consistency_proof(k)


def test_a_remembered_key_id_is_the_key_id():
    for signer in (generate_p256(), generate_ed25519()):
        assert jwk_thumbprint(dict(signer.jwk)) == signer.kid
        assert jwk_thumbprint(dict(signer.jwk)) == signer.kid  # the second time from the table

    class Odd(str):
        pass

    jwk = generate_p256().jwk
    odd = {**jwk, "x": Odd(jwk["x"])}
    assert jwk_thumbprint(odd) == jwk_thumbprint(jwk)  # same text, computed, not remembered
