"""Casting a ballot end to end under load: gunicorn + PostgreSQL, driven by wrk.

    .venv/bin/python bench/cast.py                    # fresh database on the tests' server, dropped at the end
    .venv/bin/python bench/cast.py --units 20000 --cast-seconds 20 --workers 3 --threads 8

Needs Debian's wrk (`apt-get install wrk`; this script installs nothing) and PostgreSQL, by
default the server the tests use (OWNERSVOTE_TEST_PG_URL, else
postgresql+psycopg://postgres@127.0.0.1:5432/test), where it creates a database of its own and
drops it at the end.  With --redis-url, the app keeps its rate limits (and sessions) in Redis, as
in production; without it, in each worker's memory.

1. An estate is built through the app's own operations (bench/assembly_setup.py): a generated
   registry, every owner registered with a P-256 phone key, a roll frozen and signed by two
   supervisors, the notice published, voting open.  One distinct ballot per member is signed
   beforehand.
2. gunicorn serves ``webapp.app:create_app()`` with OWNERSVOTE_BENCH_HELLO=1 (a bare GET
   /__bench/hello route in the same app: same middleware, same server settings) and
   OWNERSVOTE_CAST_LIMIT raised, since every ballot comes from one address.
3. wrk (bench/cast.lua) runs 50 connections against the hello route, then against
   POST /api/v1/a/<id>/ballots with a distinct signed ballot per request.
4. After the server stops, the database is checked: every 201's leaf is in the log under the
   newest signed tree head (its signature and its root recomputed from the ballots' entries),
   and no member has two ballots.

5. Since casting answers with a promise and the sequencer integrates apart (issue 19), it also
   prints what a user feels:
   - CPU per accepted ballot, all in: gunicorn (requests and the sequencer's threads) and the
     PostgreSQL backends, from the start of the closed-loop run until the sequencer has
     integrated its last ballot;
   - p95 at a fixed offered rate (--open-rate, 200 ballots a second by default): an open-loop
     generator that sends each ballot at its scheduled time and measures from that time, so a
     slow answer cannot hide the queue behind it (wrk's closed loop with 50 connections only
     measures Little's law);
   - the time from acceptance to inclusion (p50, p95): the database's acceptance time of each
     ballot of the open-loop run against the timestamp of the first signed tree head covering it,
     and a sample of receipts fetched as the phone does and verified (promise, head, proof).

The last line printed is ``cast/hello ratio R, p95 P ms, accepted A, in log L``; the exit status is
non-zero when a check fails.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
import assembly_setup as setup_  # noqa: E402

sys.path.remove(str(ROOT / "bench"))  # bench/tally.py must not shadow the tally package

LUA = ROOT / "bench" / "cast.lua"
WRK_HOWTO = "wrk is not installed: on Debian or Ubuntu, `apt-get install wrk` (as root); this script installs nothing itself."


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def cpu_times() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine, from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


def _stat(pid: int) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def tree_cpu(root: int) -> float:
    """CPU seconds (user + system) used so far by ``root``, its live children, and the children
    it has reaped.  PostgreSQL's backends come and go (a connection closed by the app's pool
    takes its process with it), and counting only the live ones missed those that ended within a
    phase; the reaped ones are in the parent's cutime and cstime."""
    tick = os.sysconf("SC_CLK_TCK")
    fields = _stat(root)
    if fields is None:
        return 0.0
    total = sum(int(f) for f in fields[11:15])  # utime, stime, cutime, cstime
    children = Path(f"/proc/{root}/task/{root}/children")
    for pid in children.read_text().split() if children.exists() else []:
        child = _stat(int(pid))
        if child is not None:
            total += int(child[11]) + int(child[12])
    return total / tick


