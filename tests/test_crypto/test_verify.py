"""The verifier end to end: valid bundles pass; each kind of tampering fails, named."""
from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest

import tally as tally_engine
from crypto import bundle as bundle_mod
from crypto.ballot import make_ballot, sign_ballot
from crypto.merkle import MerkleLog, leaf_hash
from crypto.roll import certification_payload, sign_payload, tally_digest
from crypto.canonical import canonical_json
from crypto.testbundle import generate, main as make_test_bundle
from crypto.treehead import sign_tree_head
from crypto.verify import main as verify_main, verify_bundle

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def gen():
    return generate(40, 4, seed=11, receipts=3)


def run(tmp_path, bundle, receipts=(), capsys=None, extra=()):
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle, ensure_ascii=False), encoding="utf-8")
    args = [str(path)]
    for n, r in enumerate(receipts):
        rp = tmp_path / f"receipt-{n}.json"
        rp.write_text(json.dumps(r), encoding="utf-8")
        args += ["--receipt", str(rp)]
    rc = verify_main(args + list(extra))
    out = capsys.readouterr().out if capsys else ""
    return rc, out


def failed_checks(bundle, receipts=()):
    report = verify_bundle(bundle, [(f"receipt {n}", r) for n, r in enumerate(receipts)])
    return {check for check, _ in report.failures}, report


def online_index(bundle, nth=0):
    return [i for i, e in enumerate(bundle["log"]["entries"]) if e["kind"] == "online"][nth]


def reseal(gen, bundle, keep_checkpoints=True):
    """Do what a dishonest server could: rebuild the log's final tree head with the server key,
    recompute the tally and have the supervisors' keys certify it (the test holds every key)."""
    log = MerkleLog()
    for e in bundle["log"]["entries"]:
        log.append_leaf_hash(leaf_hash(canonical_json({k: v for k, v in e.items() if k != "index"})))
    n = log.size
    final = sign_tree_head(gen.server, bundle["log"]["id"], n, log.root(), bundle["log"]["tree_heads"][-1]["sth"]["timestamp"])
    heads = bundle["log"]["tree_heads"][:-1] if keep_checkpoints else []
    bundle["log"]["tree_heads"] = heads + [bundle_mod.tree_head_record(final, [])]
    counted = {}
    for e in bundle["log"]["entries"]:
        b = json.loads(e["ballot"])
        counted.setdefault(b["member"], b["choices"])
    bundle["tally"] = tally_engine.tally_document(bundle_mod.tally_document(bundle, counted.items()))
    payload = certification_payload(bundle["assembly"]["id"], bundle["roll"]["root"], n, log.root(), tally_digest(bundle["tally"]))
    bundle["certification"]["tally_sha256"] = payload["tally_sha256"]
    bundle["certification"]["signatures"] = [sign_payload(s, payload) for s in gen.supervisors]
    return bundle


# --- valid bundles ---------------------------------------------------------------------------


def test_valid_bundle_with_receipts_passes(tmp_path, gen, capsys):
    rc, out = run(tmp_path, gen.bundle, gen.receipts, capsys)
    assert rc == 0, out
    assert "VERIFIED" in out and "SYNTHETIC" in out
    assert "3 verified" in out
    assert len(out.splitlines()) <= 25  # one screen


def test_bundle_with_replaced_ballots_counts_the_last(tmp_path, capsys):
    g = generate(60, 3, seed=5, replace_allowed=True)
    rc, out = run(tmp_path, g.bundle, capsys=capsys)
    assert rc == 0, out
    assert "replaced ballots not counted" in out


def test_make_test_bundle_cli_is_reproducible(tmp_path, capsys):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    assert make_test_bundle(["--members", "12", "--items", "3", "--out", str(a), "--seed", "3"]) == 0
    assert make_test_bundle(["--members", "12", "--items", "3", "--out", str(b), "--seed", "3"]) == 0
    assert a.read_bytes() == b.read_bytes()
    doc = json.loads(a.read_text(encoding="utf-8"))
    assert doc["synthetic"] is True and doc["format"] == "ownersvote-bundle" and doc["version"] == 1
    assert verify_main([str(a)]) == 0


def test_pinned_keys(tmp_path, gen, capsys):
    rc, _ = run(tmp_path, gen.bundle, capsys=capsys, extra=["--server-key", gen.server.kid])
    assert rc == 0
    rc, out = run(tmp_path, gen.bundle, capsys=capsys, extra=["--server-key", "someone-else"])
    assert rc == 1 and "--server-key" in out
    rc, out = run(tmp_path, gen.bundle, capsys=capsys, extra=["--supervisor-key", gen.supervisors[0].kid])
    assert rc == 1 and "roll-signatures" in out  # one trusted supervisor cannot meet a threshold of two


