"""Benchmark: the Merkle log's append and inclusion proof do not slow down as the log grows.

    .venv/bin/python bench/crypto_merkle.py [--size 1000000]

Fills a log to ``--size`` leaves through the same pure functions the web app uses (append to a
compact frontier, store the new complete-subtree nodes), and around sizes 10^3 … 10^6 measures
the cost of one append (state update + node writes) and one inclusion proof of the newest leaf
(node reads + verification), with the node-store reads and writes each needs.
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from crypto.merkle import MemoryNodeStore, TreeState, append, inclusion_proof, verify_inclusion  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=2000)
    args = parser.parse_args()
    marks = [m for m in (1_000, 10_000, 100_000, 1_000_000, 10_000_000) if m <= args.size]
    store, state = MemoryNodeStore(), TreeState()
    leaf = lambda i: hashlib.sha256(i.to_bytes(8, "big")).digest()  # noqa: E731
    print(f"{'size':>10} {'append µs':>10} {'writes':>7} {'prove+verify µs':>16} {'reads':>6} {'proof len':>9}")
    started = time.perf_counter()
    for mark in marks:
        # Fill up to just before the mark, then time appends that end exactly at it.
        while state.size < mark - args.samples:
            state, nodes = append(state, leaf(state.size))
            store.put_nodes(nodes)
        appends, proofs, writes, reads = [], [], [], []
        while state.size < mark:
            w0 = store.writes
            t = time.perf_counter()
            state, nodes = append(state, leaf(state.size))
            store.put_nodes(nodes)
            appends.append(time.perf_counter() - t)
            writes.append(store.writes - w0)
            r0 = store.reads
            t = time.perf_counter()
            proof = inclusion_proof(store, state.size - 1, state.size)
            verify_inclusion(state.size - 1, state.size, leaf(state.size - 1), proof, state.root())
            proofs.append(time.perf_counter() - t)
            reads.append(store.reads - r0)
        print(
            f"{mark:>10,} {statistics.mean(appends) * 1e6:>10.1f} {statistics.mean(writes):>7.2f} "
            f"{statistics.mean(proofs) * 1e6:>16.1f} {statistics.mean(reads):>6.1f} {len(proof):>9}"
        )
    print(f"(filled to {state.size:,} leaves in {time.perf_counter() - started:.1f} s; state row {len(state.to_bytes())} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
