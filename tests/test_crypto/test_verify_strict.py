"""Issue 17 item 7: `ownersvote verify` refuses what docs/bundle-format.md forbids.

Each change below was accepted by the reference verifier although the format forbids it; each
test fails on the verifier before the fix.  tests/test_crypto/test_js_verifier.py runs the same
changes through the browser's verifier.
"""

from __future__ import annotations

import copy
import json

import pytest

from crypto import bundle as bundle_mod
from crypto.canonical import canonical_json
from crypto.merkle import MerkleLog, leaf_hash
from crypto.notice import notice_digest
from crypto.roll import certification_payload, sign_payload, tally_digest
from crypto.testbundle import generate
from crypto.treehead import sign_tree_head
from crypto.verify import verify_bundle, verify_roll


@pytest.fixture(scope="module")
def gen():
    return generate(12, 4, seed=31, receipts=0)


def failures(bundle, **kw):
    return verify_bundle(bundle, jobs=1, **kw).failures


def named(bundle, check, words, **kw):
    found = failures(bundle, **kw)
    assert any(c == check and words in m for c, m in found), found
    return found


def test_the_generated_bundle_passes(gen):
    assert failures(gen.bundle) == []


def test_upper_case_hex_in_a_consistency_proof_is_refused(gen):
    b = copy.deepcopy(gen.bundle)
    record = next(r for r in b["log"]["tree_heads"] if r["consistency_to_final"])
    record["consistency_to_final"][0] = record["consistency_to_final"][0].upper()
    named(b, "consistency", "lowercase hexadecimal")


def test_true_for_a_log_index_is_refused(gen):
    b = copy.deepcopy(gen.bundle)
    b["log"]["entries"][1]["index"] = True
    named(b, "format", "says index true")


def test_false_for_a_log_index_is_refused(gen):
    b = copy.deepcopy(gen.bundle)
    b["log"]["entries"][0]["index"] = False
    named(b, "format", "says index false")


@pytest.mark.parametrize("name", ["size", "heads"])
def test_a_boolean_for_the_rolls_size_or_heads_is_refused(name):
    # A roll of one member with one head: true == 1 in Python.
    one = generate(1, 1, seed=5, receipts=0)
    b = copy.deepcopy(one.bundle)
    assert b["roll"][name] == 1
    b["roll"][name] = True
    named(b, "roll", f"roll {name}: the bundle says true")


def test_extra_members_in_the_server_keys_jwk_are_refused(gen):
    b = copy.deepcopy(gen.bundle)
    b["log"]["server_keys"][0]["jwk"]["use"] = "sig"
    named(b, "tree-head", "only its required members")


def test_a_supervisor_key_that_signs_nothing_is_refused(gen):
    from crypto.keys import generate_ed25519

    b = copy.deepcopy(gen.bundle)
    idle = bundle_mod.supervisor_record(generate_ed25519().jwk)
    b["supervisors"] = bundle_mod.by_kid([*b["supervisors"], idle])
    named(b, "supervisors", f"supervisor key {idle['kid']} is listed but signs nothing")


def test_a_published_roll_listing_a_key_that_signs_nothing_is_refused(gen):
    b = gen.bundle
    signers = {s["kid"] for s in b["roll"]["signatures"]}
    document = {
        "format": "ownersvote-roll",
        "version": 2,
        "estate": {"id": b["estate"]["id"]},
        "supervisors": b["supervisors"],
        "roll": b["roll"],
    }
    report = verify_roll(document)
    idle = [s["kid"] for s in b["supervisors"] if s["kid"] not in signers]
    assert idle, "the generated bundle has a supervisor who certified but did not sign the roll"
    assert any(c == "supervisors" and idle[0] in m and "signs nothing" in m for c, m in report.failures), report.failures
    document["supervisors"] = [s for s in b["supervisors"] if s["kid"] in signers]
    assert verify_roll(document).ok


def test_the_supervisor_list_reordered_is_refused(gen):
    b = copy.deepcopy(gen.bundle)
    b["supervisors"].reverse()
    named(b, "supervisors", "key-id order")