def postmaster_pid(database_url: str) -> int:
    """PostgreSQL's main process: the parent of a backend of the bench's database."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    engine = create_engine(make_url(database_url), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        backend = conn.execute(text("SELECT pg_backend_pid()")).scalar()
        parent = int(_stat(backend)[1])
    engine.dispose()
    return parent


class CpuMeter:
    """CPU used by the gunicorn processes and by PostgreSQL during a phase: every process of the
    server (its backends, those that ended within the phase, and its writers and autovacuum,
    which work for the bench's commits too; nothing else uses the database server meanwhile)."""

    def __init__(self, server: subprocess.Popen, database_url: str):
        self.server, self.postmaster = server, postmaster_pid(database_url)

    def __enter__(self):
        self.app0, self.db0 = tree_cpu(self.server.pid), tree_cpu(self.postmaster)
        return self

    def __exit__(self, *exc):
        self.app = tree_cpu(self.server.pid) - self.app0
        self.db = tree_cpu(self.postmaster) - self.db0


def baseline_tree(commit: str, folder: Path) -> Path:
    """An earlier version's webapp, crypto and tally packages (``git archive``), given what this
    bench needs of the app: the commit's own settings (with pool_pre_ping where that version
    lacks the idle ping) and the hello route."""
    root = folder / f"baseline-{commit}"
    root.mkdir()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", commit, "webapp", "crypto", "tally"], check=True, capture_output=True)
    subprocess.run(["tar", "-x", "-C", str(root)], input=archive.stdout, check=True)
    # The commit's own settings (webapp/config.py before the layers moved it into core/).
    config_path = next(p for p in (root / "webapp" / "core" / "config.py", root / "webapp" / "config.py") if p.exists())
    config = config_path.read_text()
    if "install_idle_ping" not in (root / "webapp" / "core" / "db.py").read_text():
        config = config.replace('"pool_pre_ping": False', '"pool_pre_ping": True')
    config_path.write_text(config)
    app = (root / "webapp" / "app.py").read_text()
    if "__bench/hello" not in app:
        app = app.replace(
            "    load_kinds()",
            '    if app.config.get("OWNERSVOTE_BENCH_HELLO"):\n'
            '        app.add_url_rule("/__bench/hello", "bench_hello", lambda: "hello")\n    load_kinds()',
            1,
        )
        (root / "webapp" / "app.py").write_text(app)
    return root


def start_server(args, env: dict, port: int, log: Path) -> subprocess.Popen:
    gunicorn = Path(sys.executable).with_name("gunicorn")
    # --preload: the app is built once, before the workers fork, so that all of them serve from
    # the first request on (each building its own took seconds on a loaded machine, and the
    # hello run would have started with some workers still booting).
    command = [
        str(gunicorn),
        "--workers",
        str(args.workers),
        "--bind",
        f"127.0.0.1:{port}",
        "--backlog",
        "2048",
        "--error-logfile",
        str(log),
        "--log-level",
        "warning",
        "--preload",
    ]
    if args.threads > 1:
        command += ["--worker-class", "gthread", "--threads", str(args.threads)]
    command.append("webapp.app:create_app()")
    app_root = Path(args.app_root).resolve() if args.app_root else ROOT
    if args.app_root:
        env = {**env, "PYTHONPATH": str(app_root)}
    server = subprocess.Popen(command, env=env, cwd=str(app_root), start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/__bench/hello", timeout=2) as response:
                if response.status == 200:
                    return server
        except OSError:
            time.sleep(0.3)
        if server.poll() is not None:
            break
    server.kill()
    raise SystemExit("gunicorn did not start:\n" + (log.read_text() if log.exists() else ""))


def stop_server(server: subprocess.Popen) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


def run_wrk(args, url: str, folder: Path, name: str, seconds: float, bodies: Path | None = None) -> dict:
    env = {**os.environ, "BENCH_THREADS": str(args.wrk_threads), "BENCH_SUMMARY": str(folder / f"{name}.json")}
    if bodies is not None:
        env.update(BENCH_BODIES=str(bodies), BENCH_OUT=str(folder / f"{name}-"))
    command = [
        "wrk",
        "-t",
        str(args.wrk_threads),
        "-c",
        str(args.connections),
        "-d",
        f"{int(round(seconds))}s",
        "--timeout",
        "30s",
        "-s",
        str(LUA),
        url,
    ]
    busy0, total0 = cpu_times()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    busy1, total1 = cpu_times()
    summary = json.loads((folder / f"{name}.json").read_text())
    # wrk's own CPU shares the two cores with the server's: a cast's response is read by a Lua
    # callback (its status and leaf recorded), a hello's is not.
    summary["wrk_cpu"] = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    summary["rate"] = summary["requests"] / (summary["duration_us"] / 1e6)
    summary["machine_busy"] = (busy1 - busy0) / max(1, total1 - total0)
    summary["load"] = loadavg()
    return summary


def read_responses(folder: Path, name: str) -> tuple[dict[int, int], list[str], bool]:
    statuses: dict[int, int] = {}
    leaves: list[str] = []
    exhausted = False
    for path in sorted(folder.glob(f"{name}-*.txt")):
        for line in path.read_text().splitlines():
            status, leaf = line.split(" ")
            if status == "exhausted":
                exhausted = True
                continue
            statuses[int(status)] = statuses.get(int(status), 0) + 1
            if status == "201":
                leaves.append(leaf)
    return statuses, leaves, exhausted


def check_log(app, assembly_id: int, accepted: list[str]) -> tuple[set[str], list[str]]:
    """(the leaves under the newest signed tree head, problems)."""
    from sqlalchemy import func, select

    from crypto.merkle import leaf_hash
    from crypto.treehead import verify_tree_head
    from webapp.core.db import db
    from webapp.core.serverkey import key_set
    from webapp.voting.models import Ballot, TreeHead

    problems = []
    with app.app_context():
        head = db.session.scalar(select(TreeHead).where(TreeHead.assembly_id == assembly_id).order_by(TreeHead.n.desc()).limit(1))
        try:
            verify_tree_head(head.document, key_set().jwk_at(head.document.get("kid"), head.document.get("timestamp")))
        except Exception as exc:  # any failure is a finding
            problems.append(f"the newest tree head does not verify: {exc}")
        rows = db.session.execute(
            select(Ballot.leaf_index, Ballot.leaf_hash, Ballot.entry).where(Ballot.assembly_id == assembly_id).order_by(Ballot.leaf_index)
        ).all()
        logged = [r for r in rows if r.leaf_index is not None and r.leaf_index < head.size]
        if [r.leaf_index for r in logged] != list(range(head.size)):
            problems.append(f"the log's leaf indices are not 0..{head.size - 1}")
        leaves = []
        for r in logged:
            digest = leaf_hash(r.entry.encode("utf-8"))
            if digest.hex() != r.leaf_hash:
                problems.append(f"leaf {r.leaf_index}: its entry does not hash to its leaf")
            leaves.append(digest)
        if _mth(leaves).hex() != head.root:
            problems.append("the root recomputed from the ballots differs from the newest signed tree head's")
        in_log = set(r.leaf_hash for r in logged)
        found = sum(1 for leaf in accepted if leaf in in_log)
        if found != len(accepted):
            problems.append(f"{len(accepted) - found} accepted ballot(s) missing from the log")
        if len(set(accepted)) != len(accepted):
            twice = [leaf for leaf, n in Counter(accepted).items() if n > 1]
            problems.append(f"{len(twice)} leaf(s) in two 201 responses, e.g. {twice[0]}")
        doubles = db.session.execute(
            select(Ballot.member, func.count()).where(Ballot.assembly_id == assembly_id).group_by(Ballot.member).having(func.count() > 1)
        ).all()
        if doubles:
            problems.append(f"{len(doubles)} member(s) with two ballots, e.g. {doubles[0][0]}")
        waiting = sum(1 for r in rows if r.leaf_index is None)
        if waiting:
            problems.append(f"{waiting} committed ballot(s) not integrated into the log")
    return in_log, problems


def wait_integrated(app, assembly_id: int, timeout: float = 120.0) -> float:
    """Wait until the sequencer has integrated every accepted ballot; seconds waited."""
    from sqlalchemy import func, select

    from webapp.core.db import db
    from webapp.voting.models import Ballot

    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        with app.app_context():
            waiting = db.session.scalar(
                select(func.count()).select_from(Ballot).where(Ballot.assembly_id == assembly_id, Ballot.leaf_index.is_(None))
            )
            db.session.rollback()
        if not waiting:
            break
        time.sleep(0.1)
    return time.monotonic() - t0


def open_loop(url: str, bodies: list[str], rate: float, workers: int = 48) -> list[tuple[int, float, str]]:
    """Send ``bodies`` at ``rate`` a second, each at its scheduled time (open loop); returns
    (status, latency from the scheduled time in ms, leaf hash) per ballot."""
    import http.client
    import threading
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    results: list = [None] * len(bodies)
    resent = [0]
    lock = threading.Lock()
    counter = iter(range(len(bodies)))
    t0 = time.monotonic() + 0.5

    def worker() -> None:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        while True:
            with lock:
                n = next(counter, None)
            if n is None:
                break
            due = t0 + n / rate
            pause = due - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            status, payload = 0, b"{}"
            # As the phone does (static/js/ballot.js): a connection lost before the answer came
            # is opened again and the same signed ballot sent once more; if the first had been
            # stored, the server answers 200 with the same promise.
            for _attempt in range(2):
                try:
                    connection.request("POST", parts.path, body=bodies[n], headers={"Content-Type": "application/json"})
                    response = connection.getresponse()
                    payload = response.read()
                    status = response.status
                    break
                except OSError:
                    connection.close()
                    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
                    with lock:
                        resent[0] += 1
            latency = (time.monotonic() - due) * 1000
            leaf = json.loads(payload or b"{}").get("promise", {}).get("leaf_hash", "-") if status in (200, 201) else "-"
            results[n] = (201 if status == 200 and leaf != "-" else status, latency, leaf)
        connection.close()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if resent[0]:
        print(f"open loop: {resent[0]} ballot(s) sent again after a lost connection")
    return results


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def inclusion_delays(app, assembly_id: int, leaves: list[str]) -> list[float]:
    """Milliseconds from each ballot's acceptance (its promise, by the database's clock) to the
    timestamp of the first signed tree head that covers it."""
    from sqlalchemy import select

    from webapp.core.db import db
    from webapp.voting.models import Ballot, TreeHead

    wanted = set(leaves)
    with app.app_context():
        heads = list(
            db.session.execute(select(TreeHead.size, TreeHead.timestamp).where(TreeHead.assembly_id == assembly_id).order_by(TreeHead.n))
        )
        rows = db.session.execute(
            select(Ballot.leaf_hash, Ballot.leaf_index, Ballot.promise).where(Ballot.assembly_id == assembly_id)
        ).all()
    import bisect

    sizes = [h.size for h in heads]
    out = []
    for leaf, index, promise in rows:
        if leaf in wanted and index is not None and promise:
            first = heads[bisect.bisect_right(sizes, index)]
            out.append(first.timestamp - promise["accepted"])
    return out


def verified_receipts(base: str, slug: str, assembly_id: int, leaves: list[str], app) -> int:
    """Fetch receipts as the owner's page does and verify each (promise, head, inclusion proof)."""
    from crypto.treehead import tracking_code, verify_receipt
    from webapp.core.serverkey import signer

    with app.app_context():
        jwk = signer().jwk
    done = 0
    for leaf in leaves:
        code = tracking_code(bytes.fromhex(leaf))
        with urllib.request.urlopen(f"{base}/p/{slug}/a/{assembly_id}/receipt/{code}.json", timeout=10) as response:
            receipt = json.loads(response.read())
        verify_receipt(receipt, jwk)
        done += 1
    return done


def _mth(leaves: list[bytes]) -> bytes:
    """RFC 6962 Merkle tree hash, written out here so that the check does not trust the app's."""
    import hashlib

    if not leaves:
        return hashlib.sha256(b"").digest()
    level = leaves
    while len(level) > 1:
        nxt = [hashlib.sha256(b"\x01" + level[i] + level[i + 1]).digest() for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return level[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=setup_.DEFAULT_PG_URL, help="PostgreSQL server (a database is created there and dropped)")
    parser.add_argument("--units", type=int, default=16000, help="units of the generated estate (about one voting member each)")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=8, help="threads per worker (gthread when > 1)")
    parser.add_argument("--hello-seconds", type=int, default=10)
    parser.add_argument("--cast-seconds", type=int, default=15)
    parser.add_argument("--warmup-seconds", type=int, default=2)
    parser.add_argument("--redis-url", help="keep rate limits and sessions in Redis (as in production)")
    parser.add_argument("--keep", action="store_true", help="keep the database and the work folder")
    parser.add_argument("--app-root", help="serve the webapp package of another checkout (same schema), to compare versions")
    parser.add_argument("--baseline", metavar="COMMIT", help="serve the app as it was at COMMIT (e.g. 4f7b44e, before the fast path)")
    parser.add_argument("--open-rate", type=float, default=200.0, help="ballots a second offered by the open-loop run")
    parser.add_argument("--open-seconds", type=float, default=10.0, help="length of the open-loop run")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print(WRK_HOWTO, file=sys.stderr)
        return 2

    started = time.monotonic()
    folder = Path(tempfile.mkdtemp(prefix="ov-bench-cast-"))
    os.environ["OWNERSVOTE_INSTANCE_PATH"] = str(folder / "instance")  # secrets and server key, shared with gunicorn
    print(f"load average at start: {loadavg()} ({os.cpu_count()} CPUs)")
    database_url = setup_.create_database(args.database_url, "ownersvote_bench_cast")
    server = None
    try:
        app = setup_.app_for(database_url)
        t = time.monotonic()
        built = setup_.build(app, units=args.units)
        bodies = setup_.signed_ballots(app, built)
        body_file = folder / "bodies.jsonl"
        body_file.write_text("".join(json.dumps(b, separators=(",", ":")) + "\n" for b in bodies))
        print(
            f"estate: {args.units} units, {built.members} voting members, {len(bodies)} signed ballots ({time.monotonic() - t:.1f} s to build)"
        )
        with app.app_context():
            from webapp.core.db import db

            db.engine.dispose()

        if args.baseline:
            args.app_root = str(baseline_tree(args.baseline, folder))
            print(f"serving the app as it was at {args.baseline}")
        port = free_port()
        env = {
            **os.environ,
            "OWNERSVOTE_DATABASE_URL": database_url,
            "OWNERSVOTE_BENCH_HELLO": "1",
            "OWNERSVOTE_CAST_LIMIT": "1000000/minute",
        }
        env.pop("OWNERSVOTE_ENV", None)
        env.pop("OWNERSVOTE_REDIS_URL", None)
        if args.redis_url:
            env["OWNERSVOTE_REDIS_URL"] = args.redis_url
        server = start_server(args, env, port, folder / "gunicorn.log")
        base = f"http://127.0.0.1:{port}"
        cast_url = f"{base}/api/v1/a/{built.assembly_id}/ballots"
        workers = f"{args.workers} worker(s)" + (f" × {args.threads} threads (gthread)" if args.threads > 1 else " (sync)")
        print(f"gunicorn: {workers}; wrk: {args.wrk_threads} threads, {args.connections} connections")

        run_wrk(args, f"{base}/__bench/hello", folder, "warm-hello", args.warmup_seconds)
        with CpuMeter(server, database_url) as hello_cpu:
            hello = run_wrk(args, f"{base}/__bench/hello", folder, "hello", args.hello_seconds)
        errors = hello["status_errors"] + hello["connect_errors"] + hello["read_errors"] + hello["timeouts"]
        print(
            f"hello: {hello['rate']:.0f} req/s, p50 {hello['p50_us'] / 1000:.1f} ms, p95 {hello['p95_us'] / 1000:.1f} ms, "
            f"p99 {hello['p99_us'] / 1000:.1f} ms, errors {errors}; machine busy {hello['machine_busy']:.0%}, load {hello['load']}; "
            f"CPU per request: gunicorn {hello_cpu.app / max(1, hello['requests']) * 1000:.2f} ms, "
            f"wrk {hello['wrk_cpu'] / max(1, hello['requests']) * 1000:.2f} ms"
        )

        # Warm the cast path (imports, caches, connections) with ballots of their own; their
        # 201s are checked with the others.
        warm_file = folder / "warm.jsonl"
        lines = body_file.read_text().splitlines(keepends=True)
        warm_count = min(len(lines) // 10, 400)
        # The open loop's ballots are set aside first: wrk's threads each take every T-th line of
        # theirs, so the lines they leave unsent are not one run at the end.
        open_count = min(int(args.open_rate * args.open_seconds), max(0, len(lines) - warm_count - 1000))
        reserved = lines[len(lines) - open_count :] if open_count else []
        lines = lines[: len(lines) - open_count]
        warm_file.write_text("".join(lines[:warm_count]))
        (folder / "cast.jsonl").write_text("".join(lines[warm_count:]))
        run_wrk(args, cast_url, folder, "warm-cast", args.warmup_seconds, warm_file)
        with CpuMeter(server, database_url) as cast_cpu:
            cast = run_wrk(args, cast_url, folder, "cast", args.cast_seconds, folder / "cast.jsonl")
        with CpuMeter(server, database_url) as drain_cpu:  # the sequencer finishing the run's ballots
            drained = wait_integrated(app, built.assembly_id)

        # The open loop: the ballots set aside for it, at a fixed rate.
        offered = reserved
        opened = open_loop(cast_url, [line.strip() for line in offered], args.open_rate) if offered else []
        wait_integrated(app, built.assembly_id)
        open_ok = [r for r in opened if r[0] == 201]
        open_leaves = [r[2] for r in open_ok]
        delays = inclusion_delays(app, built.assembly_id, open_leaves)
        with app.app_context():
            from webapp.assemblies.models import Assembly
            from webapp.core.db import db

            slug = db.session.get(Assembly, built.assembly_id).estate.slug
        sample = verified_receipts(base, slug, built.assembly_id, open_leaves[:: max(1, len(open_leaves) // 50)], app)
        stop_server(server)
        server = None

        statuses, leaves, exhausted = read_responses(folder, "cast")
        warm_statuses, warm_leaves, _ = read_responses(folder, "warm-cast")
        accepted = statuses.get(201, 0)
        rate = accepted / (cast["duration_us"] / 1e6)
        print(
            f"cast: {rate:.0f} accepted/s, p50 {cast['p50_us'] / 1000:.1f} ms, p95 {cast['p95_us'] / 1000:.1f} ms, "
            f"p99 {cast['p99_us'] / 1000:.1f} ms, max {cast['max_us'] / 1000:.1f} ms; responses {dict(sorted(statuses.items()))}; "
            f"machine busy {cast['machine_busy']:.0%}, load {cast['load']}; CPU per request: gunicorn "
            f"{cast_cpu.app / max(1, cast['requests']) * 1000:.2f} ms, PostgreSQL {cast_cpu.db / max(1, cast['requests']) * 1000:.2f} ms, "
            f"wrk {cast['wrk_cpu'] / max(1, cast['requests']) * 1000:.2f} ms"
        )
        all_in = (cast_cpu.app + cast_cpu.db + drain_cpu.app + drain_cpu.db) / max(1, accepted) * 1000
        print(
            f"CPU per accepted ballot, all in (web, sequencer, PostgreSQL): {all_in:.2f} ms "
            f"(the sequencer finished {drained:.1f} s after the load)"
        )
        if opened:
            latencies = [r[1] for r in open_ok]
            print(
                f"open loop at {args.open_rate:.0f}/s offered for {args.open_seconds:.0f} s: {len(open_ok)} of {len(opened)} accepted, "
                f"p50 {percentile(latencies, 0.50):.1f} ms, p95 {percentile(latencies, 0.95):.1f} ms, p99 {percentile(latencies, 0.99):.1f} ms"
            )
            print(
                f"acceptance to inclusion: p50 {percentile(delays, 0.50) / 1000:.2f} s, p95 {percentile(delays, 0.95) / 1000:.2f} s, "
                f"max {max(delays, default=0) / 1000:.2f} s; {sample} receipts fetched as the phone does and verified"
            )
        problems = []
        if opened and len(open_ok) != len(opened):
            refused: dict[int, int] = {}
            for status, _latency, _leaf in opened:
                if status != 201:
                    refused[status] = refused.get(status, 0) + 1
            problems.append(f"open loop: {len(opened) - len(open_ok)} ballot(s) not accepted (status: count {refused}, 0 = no answer)")
        if exhausted:
            problems.append("wrk ran out of distinct ballots: the rate is understated; run with more --units or fewer --cast-seconds")
        if set(statuses) - {201} or set(warm_statuses) - {201}:
            problems.append(f"responses other than 201: cast {statuses}, warm-up {warm_statuses}")
        if cast["connect_errors"] + cast["read_errors"] + cast["write_errors"] + cast["timeouts"]:
            problems.append(f"socket errors: {cast}")
        logged, log_problems = check_log(app, built.assembly_id, leaves + warm_leaves + open_leaves)
        for leaf, n in Counter(leaves + warm_leaves + open_leaves).items():
            if n > 1:  # where the repeats came from, to tell the server's fault from the bench's
                print(
                    f"leaf {leaf[:16]}…: cast {leaves.count(leaf)}, warm-up {warm_leaves.count(leaf)}, open loop {open_leaves.count(leaf)}"
                )
        problems += log_problems
        in_log = sum(1 for leaf in leaves if leaf in logged)
        found = in_log + sum(1 for leaf in warm_leaves if leaf in logged)
        ratio = rate / hello["rate"]
        print(
            f"checked in the database: {found} of {len(leaves) + len(warm_leaves)} accepted ballots (warm-up included) under the newest "
            f"signed tree head; one ballot per member: {'yes' if not any('two ballots' in p for p in problems) else 'NO'}"
        )
        for problem in problems:
            print("FAILED: " + problem)
        if problems:
            # What the server logged: the last line of each traceback, counted.
            errors: dict[str, int] = {}
            log_lines = (folder / "gunicorn.log").read_text(errors="replace").splitlines()
            for n, line in enumerate(log_lines):
                if line.startswith("Traceback"):
                    tail = next((t for t in log_lines[n + 1 :] if t and not t.startswith((" ", "Traceback", "The above", "During"))), "?")
                    errors[tail[:300]] = errors.get(tail[:300], 0) + 1
            for message, count in errors.items():
                print(f"  server error ×{count}: {message}")
        print(f"total time {time.monotonic() - started:.0f} s; load average at end: {loadavg()}")
        print(f"cast/hello ratio {ratio:.2f}, p95 {cast['p95_us'] / 1000:.1f} ms, accepted {accepted}, in log {in_log}")
        return 1 if problems else 0
    finally:
        if server is not None:
            stop_server(server)
        if not args.keep:
            setup_.drop_database(args.database_url, database_url)
            shutil.rmtree(folder, ignore_errors=True)
        else:
            print(f"kept: database {database_url}, folder {folder}", file=sys.stderr)  # (the summary stays the last line)


if __name__ == "__main__":
    sys.exit(main())
