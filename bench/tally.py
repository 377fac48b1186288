"""Benchmark of the tally: JSON document → result, for growing estates.

    .venv/bin/python bench/tally.py                 # 25k, 50k and 100k members × 10 items
    .venv/bin/python bench/tally.py --members 100000 --repeat 3
    .venv/bin/python bench/tally.py --members 100000 --write bench/out/tally-100000.json   # for timing the command:
    /usr/bin/time -v .venv/bin/ownersvote tally bench/out/tally-100000.json > /dev/null

Each size runs in a fresh subprocess so that its peak RSS is its own.  An estate has N members
(one head each, 40–180 m², plus the developer holding 5% of the area as one head), 10 items
(6 resolutions across categories 1–9, 2 committee elections of 7 seats among 12 candidates,
2 firm selections among 3 bidders) and a ballot from 80% of members, a few with spoiled or
unmarked items.  The collector is paused as in the CLI (see tally.cli.paused_gc).  Timed: reading the file, strict JSON parsing, validation, the tally and the
output document (serialised).  Peak Python allocation is measured by tracemalloc in a separate
pass, so that tracing does not slow the timed passes.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tally import compute, load_document, result_to_document  # noqa: E402
from tally.cli import parse_json, paused_gc  # noqa: E402

CANDIDATES = [f"c{i}" for i in range(1, 13)]
FIRMS = ["f1", "f2", "f3"]


def make_document(n: int, seed: int = 278) -> dict:
    rnd = random.Random(seed)
    members = [{"id": f"m{i}", "area": f"{rnd.randint(4000, 18000) // 100}.{rnd.randint(0, 99):02d}", "heads": 1} for i in range(n - 1)]
    members.append({"id": "developer", "area": f"{n * 5}.00", "heads": 1})
    items = [{"id": f"r{c}", "category": c, "kind": "resolution"} for c in (1, 2, 5, 6, 8, 9)]
    items += [{"id": f"e{k}", "category": 3, "kind": "election", "seats": 7, "options": CANDIDATES} for k in (1, 2)]
    items += [{"id": f"s{k}", "category": 4, "kind": "selection", "options": FIRMS} for k in (1, 2)]
    ballots = []
    for m in members:
        if rnd.random() >= 0.8:
            continue
        choices: dict = {}
        for it in items:
            roll = rnd.random()
            if roll < 0.03:
                continue  # unmarked
            if it["kind"] == "resolution":
                choices[it["id"]] = rnd.choices(["agree", "disagree", "abstain", "?"], (80, 12, 7, 1))[0]
            elif it["kind"] == "election":
                k = 8 if roll > 0.99 else rnd.randint(0, 7)  # 8 marks spoil the item
                choices[it["id"]] = rnd.sample(CANDIDATES[:9] if rnd.random() < 0.9 else CANDIDATES, k)
            else:
                choices[it["id"]] = [rnd.choices(FIRMS, (70, 20, 10))[0]]
        ballots.append({"member": m["id"], "choices": choices})
    return {"rules": {"alternates": 2}, "members": members, "items": items, "ballots": ballots}


def pipeline(path: str) -> str:
    """What ``ownersvote tally PATH`` does, minus process start-up and writing to stdout."""
    with open(path, "rb") as f:
        text = f.read().decode("utf-8")
    with paused_gc():
        result = compute(load_document(parse_json(text)))
    return json.dumps(result_to_document(result), ensure_ascii=False, indent=2, sort_keys=True)


def measure(n: int, repeat: int) -> dict:
    doc = make_document(n)
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8") as f:
        json.dump(doc, f)
        path = f.name
    size = os.path.getsize(path)
    ballots = len(doc["ballots"])
    del doc
    try:
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            pipeline(path)
            times.append(time.perf_counter() - t0)
        rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        tracemalloc.start()
        pipeline(path)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    finally:
        os.unlink(path)
    return {
        "members": n,
        "ballots": ballots,
        "items": 10,
        "json_mib": round(size / 2**20, 1),
        "best_s": round(min(times), 3),
        "us_per_ballot_item": round(min(times) / (ballots * 10) * 1e6, 3),
        "peak_traced_mib": round(peak / 2**20, 1),
        "max_rss_mib": round(rss_kib / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, nargs="*", default=[25_000, 50_000, 100_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # child mode
    parser.add_argument("--write", metavar="FILE", help="write the document of the first --members size to FILE and stop")
    args = parser.parse_args()
    if args.write:
        Path(args.write).parent.mkdir(parents=True, exist_ok=True)
        Path(args.write).write_text(json.dumps(make_document(args.members[0])), encoding="utf-8")
        print(f"wrote {args.write}")
        return
    if args.one:
        print(json.dumps(measure(args.one, args.repeat)))
        return
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    print(f"{'members':>8} {'ballots':>8} {'JSON MiB':>9} {'best s':>7} {'µs/ballot·item':>15} {'peak MiB':>9} {'max RSS MiB':>12}")
    for n in args.members:
        out = subprocess.run(
            [sys.executable, __file__, "--one", str(n), "--repeat", str(args.repeat)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        r = json.loads(out)
        print(
            f"{r['members']:>8} {r['ballots']:>8} {r['json_mib']:>9} {r['best_s']:>7} "
            f"{r['us_per_ballot_item']:>15} {r['peak_traced_mib']:>9} {r['max_rss_mib']:>12}"
        )


if __name__ == "__main__":
    main()