# --- tampering: each one fails, named ------------------------------------------------------


def test_changed_choice(tmp_path, gen, capsys):
    b = copy.deepcopy(gen.bundle)
    i = online_index(b)
    ballot = json.loads(b["log"]["entries"][i]["ballot"])
    ballot["choices"]["q1"] = "disagree" if ballot["choices"].get("q1") == "agree" else "agree"
    b["log"]["entries"][i]["ballot"] = canonical_json(ballot).decode()
    rc, out = run(tmp_path, b, capsys=capsys)
    assert rc == 1
    assert f"log entry {i} ({ballot['member']})" in out and "[ballot-signature]" in out
    assert "[log-root]" in out


def test_dropped_ballot(tmp_path, gen, capsys):
    b = copy.deepcopy(gen.bundle)
    del b["log"]["entries"][5]
    for n, e in enumerate(b["log"]["entries"]):
        e["index"] = n
    rc, out = run(tmp_path, b, gen.receipts, capsys)
    assert rc == 1
    assert "[log-root]" in out and "[history]" in out and "[tally]" in out


def test_duplicated_ballot(tmp_path, gen, capsys):
    b = copy.deepcopy(gen.bundle)
    i = online_index(b, 2)
    b["log"]["entries"].append({**b["log"]["entries"][i], "index": len(b["log"]["entries"])})
    rc, out = run(tmp_path, b, capsys=capsys)
    assert rc == 1
    assert "[duplicate-ballot]" in out and f"repeats log entry {i}" in out


def test_second_ballot_for_a_member_when_replacing_is_not_allowed(gen):
    b = copy.deepcopy(gen.bundle)
    i = online_index(b)
    first = json.loads(b["log"]["entries"][i]["ballot"])
    signer = gen.member_signer(first["member"])
    again = make_ballot(first["assembly"], first["roll_root"], first["member"], {"q1": "disagree"})
    b["log"]["entries"].append({"index": len(b["log"]["entries"]), **sign_ballot(signer, again)})
    reseal(gen, b)
    checks, report = failed_checks(b)
    assert "duplicate-ballot" in checks
    assert any(first["member"] in m and "does not allow replacing" in m for _, m in report.failures)


def test_altered_area_in_roll(tmp_path, gen, capsys):
    b = copy.deepcopy(gen.bundle)
    entry = b["roll"]["entries"][3]
    entry["area"] = "999.99"
    rc, out = run(tmp_path, b, capsys=capsys)
    assert rc == 1
    assert "[roll]" in out and "Merkle root" in out
    assert "[roll-signatures]" in out and "[tally]" in out


def test_altered_key_in_roll(tmp_path, gen, capsys):
    b = copy.deepcopy(gen.bundle)
    i = online_index(b)
    member = json.loads(b["log"]["entries"][i]["ballot"])["member"]
    entry = next(e for e in b["roll"]["entries"] if e["member"] == member)
    other = next(e for e in b["roll"]["entries"] if e["keys"] and e["member"] != member
                 and e["keys"][0]["jwk"]["kty"] == entry["keys"][0]["jwk"]["kty"])
    entry["keys"][0] = copy.deepcopy(other["keys"][0])  # the organiser swaps in a key they control
    rc, out = run(tmp_path, b, capsys=capsys)
    assert rc == 1
    assert "[roll]" in out and "[roll-signatures]" in out
    assert "[ballot-key]" in out or "[ballot-signature]" in out


def test_altered_tally_number(tmp_path, gen, capsys):
    b = copy.deepcopy(gen.bundle)
    agree = b["tally"]["items"]["q1"]["counts"]["agree"]
    agree["heads"] += 1
    rc, out = run(tmp_path, b, capsys=capsys)
    assert rc == 1
    assert "tally.items.q1.counts.agree.heads: bundle says" in out
    assert "[certification]" in out


def test_replaced_ballot_signature(tmp_path, gen, capsys):
    b = copy.deepcopy(gen.bundle)
    i, j = online_index(b, 0), online_index(b, 1)
    b["log"]["entries"][i]["sig"] = b["log"]["entries"][j]["sig"]
    rc, out = run(tmp_path, b, capsys=capsys)
    assert rc == 1
    assert "[ballot-signature]" in out and f"log entry {i}" in out


def test_replaced_supervisor_signature(tmp_path, gen, capsys):
    b = copy.deepcopy(gen.bundle)
    b["certification"]["signatures"][0]["sig"] = b["roll"]["signatures"][0]["sig"]
    rc, out = run(tmp_path, b, capsys=capsys)
    assert rc == 1
    assert "[certification]" in out and "does not verify" in out