@pytest.mark.parametrize("section", ["roll", "certification"])
def test_a_signature_list_reordered_is_refused(gen, section):
    b = copy.deepcopy(gen.bundle)
    assert len(b[section]["signatures"]) == 2
    b[section]["signatures"].reverse()
    named(b, "roll-signatures" if section == "roll" else "certification", f"{section}.signatures must be listed in key-id order")


def _certify_all(gen, b):
    final = b["log"]["tree_heads"][-1]["sth"]
    payload = certification_payload(
        b["assembly"]["id"], notice_digest(b["notice"]), b["roll"]["root"], final["size"], final["root"], tally_digest(b["tally"])
    )
    return bundle_mod.by_kid(sign_payload(s, payload) for s in gen.supervisors)


def test_a_bundle_carries_exactly_the_certifications_made_never_a_surplus(gen):
    """The server takes certifications until the notice's requirement is met and no more, so
    every certification made is in the bundle; a third one (with 2 required) could not have
    been made, and is what would let one be dropped unnoticed."""
    b = copy.deepcopy(gen.bundle)
    b["certification"]["signatures"] = _certify_all(gen, b)
    assert len(b["certification"]["signatures"]) == 3
    named(b, "certification", "carries 3 certifications")


def test_dropping_a_certification_fails(gen):
    b = copy.deepcopy(gen.bundle)
    b["certification"]["signatures"] = b["certification"]["signatures"][:1]
    named(b, "certification", "1 valid certification(s), 2 required")


def _high_s(sig_b64: str) -> str:
    from crypto.encoding import b64url_decode, b64url_encode
    from crypto.keys import P256_ORDER

    raw = b64url_decode(sig_b64)
    r, s = int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")
    return b64url_encode(r.to_bytes(32, "big") + (P256_ORDER - s).to_bytes(32, "big"))


def _reseal(gen, b):
    """A dishonest server's re-signing of the log's heads and the certification over a changed log."""
    log = MerkleLog()
    for e in b["log"]["entries"]:
        log.append_leaf_hash(leaf_hash(canonical_json({k: v for k, v in e.items() if k != "index"})))
    old = b["log"]["tree_heads"][-1]["sth"]
    final = sign_tree_head(
        gen.server,
        old["log"],
        log.size,
        log.root(),
        old["timestamp"],
        n=0,
        notice=old["notice"],
        audit=(old["audit"]["seq"], old["audit"]["hash"]),
        final=True,
    )
    b["log"]["tree_heads"] = [bundle_mod.tree_head_record(final, [])]
    payload = certification_payload(b["assembly"]["id"], old["notice"], b["roll"]["root"], log.size, log.root(), tally_digest(b["tally"]))
    b["certification"]["signatures"] = bundle_mod.by_kid(sign_payload(s, payload) for s in gen.supervisors[1:])
    return b


@pytest.mark.parametrize("replace", [False, True])
def test_the_same_ballot_bytes_with_a_second_valid_signature_are_a_repeat(replace):
    """ECDSA signs the same bytes many ways (and r, n−s is valid whenever r, s is): the same
    ballot again under another signature is a repeat of that ballot, not a second ballot."""
    g = generate(12, 2, seed=41, receipts=0, replace_allowed=replace) if replace else generate(12, 2, seed=41, receipts=0)
    b = copy.deepcopy(g.bundle)
    i = next(k for k, e in enumerate(b["log"]["entries"]) if e["kind"] == "online")
    entry = b["log"]["entries"][i]
    again = {**{k: v for k, v in entry.items() if k != "index"}, "sig": _high_s(entry["sig"])}
    assert again["sig"] != entry["sig"]
    b["log"]["entries"].append({"index": len(b["log"]["entries"]), **again})
    _reseal(g, b)
    named(b, "duplicate-ballot", f"repeats the ballot of log entry {i} with another signature")


