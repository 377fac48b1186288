"""Registry import and voting members at scale, on SQLite (default) or any database URL.

    .venv/bin/python bench/registry.py [--units 1200 12000 48000] [--database-url URL]

For each size: a generated registry (the demo generator, repeated over more buildings) is
validated into a plan, applied into an empty estate, diffed and re-applied unchanged, and
turned into voting members.  Prints wall time per step and the process's peak memory.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def registry_csv(units: int) -> bytes:
    from webapp.demo.registry import demo_rows

    rows, copy = [], 0
    while len(rows) < units:
        for row in demo_rows(seed=2026 + copy):
            if len(rows) == units:
                break
            rows.append({**row, "楼栋": f"{copy + 1}-{row['楼栋']}" if copy else row["楼栋"]})
        copy += 1
    # Random identity numbers repeat now and then across copies; the importer rightly rejects
    # one number under two names, so give a repeated number its first name.
    names: dict[str, str] = {}
    for row in rows:
        ids, people = row["证件号"].split("、"), row["业主"].split("、")
        if ids != [""]:
            row["业主"] = "、".join(names.setdefault(i, p) for i, p in zip(ids, people, strict=True))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def timed(label: str, func):
    # Wall time without tracemalloc (which slows allocation-heavy ORM code several times over);
    # memory as the process's peak resident set so far.
    start = time.perf_counter()
    result = func()
    elapsed = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  {label:<28} {elapsed:8.2f} s   max RSS so far {peak:7.1f} MiB")
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", type=int, nargs="+", default=[1200, 12000, 48000])
    parser.add_argument("--database-url")
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="ov-bench-")
    os.environ.setdefault("OWNERSVOTE_INSTANCE_PATH", folder)
    url = args.database_url or f"sqlite:///{folder}/bench.sqlite3"

    from webapp import create_app
    from webapp.core.db import db
    from webapp.core.migrate import upgrade
    from webapp.estates.operations import create_estate
    from webapp.registry.importing import import_file, validate_file
    from webapp.registry.operations import diff_registry, estate_roster

    upgrade(url)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        for n, units in enumerate(args.units):
            data = registry_csv(units)
            estate = create_estate(f"bench-{os.getpid()}-{n}", f"bench {units}", actor="bench")
            db.session.commit()
            print(f"{units} units ({len(data) / 2**20:.1f} MiB CSV) on {db.engine.dialect.name}")
            # Each step runs at once, inside timed(); the defaults bind this iteration's values.
            plan = timed("validate (parse + check)", lambda data=data: validate_file(data, "r.csv"))
            timed(
                "apply into empty estate",
                lambda estate=estate, data=data: (import_file(estate, data, "r.csv", actor="bench"), db.session.commit()),
            )
            timed("diff of an unchanged file", lambda estate=estate, plan=plan: diff_registry(estate, plan))
            timed(
                "re-apply the unchanged file",
                lambda estate=estate, data=data: (import_file(estate, data, "r.csv", actor="bench"), db.session.commit()),
            )
            roster = timed("voting members", lambda estate=estate: estate_roster(estate)[0])
            print(f"  -> {len(roster.members)} members, {roster.total_heads} heads")


if __name__ == "__main__":
    main()
