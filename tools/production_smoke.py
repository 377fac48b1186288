#!/usr/bin/env python3
"""Start OwnersVote's production layout on one machine, smoke-test it, and stop it again.

    .venv/bin/python tools/production_smoke.py [--pg-url URL] [--redis-url URL] [--workers N] [--keep]

What it starts (docs/deployment.md describes the same layout on several machines):

- a fresh PostgreSQL database on the server at ``--pg-url`` (default: OWNERSVOTE_TEST_PG_URL, else
  postgresql+psycopg://postgres@127.0.0.1:5432/test), migrated with ``ownersvote init``, with a
  small estate, its registry and an organiser made with the ``ownersvote`` commands;
- two gunicorn processes (``webapp.app:create_app()`` with tools/deploy/gunicorn.conf.py, ``--workers``
  each; log files and address set on the command line) on two loopback ports, in production mode (``OWNERSVOTE_ENV=production``, generated secrets, ``OWNERSVOTE_PROXY_HOPS=1``);
- one ``ownersvote worker`` (RQ) on a queue of its own in Redis at ``--redis-url`` (default:
  OWNERSVOTE_TEST_REDIS_URL, else redis://127.0.0.1:6379/15), sharing the file folders.

The script plays the TLS proxy: every request carries X-Forwarded-For/-Proto/-Host as nginx would
send them.  It then checks

1. ``/healthz`` answers on both processes;
2. an organiser who signs in on one process is signed in on the other with the same cookie
   (sessions live in Redis), and signing out on one ends the session on both;
3. a rate limit (``/r/<token>``, 30 a minute per client address) counts requests to both
   processes together, per forwarded client address;
4. a QR-letters job started through the web is queued in Redis, run by the worker, and its PDF
   downloads from the other process (the job folder is shared);
5. the access logs name the forwarded client addresses and hold no letter token and no cookie.

Everything it started is stopped (also on failure, Ctrl+C or SIGTERM): the processes, the
database, the Redis keys of its queue, sessions and rate limits, and the temporary folder (kept
with ``--keep``).  Exit status: 0 passed, 1 a check failed, 2 PostgreSQL or Redis unreachable.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import ctypes
import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HOST = "ownersvote.example"  # what the proxy says the public host is (X-Forwarded-Host)
SLUG = "smoke"
PASSWORD = "smoke-organiser-" + secrets.token_hex(8)
COOKIE = "__Host-ownersvote"
SESSION_PREFIX = "ownersvote:session:"


class SmokeFailed(Exception):
    pass


class Unreachable(Exception):
    pass


def say(message: str) -> None:
    print(message, flush=True)


def check(condition: bool, message: str) -> None:
    if not condition:
        raise SmokeFailed(message)


# --------------------------------------------------------------------------------------------
# Processes


def _die_with_parent() -> None:
    """Children get SIGTERM if this script dies, even by SIGKILL (Linux prctl PR_SET_PDEATHSIG)."""
    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)


class Processes:
    def __init__(self, logs: Path):
        self.logs = logs
        self.started: list[tuple[str, subprocess.Popen]] = []

    def start(self, name: str, argv: list[str], env: dict) -> subprocess.Popen:
        # The child keeps its own copy of the descriptor: ours closes once it has started.
        with open(self.logs / f"{name}.out", "wb") as log:
            process = subprocess.Popen(
                argv,
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                preexec_fn=_die_with_parent if sys.platform == "linux" else None,
            )
        self.started.append((name, process))
        say(f"  started {name} (pid {process.pid})")
        return process

    def alive(self) -> None:
        for name, process in self.started:
            if process.poll() is not None:
                raise SmokeFailed(f"{name} exited with status {process.returncode}; see {self.logs / (name + '.out')}")

    def stop(self) -> None:
        """SIGTERM to each process group (gunicorn and RQ shut down gracefully), SIGKILL after 15 s."""
        for _name, process in self.started:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for name, process in self.started:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                say(f"  {name} did not stop in time: killed")
            # whatever is left of the group (gunicorn workers, an RQ work horse)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=5)
            say(f"  stopped {name} (pid {process.pid})")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_cli(env: dict, *args: str) -> str:
    result = subprocess.run([sys.executable, "-m", "webapp.cli", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise SmokeFailed(f"ownersvote {' '.join(args[:2])} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result.stdout


# --------------------------------------------------------------------------------------------
# HTTP through the "proxy"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


class Browser:
    """One person's browser behind the TLS proxy: one client address, one cookie jar."""

    def __init__(self, address: str, seen_sessions: set[str]):
        self.address = address
        self.cookies: dict[str, str] = {}
        self.seen_sessions = seen_sessions

    def request(self, base: str, path: str, data: dict | None = None, *, method: str | None = None, cookies: bool = True):
        headers = {
            "X-Forwarded-For": self.address,
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Host": HOST,
            "User-Agent": "ownersvote-production-smoke",
        }
        body = None
        if data is not None:
            body = urllib.parse.urlencode(data).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = f"https://{HOST}{path}"  # CSRF over HTTPS checks the referrer
        if cookies and self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        request = urllib.request.Request(base + path, data=body, headers=headers, method=method or ("POST" if data is not None else "GET"))
        try:
            response = _OPENER.open(request, timeout=30)
        except urllib.error.HTTPError as error:
            response = error
        with response:
            content = response.read()
            status = response.status if hasattr(response, "status") else response.code
            for header in response.headers.get_all("Set-Cookie") or []:
                name, _, rest = header.partition("=")
                value = rest.split(";", 1)[0]
                if name == COOKIE:
                    self.seen_sessions.add(value)
                if cookies:
                    if value and "Max-Age=0" not in header and "expires=Thu, 01 Jan 1970" not in header:
                        self.cookies[name] = value
                    else:
                        self.cookies.pop(name, None)
            return status, response.headers, content

    def csrf(self, base: str, path: str) -> str:
        status, _headers, content = self.request(base, path)
        check(status == 200, f"GET {path} answered {status}")
        found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', content.decode()) or re.search(
            r'name="csrf-token" content="([^"]+)"', content.decode()
        )
        check(found is not None, f"no CSRF token on {path}")
        return found.group(1)