def test_a_tree_head_signed_before_the_opening_is_refused(gen):
    b = copy.deepcopy(gen.bundle)
    first = b["log"]["tree_heads"][0]["sth"]
    early = sign_tree_head(
        gen.server,
        first["log"],
        first["size"],
        bytes.fromhex(first["root"]),
        b["notice"]["opens"] - 1,
        n=first["n"],
        notice=first["notice"],
        audit=(first["audit"]["seq"], first["audit"]["hash"]),
    )
    b["log"]["tree_heads"][0]["sth"] = early
    named(b, "tree-head", "before voting opened")


def test_an_altered_reason_stating_the_wrong_result_fails(gen):
    b = copy.deepcopy(gen.bundle)
    item_id, item = next(iter(b["tally"]["items"].items()))
    reason = item["reason"]
    flipped = reason["en"].replace("Result: passed", "Result: not passed") if item["passed"] else reason["en"] + " Result: passed."
    reason["en"] = flipped
    found = named(b, "tally", f"tally.items.{item_id}.reason.en")
    assert {c for c, _ in found} == {"tally"}  # the certified digest leaves the reasons out


# --- the browser's verifier agrees on each -------------------------------------------------


def _idle_supervisor(g, b):
    from crypto.keys import ed25519_from_seed

    b["supervisors"] = bundle_mod.by_kid([*b["supervisors"], bundle_mod.supervisor_record(ed25519_from_seed(b"\x07" * 32).jwk)])


def _upper_hex(g, b):
    record = next(r for r in b["log"]["tree_heads"] if r["consistency_to_final"])
    record["consistency_to_final"][0] = record["consistency_to_final"][0].upper()


def _surplus_certification(g, b):
    b["certification"]["signatures"] = _certify_all(g, b)


def _repeat_with_another_signature(g, b):
    i = next(k for k, e in enumerate(b["log"]["entries"]) if e["kind"] == "online")
    entry = {k: v for k, v in b["log"]["entries"][i].items() if k != "index"}
    b["log"]["entries"].append({"index": len(b["log"]["entries"]), **entry, "sig": _high_s(entry["sig"])})
    _reseal(g, b)


def _head_before_opening(g, b):
    first = b["log"]["tree_heads"][0]["sth"]
    b["log"]["tree_heads"][0]["sth"] = sign_tree_head(
        g.server,
        first["log"],
        first["size"],
        bytes.fromhex(first["root"]),
        b["notice"]["opens"] - 1,
        n=first["n"],
        notice=first["notice"],
        audit=(first["audit"]["seq"], first["audit"]["hash"]),
    )


def _wrong_result_in_a_reason(g, b):
    item = next(iter(b["tally"]["items"].values()))
    reason = item["reason"]
    reason["en"] = reason["en"].replace("Result: passed", "Result: not passed") if item["passed"] else reason["en"] + " Result: passed."


def _set_leaf(*path, value):
    def change(g, b):
        target = b
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


def _reverse(*path):
    def change(g, b):
        target = b
        for key in path:
            target = target[key]
        target.reverse()

    return change


# (name, bundle ("gen", "one" or "replace"), change, a check each verifier must name: reference, JS)
FORBIDDEN = [
    ("upper-case-hex-in-a-consistency-proof", "gen", _upper_hex, "consistency", "tree_heads"),
    ("true-for-a-log-index", "gen", _set_leaf("log", "entries", 1, "index", value=True), "format", "ballot"),
    ("false-for-a-log-index", "gen", _set_leaf("log", "entries", 0, "index", value=False), "format", "ballot"),
    ("true-for-the-rolls-size", "one", _set_leaf("roll", "size", value=True), "roll", "roll"),
    ("true-for-the-rolls-heads", "one", _set_leaf("roll", "heads", value=True), "roll", "roll"),
    ("extra-member-in-the-server-jwk", "gen", _set_leaf("log", "server_keys", 0, "jwk", "use", value="sig"), "tree-head", "server_key"),
    ("supervisor-key-signing-nothing", "gen", _idle_supervisor, "supervisors", "supervisors"),
    ("supervisors-reordered", "gen", _reverse("supervisors"), "supervisors", "supervisors"),
    ("roll-signatures-reordered", "gen", _reverse("roll", "signatures"), "roll-signatures", "roll"),
    ("certifications-reordered", "gen", _reverse("certification", "signatures"), "certification", "certification"),
    ("a-surplus-certification", "gen", _surplus_certification, "certification", "certification"),
    ("same-ballot-bytes-second-signature", "gen", _repeat_with_another_signature, "duplicate-ballot", "counting"),
    ("same-ballot-bytes-second-signature-replacing", "replace", _repeat_with_another_signature, "duplicate-ballot", "counting"),
    ("tree-head-before-the-opening", "gen", _head_before_opening, "tree-head", "tree_heads"),
    ("wrong-result-in-a-reason", "gen", _wrong_result_in_a_reason, "tally", "tally"),
]