def test_history_rewritten_behind_a_signed_tree_head(tmp_path, gen, capsys):
    """The server, holding its key, rewrites an early ballot (re-signed with the member's own
    key, even) and signs a new final head; the earlier signed heads and receipts expose it."""
    b = copy.deepcopy(gen.bundle)
    i = online_index(b)
    old = json.loads(b["log"]["entries"][i]["ballot"])
    forged = make_ballot(old["assembly"], old["roll_root"], old["member"],
                         {**old["choices"], "q1": "disagree" if old["choices"].get("q1") == "agree" else "agree"})
    b["log"]["entries"][i] = {"index": i, **sign_ballot(gen.member_signer(old["member"]), forged)}
    reseal(gen, b)
    checks, report = failed_checks(b, gen.receipts)
    assert {"history", "consistency", "receipt"} <= checks
    assert not checks & {"ballot-signature", "log-root", "tally", "certification"}
    rc, out = run(tmp_path, b, gen.receipts, capsys)
    assert rc == 1 and "rewritten behind a signed tree head" in out


def test_every_failure_is_named_not_only_the_first(gen):
    b = copy.deepcopy(gen.bundle)
    for nth in range(3):
        b["log"]["entries"][online_index(b, nth)]["sig"] = b["log"]["entries"][online_index(b, 5)]["sig"]
    report = verify_bundle(b)
    assert sum(c == "ballot-signature" for c, _ in report.failures) == 3


@pytest.mark.parametrize("mangle", [
    lambda b: b.update(format="something-else"),
    lambda b: b.update(version=2),
    lambda b: b["roll"].update(entries="nope"),
    lambda b: b["log"]["entries"].append("not an entry"),
    lambda b: b["log"]["entries"][0].update(kind="telepathy"),
    lambda b: b["roll"]["entries"][0].update(heads=-1),
    lambda b: b["supervisors"][0].update(kid="x"),
    lambda b: b["log"].update(tree_heads=[]),
])
def test_malformed_bundles_fail_cleanly(gen, mangle):
    b = copy.deepcopy(gen.bundle)
    mangle(b)
    report = verify_bundle(b)
    assert not report.ok


def test_unreadable_bundle_exits_2(tmp_path, capsys):
    path = tmp_path / "bad.json"
    path.write_text('{"format": "ownersvote-bundle", "format": "x"}')
    assert verify_main([str(path)]) == 2
    assert verify_main([str(tmp_path / "missing.json")]) == 2


def test_parallel_path_agrees_with_serial(gen):
    import crypto.verify as v

    b = copy.deepcopy(gen.bundle)
    b["log"]["entries"][online_index(b)]["sig"] = b["log"]["entries"][online_index(b, 1)]["sig"]
    serial = verify_bundle(b, jobs=1)
    old = v.PARALLEL_THRESHOLD, v.CHUNK
    v.PARALLEL_THRESHOLD, v.CHUNK = 1, 7
    try:
        parallel = verify_bundle(b, jobs=2)
    finally:
        v.PARALLEL_THRESHOLD, v.CHUNK = old
    assert sorted(serial.failures) == sorted(parallel.failures) and serial.failures


# --- runs with crypto's own dependencies only -----------------------------------------------


def test_verifier_runs_without_flask_or_the_web_app(tmp_path, gen):
    """python -I -S with a sys.path of stdlib + crypto + tally + cryptography/rfc8785 (and
    cryptography's cffi): the verifier works, and flask/webapp/sqlalchemy/click never load."""
    import cryptography
    import rfc8785

    site = Path(cryptography.__file__).resolve().parents[1]
    iso = tmp_path / "iso"
    iso.mkdir()
    for name in ("crypto", "tally"):
        (iso / name).symlink_to(ROOT / name)
    for path in [Path(cryptography.__file__).parent, Path(rfc8785.__file__).parent,
                 *site.glob("cffi"), *site.glob("pycparser"), *site.glob("_cffi_backend*")]:
        (iso / path.name).symlink_to(path)
    bundle = tmp_path / "b.json"
    bundle.write_text(json.dumps(gen.bundle), encoding="utf-8")
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import crypto.verify as v; rc = v.main([sys.argv[2]]);"
        "bad = [m for m in ('flask', 'webapp', 'sqlalchemy', 'click') if m in sys.modules];"
        "print('LOADED', bad); sys.exit(rc or (3 if bad else 0))"
    )
    done = subprocess.run([sys.executable, "-I", "-S", "-c", code, str(iso), str(bundle)], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "LOADED []" in done.stdout
    # python -m crypto.verify is the same program.
    done = subprocess.run([sys.executable, "-m", "crypto.verify", str(bundle)], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0 and "VERIFIED" in done.stdout