def wait_healthy(base: str, processes: Processes, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        processes.alive()
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=5) as response:
                return json.loads(response.read())
        except (OSError, ValueError) as exc:
            last = exc
            time.sleep(0.3)
    raise SmokeFailed(f"{base}/healthz did not answer within {timeout:.0f} s ({last})")


# --------------------------------------------------------------------------------------------
# Set-up of services


def reach_postgres(url: str):
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin_url = make_url(url)
    try:
        engine = create_engine(admin_url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        raise Unreachable(f"PostgreSQL not reachable at {admin_url.render_as_string(hide_password=True)} ({type(exc).__name__})") from None
    return engine, admin_url


def reach_redis(url: str):
    from redis import Redis

    client = Redis.from_url(url, socket_connect_timeout=3)
    try:
        client.ping()
    except Exception as exc:
        raise Unreachable(f"Redis not reachable at {url} ({type(exc).__name__})") from None
    return client


def registry_csv(path: Path) -> None:
    """Eight flats of the demo registry's building 2 (real-looking names and valid ID numbers)."""
    import csv

    from webapp.demo.registry import demo_rows

    rows = [r for r in demo_rows() if r["楼栋"] == "2"][:8]
    with path.open("w", newline="", encoding="utf-8-sig") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


# --------------------------------------------------------------------------------------------
# The smoke test


def smoke(a: str, b: str, database_url: str, logs: Path, processes: Processes, seen: set[str], addresses: list[str]) -> None:
    t0 = time.monotonic()

    # 1. Health on both processes.
    for base in (a, b):
        status, _h, content = Browser("192.0.2.1", seen).request(base, "/healthz")
        check(status == 200 and json.loads(content) == {"status": "ok"}, f"{base}/healthz answered {status} {content[:200]!r}")
    say(f"ok  1. /healthz answers on both processes ({time.monotonic() - t0:.1f} s)")

    # 2. Sign in on A, use the session on B.
    organiser = Browser(addresses[0], seen)
    token = organiser.csrf(a, "/login")
    status, headers, _c = organiser.request(a, "/login", {"username": "smoke-organiser", "password": PASSWORD, "csrf_token": token})
    check(status == 302, f"login on process A answered {status}")
    check(COOKIE in organiser.cookies, f"no {COOKIE} cookie after login (cookies: {sorted(organiser.cookies)})")
    set_cookie = " ".join(headers.get_all("Set-Cookie") or [])
    check("Secure" in set_cookie and "HttpOnly" in set_cookie, f"the session cookie is not Secure and HttpOnly: {set_cookie}")
    status, _h, content = organiser.request(b, f"/e/{SLUG}/letters")
    check(status == 200 and 'name="building"' in content.decode(), f"process B did not know the session made on A (status {status})")
    status, headers, _c = Browser(addresses[0], seen).request(b, f"/e/{SLUG}/letters")
    check(status == 302 and "/login" in headers.get("Location", ""), f"process B served a staff page without a session ({status})")
    say(f"ok  2. signed in on A ({a}), the same cookie is signed in on B ({b}) ({time.monotonic() - t0:.1f} s)")

    # 3. One rate limit across both processes, per forwarded client address.
    scanner = Browser(addresses[1], seen)
    fake_token = secrets.token_urlsafe(32)
    codes = []
    for n in range(30):
        status, _h, _c = scanner.request((a, b)[n % 2], f"/r/{fake_token}", cookies=False)
        codes.append(status)
    check(set(codes) == {303}, f"the first 30 letter scans were not all answered 303: {codes}")
    over_a, _h, _c = scanner.request(a, f"/r/{fake_token}", cookies=False)
    over_b, _h, _c = scanner.request(b, f"/r/{fake_token}", cookies=False)
    check(over_a == 429 and over_b == 429, f"the 31st and 32nd scans (15 had gone to each process) answered {over_a}, {over_b}, not 429")
    other, _h, _c = Browser(addresses[2], seen).request(a, f"/r/{fake_token}", cookies=False)
    check(other == 303, f"another client address was limited too ({other}): the limit is not per forwarded address")
    say(f"ok  3. 30 scans a minute per client address, counted across both processes in Redis ({time.monotonic() - t0:.1f} s)")

    # 4. A background job: queued through B, run by the worker, downloaded from A.
    token = organiser.csrf(b, f"/e/{SLUG}/letters")
    status, headers, _c = organiser.request(b, f"/e/{SLUG}/letters", {"building": "all", "csrf_token": token})
    check(status == 303 and "/jobs/" in headers.get("Location", ""), f"starting the letters job answered {status}")
    job_path = urllib.parse.urlsplit(headers["Location"]).path
    deadline, state = time.monotonic() + 90, {}
    while time.monotonic() < deadline:
        processes.alive()
        status, _h, content = organiser.request(a, job_path + "/status")
        check(status == 200, f"the job's status answered {status} on A")
        state = json.loads(content)
        if state.get("state") in ("done", "failed"):
            break
        time.sleep(0.5)
    check(state.get("state") == "done", f"the letters job did not finish: {state}")
    status, _h, pdf = organiser.request(a, urllib.parse.urlsplit(state["download_url"]).path)
    check(
        status == 200 and pdf.startswith(b"%PDF") and hashlib.sha256(pdf).hexdigest() == state["sha256"],
        f"the letters PDF did not download from A (status {status}, {len(pdf)} bytes)",
    )
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            runner, worker = conn.execute(text("SELECT runner, worker FROM jobs ORDER BY id DESC LIMIT 1")).one()
    finally:
        engine.dispose()
    web_pids = {str(p.pid) for name, p in processes.started if name.startswith("web")}
    check(
        runner == "rq" and worker and worker.split(":")[-1] not in web_pids,
        f"the job was not run by the RQ worker (runner {runner}, worker {worker})",
    )
    say(
        f"ok  4. letters job queued on B, run by the RQ worker ({worker}), {len(pdf)} bytes downloaded from A ({time.monotonic() - t0:.1f} s)"
    )

    # 2b. Signing out on B ends the session on A too.
    token = organiser.csrf(b, f"/e/{SLUG}/letters")
    old_cookie = dict(organiser.cookies)
    status, _h, _c = organiser.request(b, "/logout", {"csrf_token": token})
    check(status == 302, f"logout on B answered {status}")
    organiser.cookies = old_cookie  # a saved copy of the cookie is worth nothing now
    status, headers, _c = organiser.request(a, f"/e/{SLUG}/letters")
    check(status == 302 and "/login" in headers.get("Location", ""), f"after logout on B, A still served the session ({status})")
    say(f"ok  5. signed out on B: the saved cookie is refused on A ({time.monotonic() - t0:.1f} s)")

    # 6. Access logs: forwarded addresses in, tokens and cookies out.
    text_logs = "".join(p.read_text(errors="replace") for p in sorted(logs.glob("web-*.access.log")))
    check(addresses[1] in text_logs, "the access logs do not name the forwarded client address")
    check(fake_token not in text_logs and "/r/[redacted]" in text_logs, "a letter token reached an access log")
    leaked = [s for s in seen if s and s in text_logs]
    check(not leaked and COOKIE not in text_logs, "a session cookie reached an access log")
    check(PASSWORD not in text_logs, "the password reached an access log")
    say(
        f"ok  6. access logs: {text_logs.count(chr(10))} lines with forwarded addresses, no token, cookie or password ({time.monotonic() - t0:.1f} s)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("OWNERSVOTE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"),
        help="a PostgreSQL URL whose user may create databases (a fresh one is made and dropped)",
    )
    parser.add_argument("--redis-url", default=os.environ.get("OWNERSVOTE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15"))
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per process (default 2)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs, files) afterwards")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))

    def terminate(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, terminate)
    started = time.monotonic()
    try:
        admin, admin_url = reach_postgres(args.pg_url)
        redis = reach_redis(args.redis_url)
    except Unreachable as exc:
        say(f"cannot run: {exc}")
        return 2

    run_id = secrets.token_hex(4)
    folder = Path(tempfile.mkdtemp(prefix=f"ownersvote-smoke-{run_id}-"))
    logs = folder / "logs"
    logs.mkdir()
    database = f"ownersvote_smoke_{run_id}"
    queue = f"ownersvote-smoke-{run_id}"
    processes = Processes(logs)
    seen_sessions: set[str] = set()
    # Client addresses as the proxy forwards them (TEST-NET-2/3), different on every run.
    addresses = [
        f"198.51.100.{secrets.randbelow(250) + 1}",
        f"203.0.113.{secrets.randbelow(125) + 1}",
        f"203.0.113.{secrets.randbelow(125) + 128}",
    ]
    database_url = admin_url.set(database=database).render_as_string(hide_password=False)
    created = False
    outcome = 1
    try:
        from sqlalchemy import text

        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{database}"'))
        created = True
        env = {k: v for k, v in os.environ.items() if not k.startswith("OWNERSVOTE_")}
        env.update(
            {
                "OWNERSVOTE_ENV": "production",
                "OWNERSVOTE_DATABASE_URL": database_url,
                "OWNERSVOTE_SECRET_KEY": secrets.token_hex(32),
                "OWNERSVOTE_PII_HMAC_KEY": secrets.token_hex(32),
                "OWNERSVOTE_SERVER_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
                "OWNERSVOTE_REDIS_URL": args.redis_url,
                "OWNERSVOTE_JOB_QUEUE": queue,
                "OWNERSVOTE_INSTANCE_PATH": str(folder / "instance"),
                "OWNERSVOTE_FILES_PATH": str(folder / "shared" / "files"),
                "OWNERSVOTE_JOB_FILES": str(folder / "shared" / "jobs"),
                "OWNERSVOTE_PROXY_HOPS": "1",
                # production refuses the console backend; no estate here asks for SMS, so nothing is sent
                "OWNERSVOTE_SMS_BACKEND": "http",
                "OWNERSVOTE_SMS_URL": "http://127.0.0.1:9/unused",
                "OWNERSVOTE_BASE_URL": f"https://{HOST}",
                "PYTHONUNBUFFERED": "1",
            }
        )
        say(f"production layout in {folder} (database {database}, queue {queue})")
        run_cli(env, "init")
        run_cli(env, "estate", "create", "--slug", SLUG, "--name", "冒烟测试小区")
        registry_csv(folder / "registry.csv")
        run_cli(env, "import-registry", SLUG, str(folder / "registry.csv"))
        run_cli(env, "staff", "create", "--username", "smoke-organiser", "--name", "冒烟测试组织者", "--password", PASSWORD)
        run_cli(env, "staff", "grant", "smoke-organiser", SLUG, "organiser")
        say(f"  database migrated, estate, registry and organiser made ({time.monotonic() - started:.1f} s)")

        bases = []
        for name in ("web-a", "web-b"):
            port = free_port()
            processes.start(
                name,
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "-c",
                    str(ROOT / "tools" / "deploy" / "gunicorn.conf.py"),
                    "--workers",
                    str(args.workers),
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--access-logfile",
                    str(logs / f"{name}.access.log"),
                    "--error-logfile",
                    str(logs / f"{name}.error.log"),
                    "--graceful-timeout",
                    "10",
                    "webapp.app:create_app()",
                ],
                env,
            )
            bases.append(f"http://127.0.0.1:{port}")
        processes.start("worker", [sys.executable, "-m", "webapp.cli", "worker"], env)
        for base in bases:
            wait_healthy(base, processes)
        say(f"  both gunicorn processes answer ({time.monotonic() - started:.1f} s)")
        smoke(bases[0], bases[1], database_url, logs, processes, seen_sessions, addresses)
        outcome = 0
    except SmokeFailed as exc:
        say(f"FAILED: {exc}")
        for path in sorted(logs.glob("*")):
            lines = path.read_text(errors="replace").splitlines()[-15:]
            if lines:
                say(f"--- {path.name} (last lines)\n" + "\n".join(lines))
    except KeyboardInterrupt as exc:
        say(f"interrupted ({exc}): stopping")
        outcome = 1
    finally:
        say("stopping")
        processes.stop()
        try:
            for key in redis.scan_iter(f"*{queue}*", count=1000):
                redis.delete(key)
            redis.srem("rq:queues", f"rq:queue:{queue}")
            for key in redis.scan_iter("rq:worker:*", count=1000):  # the worker's record (RQ keeps it a minute)
                if queue.encode() in (redis.hget(key, "queues") or b""):
                    redis.delete(key)
                    redis.srem("rq:workers", key)
            for sid in seen_sessions:
                redis.delete(SESSION_PREFIX + hashlib.sha256(sid.encode()).hexdigest())
            for address in addresses:
                for key in redis.scan_iter(f"LIMITS*{address}*", count=1000):
                    redis.delete(key)
        except Exception as exc:  # noqa: BLE001  (cleaning up must not hide the outcome)
            say(f"  could not remove every Redis key ({type(exc).__name__}: {exc})")
        if created:
            from sqlalchemy import text

            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
            say(f"  dropped database {database}")
        admin.dispose()
        if args.keep:
            say(f"  kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    say(("PASSED" if outcome == 0 else "FAILED") + f" in {time.monotonic() - started:.1f} s")
    return outcome


if __name__ == "__main__":
    sys.exit(main())