def _resolved_by(value):
    """Re-enter a paper ballot as decided by a supervisor (the server signs paper ballots)."""

    def change(g, b):
        from crypto.ballot import parse_ballot

        i = next(k for k, e in enumerate(b["log"]["entries"]) if e["kind"] == "paper")
        ballot = parse_ballot(b["log"]["entries"][i]["ballot"])
        ballot["paper"]["resolved_by"] = value
        data = canonical_json(ballot).decode("utf-8")
        b["log"]["entries"][i] = {"index": i, "kind": "paper", "ballot": data, "kid": g.server.kid, "sig": g.server.sign_b64(data.encode())}
        _reseal(g, b)

    return change


FORBIDDEN += [
    ("resolved-by-an-empty-name", "gen", _resolved_by(""), "ballot-form", "ballot"),
    ("resolved-by-a-key-object", "gen", _resolved_by({"kid": "x"}), "ballot-form", "ballot"),
]

# Changes the format allows: both verifiers accept them.
ALLOWED = [
    ("resolved-by-a-supervisor-account", "gen", _resolved_by("supervisor2")),
]


@pytest.fixture(scope="module")
def bases(gen):
    return {"gen": gen, "one": generate(1, 1, seed=5), "replace": generate(12, 2, seed=41, replace_allowed=True)}


@pytest.fixture(scope="module")
def js_verdicts(bases, tmp_path_factory):
    from tests.test_crypto.test_js_verifier import NODE, js_verify

    if NODE is None:
        pytest.skip("node is not on PATH (CI runs these)")
    directory = tmp_path_factory.mktemp("forbidden")
    jobs = []
    table = [("untouched-gen", "gen", lambda g, b: None), *(f[:3] for f in FORBIDDEN), *ALLOWED]
    for name, base, change in table:
        g = bases[base]
        b = copy.deepcopy(g.bundle)
        change(g, b)
        path = directory / f"{name}.json"
        path.write_text(json.dumps(b, ensure_ascii=False), encoding="utf-8")
        jobs.append({"path": str(path)})
    names = [t[0] for t in table]
    return dict(zip(names, js_verify(NODE, jobs), strict=True))


@pytest.mark.parametrize(("name", "base", "change", "check", "js_check"), FORBIDDEN, ids=[f[0] for f in FORBIDDEN])
def test_what_the_format_forbids_fails_the_reference_verifier(bases, name, base, change, check, js_check):
    g = bases[base]
    b = copy.deepcopy(g.bundle)
    assert verify_bundle(b, jobs=1).ok
    change(g, b)
    assert check in {c for c, _ in failures(b)}, failures(b)


@pytest.mark.parametrize(("name", "base", "change", "check", "js_check"), FORBIDDEN, ids=[f[0] for f in FORBIDDEN])
def test_what_the_format_forbids_fails_the_browser_verifier(js_verdicts, name, base, change, check, js_check):
    assert js_verdicts["untouched-gen"]["ok"], js_verdicts["untouched-gen"]
    report = js_verdicts[name]
    assert not report["ok"]
    assert js_check in {f["check"] for f in report["failures"]}, report["failures"]


# --- what a second implementation had to guess, now specified ------------------------------


@pytest.mark.parametrize(("name", "base", "change"), ALLOWED, ids=[a[0] for a in ALLOWED])
def test_what_the_format_allows_passes_the_reference_verifier(bases, name, base, change):
    g = bases[base]
    b = copy.deepcopy(g.bundle)
    change(g, b)
    assert failures(b) == []


