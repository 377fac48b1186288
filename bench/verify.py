"""Benchmark: verifying an audit bundle vs a bare loop of its signature checks.

    .venv/bin/python bench/verify.py [--ballots 100000] [--bundle FILE] [--jobs N]

Builds (once, cached in bench/out/) a synthetic bundle with about ``--ballots`` log entries,
then times

* the **bare loop**: for every log entry, the public key built from its JWK and the signature
  verified over the ballot bytes — one core, nothing else (the floor any verifier must pay);
* the **verifier**: ``crypto.verify`` end to end, from reading the file to the last check
  (roll, every ballot's form and signature, Merkle log, tree heads, receipts, the tally
  recomputed, certifications), with its process pool over all cores.

The goal (issue 19) is verifier ≤ 1.0 × bare loop.  The two take turns, and each pair's ratio
is printed: on a shared machine a pair ran under the same load.  Figures go to docs/performance.md.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cryptography.hazmat.primitives import hashes  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec, ed25519  # noqa: E402

from crypto.bundle import load_bundle  # noqa: E402
from crypto.encoding import b64url_decode  # noqa: E402
from crypto.keys import jwk_thumbprint, p1363_to_der  # noqa: E402
from crypto.verify import verify_bundle  # noqa: E402


def bare_work(bundle: dict) -> list[tuple[dict, bytes, str]]:
    """Each log entry's public key (as JWK), signed bytes and signature."""
    keys = {}
    for entry in bundle["roll"]["entries"]:
        for k in entry["keys"]:
            keys[jwk_thumbprint(k["jwk"])] = k["jwk"]
    for server in bundle["log"].get("server_keys") or [bundle["log"]["server_key"]]:
        keys[server["kid"]] = server["jwk"]
    return [(keys[e["kid"]], e["ballot"].encode(), e["sig"]) for e in bundle["log"]["entries"]]


def bare_loop(work: list[tuple[dict, bytes, str]]) -> float:
    """Time just the signature checks of the log, one core, keys built from their JWKs."""
    started = time.perf_counter()
    for jwk, message, sig in work:
        raw = b64url_decode(sig)
        if jwk["kty"] == "OKP":
            ed25519.Ed25519PublicKey.from_public_bytes(b64url_decode(jwk["x"])).verify(raw, message)
        else:
            point = b"\x04" + b64url_decode(jwk["x"]) + b64url_decode(jwk["y"])
            key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
            key.verify(p1363_to_der(raw), message, ec.ECDSA(hashes.SHA256()))
    return time.perf_counter() - started


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def full_verify(path: Path, jobs: int | None) -> tuple[float, dict]:
    # CPU seconds (this process + its workers) are reported beside wall time: on a shared
    # machine the wall time depends on what else runs, the CPU cost does not.
    cpu0 = _cpu()
    started = time.perf_counter()
    bundle = load_bundle(path)
    loaded = time.perf_counter() - started
    report = verify_bundle(bundle, jobs=jobs)
    elapsed = time.perf_counter() - started
    if not report.ok:
        raise SystemExit(f"the benchmark bundle does not verify: {report.failures[:3]}")
    return elapsed, {"cpu_s": round(_cpu() - cpu0, 2), "load": round(loaded, 3), **report.facts["timings"]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ballots", type=int, default=100_000)
    parser.add_argument("--bundle", type=Path, default=None)
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    path = args.bundle
    if path is None:
        # Turnout in synthetic bundles is ~88%: size the roll for the wanted number of ballots.
        members = int(args.ballots / 0.8813)
        path = ROOT / "bench" / "out" / f"bundle-{members}.json"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            started = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "crypto.testbundle", "--members", str(members), "--items", "10", "--out", str(path), "--seed", "7"],
                check=True,
                cwd=ROOT,
            )
            print(f"make-test-bundle --members {members} --items 10: {time.perf_counter() - started:.1f} s")
    bundle = load_bundle(path)
    print(
        f"bundle {path.name}: {len(bundle['roll']['entries'])} members, {len(bundle['log']['entries'])} log entries, "
        f"{path.stat().st_size / 1e6:.0f} MB; {os.cpu_count()} cores"
    )

    # The bare loop and the verifier take turns (bare, verifier, bare, …) so that each pair ran
    # under the same load: on a shared machine the ratio of a pair means more than either time.
    work = bare_work(bundle)
    del bundle
    bare, runs, ratios = [], [], []
    for _ in range(args.repeat):
        b = bare_loop(work)
        t, phases = full_verify(path, args.jobs)
        bare.append(b)
        runs.append(t)
        ratios.append(t / b)
        print(f"  bare loop {b:.2f} s ({b / len(work) * 1e6:.0f} µs per signature), verifier {t:.2f} s: ratio {t / b:.2f}  phases {phases}")
    print(f"bare signature loop (1 core): median {statistics.median(bare):.2f} s  runs {[round(x, 2) for x in bare]}")
    print(
        f"verifier (load + every check, {args.jobs or os.cpu_count()} workers): median {statistics.median(runs):.2f} s  runs {[round(x, 2) for x in runs]}"
    )
    print(f"ratio verifier / bare loop, pair by pair: median {statistics.median(ratios):.2f}  {[round(x, 2) for x in ratios]}  (goal: 1.0)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
