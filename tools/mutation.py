"""Mutation testing of the tally and of crypto's core modules, with a score per file.

    .venv/bin/python tools/mutation.py            # clean run, then the report (docs/mutation-testing.md)
    .venv/bin/python tools/mutation.py --report   # the report of the last run only
    .venv/bin/python tools/mutation.py --resume   # keep mutants/ and its cached results
    .venv/bin/python tools/mutation.py --retest   # re-run only the mutants the last run left (after new tests)
    .venv/bin/python tools/mutation.py --file crypto/roll.py --minutes 40   # one file, time-bounded

What is mutated, and which tests run, is configured in pyproject.toml under [tool.mutmut]
(``source_paths``, ``only_mutate``, ``pytest_add_cli_args_test_selection``); this script only
runs mutmut 3 and reads its results in mutants/.  A clean run deletes mutants/ first, because
mutmut keeps the verdict of every mutant whose function did not change, even when the tests
did: a score is only reproducible from scratch.

The report gives, per mutated file, the mutants detected (killed, or timed out: either way a
test noticed) over the total, and lists every other mutant (survived, no test reaches it,
suspicious) with its line and a one-line diff.  ``--diff`` prints the full diff of each.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import fnmatch
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import tomllib
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MUTANTS = ROOT / "mutants"
LOG = MUTANTS / "mutmut-run.log"
DETECTED = {"killed", "timeout", "caught by type check"}
_HUNK = re.compile(r"^@@ -(\d+)")


def config() -> dict:
    with open(ROOT / "pyproject.toml", "rb") as f:
        return tomllib.load(f)["tool"]["mutmut"]


def mutated_files(cfg: dict) -> list[str]:
    """The files mutmut mutates: .py files under ``source_paths`` matching ``only_mutate``
    (every file if it is empty) and not ``do_not_mutate`` — mutmut's own rule."""
    only, never = cfg.get("only_mutate", []), cfg.get("do_not_mutate", [])
    out = []
    for source in cfg.get("source_paths", []):
        base = ROOT / source
        paths = [base] if base.is_file() else sorted(base.rglob("*.py"))
        for p in paths:
            rel = p.relative_to(ROOT).as_posix()
            if only and not any(fnmatch.fnmatch(rel, pat) for pat in only):
                continue
            if any(fnmatch.fnmatch(rel, pat) for pat in never):
                continue
            out.append(rel)
    return out


def module_pattern(path: str) -> str:
    """``crypto/roll.py`` → ``crypto.roll.*``: the names mutmut gives that file's mutants."""
    return path.removesuffix(".py").replace("/", ".") + ".*"