@pytest.mark.parametrize(("name", "base", "change"), ALLOWED, ids=[a[0] for a in ALLOWED])
def test_what_the_format_allows_passes_the_browser_verifier(js_verdicts, name, base, change):
    assert js_verdicts[name]["ok"], js_verdicts[name]["failures"]


def _one_of_case(marks):
    """A selection: member m0 has 0 m² and 0 heads; the others 50 m² and one head each."""
    members = [{"id": "m0", "area": "0", "heads": 0}] + [{"id": f"m{k}", "area": "50.00", "heads": 1} for k in range(1, 5)]
    return {
        "members": members,
        "items": [{"id": "s", "category": 4, "kind": "selection", "options": ["f1", "f2", "f3"]}],
        "ballots": [{"member": m, "choices": {"s": c}} for m, c in marks.items()],
    }


CLOSEST_CASES = [
    # only the weightless member marks f1: f1 has no votes, so nothing is closest
    ({"m0": ["f1"], "m1": [], "m2": [], "m3": []}, None, None),
    # f1 weightless, f2 one owner: f2 is closest (f1 is not in a tie with anything)
    ({"m0": ["f1"], "m1": ["f2"], "m2": [], "m3": []}, "f2", None),
    # f2 and f3 one owner each, f1 weightless: a tie between f2 and f3 only
    ({"m0": ["f1"], "m1": ["f2"], "m2": ["f3"], "m3": []}, None, ["f2", "f3"]),
]


@pytest.mark.parametrize(("marks", "closest", "tie"), CLOSEST_CASES)
def test_an_option_marked_only_by_weightless_members_has_no_votes(marks, closest, tie):
    import tally

    out = tally.tally_document(_one_of_case(marks))["items"]["s"]
    assert (out["winner"], out["closest"], out["closest_tie"]) == (None, closest, tie)


def test_the_browser_engine_agrees_on_weightless_marks_and_pending_alternates(tmp_path):
    import random
    import subprocess

    import tally
    from tests.test_crypto.test_js_verifier import NODE, VERIFIER_JS, _election_case

    if NODE is None:
        pytest.skip("node is not on PATH (CI runs these)")
    cases = [_one_of_case(m) for m, _, _ in CLOSEST_CASES]
    r = random.Random(17)
    cases += [_election_case(r) for _ in range(300)]
    wants = [tally.tally_document(c) for c in cases]
    path = tmp_path / "cases.json"
    path.write_text(json.dumps([{"input": c, "want": w} for c, w in zip(cases, wants, strict=True)]), encoding="utf-8")
    script = """
    const V = require(process.argv[1]);
    const cases = JSON.parse(require("fs").readFileSync(process.argv[2], "utf8"));
    const bad = cases.map((c, i) => V.canonicalize(V.computeTally(c.input)) === V.canonicalize(c.want) ? -1 : i).filter((i) => i >= 0);
    process.stdout.write(JSON.stringify(bad));
    """
    done = subprocess.run([NODE, "-e", script, str(VERIFIER_JS), str(path)], capture_output=True, text=True, timeout=300, check=True)
    assert json.loads(done.stdout) == []


def test_pending_alternates_follow_the_documented_formula():
    """alternates_pending = min(rules.alternates, len(tie) − tied_seats) when the last seats are
    tied, else 0 (docs/tally-format.md, Election)."""
    import random

    import tally
    from tests.test_crypto.test_js_verifier import _election_case

    r = random.Random(23)
    seen_pending = 0
    for _ in range(400):
        case = _election_case(r)
        out = tally.tally_document(case)["items"]["e"]
        wanted = case["rules"]["alternates"]
        expected = min(wanted, len(out["tie"]) - out["tied_seats"]) if out["tie"] else 0
        assert out["alternates_pending"] == expected, (case, out)
        assert out["alternates_wanted"] == wanted
        seen_pending += out["alternates_pending"] > 0
    assert seen_pending > 5
