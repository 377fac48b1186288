"""Tallying and exporting the audit bundle of a 20,000-member assembly on PostgreSQL.

    .venv/bin/python bench/tally_export.py                 # fresh database on the tests' server, dropped at the end
    .venv/bin/python bench/tally_export.py --units 21500 --share 0.85 --profile

An estate is built through the app's own operations (bench/assembly_setup.py: a generated
registry, every owner registered with a phone key, a signed roll, the notice, voting opened in
the past); most members' signed ballots are loaded in batches as webapp.voting.bulk does (each
checked as casting checks it, one signed tree head per batch); the assembly is sealed at its
close.  Then, each timed:

- ``webapp.results.operations.compute_tally`` (the organiser's "tally" step: the counted ballots
  from the sealed log and the roll, the tally engine, the server's signed statement), committed;
- the two supervisors' certifications, then building and serialising the bundle as publication
  does (``build_bundle`` + ``bundle_bytes``: the bytes ``ownersvote export-bundle`` writes);
- ``publish`` (which builds and stores those bytes), ``ownersvote export-bundle`` and
  ``ownersvote verify`` on the exported file, each as its own process (start-up included).

Needs PostgreSQL, by default the server the tests use (OWNERSVOTE_TEST_PG_URL, else
postgresql+psycopg://postgres@127.0.0.1:5432/test).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
import assembly_setup as setup_  # noqa: E402

sys.path.remove(str(ROOT / "bench"))  # bench/tally.py must not shadow the tally package


def loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


class Timer:
    def __init__(self, label: str, profile: bool):
        self.label, self.profile = label, profile

    def __enter__(self):
        self.profiler = cProfile.Profile() if self.profile else None
        self.start = time.perf_counter()
        self.cpu0 = time.process_time()
        if self.profiler:
            self.profiler.enable()
        return self

    def __exit__(self, *exc):
        if self.profiler:
            self.profiler.disable()
        self.seconds = time.perf_counter() - self.start
        cpu = time.process_time() - self.cpu0
        print(f"  {self.label:<52} {self.seconds:7.2f} s   CPU here {cpu:.2f} s (load {loadavg()})")
        if self.profiler and exc[0] is None:
            out = io.StringIO()
            pstats.Stats(self.profiler, stream=out).sort_stats("cumulative").print_stats(18)
            print("\n".join("      " + line for line in out.getvalue().splitlines()[6:30] if line.strip()))


def run(command: list[str], env: dict) -> tuple[float, float, float, str]:
    """(wall seconds, CPU seconds, max RSS in MiB, output) of a command run to its end, process
    start-up included (the CPU time says how much of the wall time the machine's load took)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({result.returncode}):\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return wall, cpu, after.ru_maxrss / 1024, result.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=setup_.DEFAULT_PG_URL, help="PostgreSQL server (a database is created there and dropped)")
    parser.add_argument("--units", type=int, default=21600, help="units of the generated estate (21,600 give about 20,000 voting members)")
    parser.add_argument("--share", type=float, default=0.85, help="share of the members that vote")
    parser.add_argument("--batch", type=int, default=500, help="ballots per signed tree head while loading")
    parser.add_argument("--profile", action="store_true", help="print a cProfile summary of each timed step")
    parser.add_argument("--keep", action="store_true", help="keep the database and the work folder")
    args = parser.parse_args()

    print(f"load average at start: {loadavg()} ({os.cpu_count()} CPUs)")
    folder = Path(tempfile.mkdtemp(prefix="ov-bench-tally-"))
    os.environ["OWNERSVOTE_INSTANCE_PATH"] = str(folder / "instance")
    database_url = setup_.create_database(args.database_url, "ownersvote_bench_tally")
    try:
        app = setup_.app_for(database_url, OWNERSVOTE_JOB_FILES=str(folder / "jobs"))
        t = time.perf_counter()
        built = setup_.build(app, units=args.units, past=True)
        print(
            f"estate: {args.units} units, {built.members} voting members, {len(built.voters)} with a phone key "
            f"({time.perf_counter() - t:.1f} s)"
        )
        t = time.perf_counter()
        ballots = setup_.signed_ballots(app, built, share=args.share)
        print(f"signed {len(ballots)} ballots ({time.perf_counter() - t:.1f} s)")

        from crypto.canonical import canonical_json
        from webapp.assemblies.models import Assembly
        from webapp.auth.models import StaffUser
        from webapp.core.db import db
        from webapp.results import operations as results
        from webapp.results.bundle import build_bundle, bundle_bytes
        from webapp.voting.bulk import load_entries
        from webapp.voting.log import close_if_due

        with app.app_context():
            assembly = db.session.get(Assembly, built.assembly_id)
            staff = {name: db.session.get(StaffUser, staff_id) for name, staff_id in built.staff.items()}
            t = time.perf_counter()
            entries = [{"kind": "online", **b} for b in ballots]
            load_entries(assembly, entries, batch=args.batch, at=assembly.opens_at + timedelta(days=1))
            db.session.commit()
            print(f"loaded {len(entries)} ballots into the log, {args.batch} per tree head ({time.perf_counter() - t:.1f} s)")
            if not close_if_due(assembly):
                raise SystemExit("the assembly did not close")
            db.session.commit()
            print(f"sealed: state {assembly.state}")

            print("timed:")
            with Timer("compute_tally (read log + roll, tally, sign), commit", args.profile) as tally_t:
                record = results.compute_tally(assembly, actor=staff["organiser"])
                db.session.commit()
            document = record.document
            for username in ("supervisor", "supervisor2"):
                signer = built.supervisor_keys[username]
                results.certify(
                    assembly,
                    actor=staff[username],
                    kid=signer.kid,
                    sig=signer.sign_b64(canonical_json(results.payload(assembly))),
                    declared_not_voted=True,
                )
            db.session.commit()
            db.session.expire_all()
            with Timer("build_bundle + bundle_bytes (what export writes)", args.profile) as bundle_t:
                data = bundle_bytes(build_bundle(assembly))
            db.session.rollback()
            with Timer("publish (builds and stores the bundle), commit", False) as publish_t:
                results.publish(assembly, actor=staff["organiser"])
                db.session.commit()
            slug, assembly_id = assembly.estate.slug, assembly.id
            db.engine.dispose()
        print(f"bundle: {len(data) / 2**20:.1f} MiB, {len(ballots)} log entries, tally of {len(document.get('items', []))} items")

        exe = Path(sys.executable).with_name("ownersvote")
        env = {**os.environ, "OWNERSVOTE_DATABASE_URL": database_url}
        env.pop("OWNERSVOTE_ENV", None)
        out = folder / "bundle.json"
        export_wall, export_cpu, _, _ = run([str(exe), "export-bundle", slug, str(assembly_id), "--out", str(out)], env)
        print(f"  {'ownersvote export-bundle (process)':<52} {export_wall:7.2f} s   CPU {export_cpu:.2f} s")
        if out.read_bytes() != data:
            print("FAILED: the exported bundle differs from the one built above")
            return 1
        verify_wall, verify_cpu, verify_rss, report = run([str(exe), "verify", str(out)], env)
        print(
            f"  {'ownersvote verify (process)':<52} {verify_wall:7.2f} s   CPU {verify_cpu:.2f} s (all its processes), "
            f"max RSS {verify_rss:.0f} MiB"
        )
        print("\n".join("    | " + line for line in report.strip().splitlines()[:12]))
        print(f"load average at end: {loadavg()}")
        print(
            f"members {built.members}, ballots {len(ballots)}: tally {tally_t.seconds:.2f} s, bundle {bundle_t.seconds:.2f} s "
            f"({len(data) / 2**20:.1f} MiB), publish {publish_t.seconds:.2f} s, export {export_wall:.2f} s, verify {verify_wall:.2f} s"
        )
        return 0
    finally:
        if not args.keep:
            setup_.drop_database(args.database_url, database_url)
            shutil.rmtree(folder, ignore_errors=True)
        else:
            print(f"kept: database {database_url}, folder {folder}")


if __name__ == "__main__":
    sys.exit(main())