def run_mutmut(jobs: int, names: list[str] = (), minutes: float | None = None) -> float:
    MUTANTS.mkdir(exist_ok=True)
    started = time.monotonic()
    what = f" ({len(names)} mutants)" if names and not any("*" in n for n in names) else (f" ({' '.join(names)})" if names else "")
    bound = f", stopped after {minutes:g} min" if minutes else ""
    print(f"mutmut run --max-children {jobs}{what}{bound}  (progress in {LOG.relative_to(ROOT)})", flush=True)
    with open(LOG, "w") as log:
        # A session of its own, so that a time bound stops mutmut's workers too.
        proc = subprocess.Popen(
            [sys.executable, "-m", "mutmut", "run", "--max-children", str(jobs), *names],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            returncode = proc.wait(timeout=minutes * 60 if minutes else None)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            print(f"time bound reached: the report below covers the mutants checked so far ({LOG.relative_to(ROOT)})", flush=True)
            return time.monotonic() - started
    elapsed = time.monotonic() - started
    if returncode != 0:
        sys.exit(f"mutmut failed (exit {returncode}); see {LOG}")
    return elapsed


def function_starts(path: str) -> dict[str, int]:
    """mutmut's mangled function names (``x_f``, ``xǁClassǁmethod``) → first line in the source."""
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    starts = {}

    def first_line(node) -> int:
        return min([node.lineno] + [d.lineno for d in node.decorator_list])

    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            starts[f"x_{node.name}"] = first_line(node)
        elif isinstance(node, ast.ClassDef):
            for sub in node.body:
                if isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    starts[f"xǁ{node.name}ǁ{sub.name}"] = first_line(sub)
    return starts


def diff_of(name: str, path: str) -> str | None:
    try:
        from mutmut.mutation.diff_apply import get_diff_for_mutant
    except ImportError:  # another mutmut 3 layout: names only
        return None
    try:
        return get_diff_for_mutant(name, path=path)
    except Exception as exc:  # a line of the report, not a reason to stop it
        return f"(no diff: {exc})"


def summarise(diff: str | None, start: int | None) -> tuple[int | None, str]:
    """(source line, ``old → new``) of a mutant's diff."""
    if not diff:
        return None, ""
    line = None
    old, new = [], []
    offset = 0
    for text in diff.splitlines():
        if text.startswith(("---", "+++")):
            continue
        m = _HUNK.match(text)
        if m:
            offset = int(m.group(1))
            continue
        if text.startswith("-"):
            if line is None and start is not None:
                line = start + offset - 1
            old.append(text[1:].strip())
            offset += 1
        elif text.startswith("+"):
            new.append(text[1:].strip())
        else:
            offset += 1
    return line, f"{' '.join(old)}  →  {' '.join(new)}"


def report(files: list[str], show_diff: bool) -> dict:
    from mutmut.stats import status_by_exit_code

    os.chdir(ROOT)  # mutmut's helpers read mutants/ relative to the working directory
    scores: dict[str, dict] = {}
    rows = []
    for path in files:
        meta = MUTANTS / (path + ".meta")
        if not meta.exists():
            continue
        codes = json.loads(meta.read_text())["exit_code_by_key"]
        statuses = {name: status_by_exit_code[code] for name, code in codes.items()}
        count = Counter(statuses.values())
        detected = sum(count[s] for s in DETECTED)
        total = len(statuses)
        left = sorted(
            (n for n, s in statuses.items() if s not in DETECTED), key=lambda n: (n.partition("__mutmut_")[0], int(n.rpartition("_")[2]))
        )
        scores[path] = {"detected": detected, "total": total, "counts": dict(count), "left": left, "status": {n: statuses[n] for n in left}}
        rows.append((path, detected, total, count))

    width = max((len(r[0]) for r in rows), default=10)
    print()
    print(f"{'file':<{width}}  {'detected/total':>15}  {'score':>6}  survived  no tests  timeout")
    all_detected = all_total = 0
    for path, detected, total, count in rows:
        score = f"{100 * detected / total:.1f}%" if total else "-"
        print(
            f"{path:<{width}}  {f'{detected}/{total}':>15}  {score:>6}  {count['survived']:>8}  "
            f"{count['no tests']:>8}  {count['timeout']:>7}"
        )
        all_detected, all_total = all_detected + detected, all_total + total
    if all_total:
        print(f"{'all':<{width}}  {f'{all_detected}/{all_total}':>15}  {100 * all_detected / all_total:.1f}%")

    for path, data in scores.items():
        if not data["left"]:
            continue
        starts = function_starts(path)
        print(f"\n{path}: {len(data['left'])} not detected")
        for name in data["left"]:
            diff = diff_of(name, path)
            line, change = summarise(diff, starts.get(name.rpartition(".")[2].partition("__mutmut_")[0]))
            status = data["status"][name]
            tag = "" if status == "survived" else f" ({status})"
            print(f"  {name.rpartition('.')[2]}{tag}  [line {line or '?'}]  {change}")
            if show_diff and diff:
                print("    " + diff.replace("\n", "\n    "))
    return scores


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--jobs", type=int, default=min(2, os.cpu_count() or 1), help="parallel mutant runs (default: 2, the cores this machine shares)"
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--resume", action="store_true", help="keep mutants/ and mutmut's cached verdicts")
    mode.add_argument("--report", action="store_true", help="only print the report of the last run")
    mode.add_argument(
        "--retest", action="store_true", help="re-run only the mutants the last run did not detect (quick, after adding tests)"
    )
    parser.add_argument("--diff", action="store_true", help="print the full diff of every undetected mutant")
    parser.add_argument(
        "--file",
        action="append",
        default=[],
        metavar="PATH",
        help="mutate and report only this file (one of only_mutate's; repeatable): a run of one module takes minutes, not an hour",
    )
    parser.add_argument("--minutes", type=float, help="stop mutmut after this many minutes and report what it checked so far")
    parser.add_argument("--json", type=Path, help="also write the scores to this file")
    args = parser.parse_args(argv)

    cfg = config()
    files = mutated_files(cfg)
    if args.file:
        unknown = sorted(set(args.file) - set(files))
        if unknown:
            parser.error(f"not mutated under [tool.mutmut] in pyproject.toml: {', '.join(unknown)}")
        files = [f for f in files if f in args.file]
    only = [module_pattern(f) for f in files] if args.file else []
    if args.retest:
        with contextlib.redirect_stdout(io.StringIO()):
            left = [n for data in report(files, False).values() for n in data["left"]]
        if not left:
            print("nothing to re-run: the last run detected every mutant (or there was no run)")
        else:
            elapsed = run_mutmut(args.jobs, left, args.minutes)
            print(f"mutmut finished in {elapsed / 60:.1f} min with {args.jobs} parallel runs")
    elif not args.report:
        if not args.resume and MUTANTS.exists():
            shutil.rmtree(MUTANTS)
        elapsed = run_mutmut(args.jobs, only, args.minutes)
        print(f"mutmut finished in {elapsed / 60:.1f} min with {args.jobs} parallel runs")
    scores = report(files, args.diff)
    if not scores:
        print("no results in mutants/: run without --report first", file=sys.stderr)
        return 1
    if args.json:
        args.json.write_text(json.dumps(scores, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
