"""Logs never hold a letter token, a code or a cookie, and gunicorn's access log works."""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from webapp.core.logging import RedactSecrets


def _record(msg, args, exc_info=None):
    return logging.LogRecord("gunicorn.access", logging.INFO, __file__, 1, msg, args, exc_info)


def test_the_filter_keeps_gunicorns_mapping_of_atoms_a_mapping():
    token = secrets.token_urlsafe(32)
    atoms = {"h": "10.0.0.1", "r": f"GET /r/{token} HTTP/1.1", "s": "303", "{cookie}i": "ownersvote_session=abc123secret"}
    record = _record('%(h)s "%(r)s" %(s)s %({cookie}i)s', atoms)
    RedactSecrets().filter(record)
    line = record.getMessage()
    assert token not in line
    assert "abc123secret" not in line
    assert line.startswith('10.0.0.1 "GET /r/[redacted] HTTP/1.1" 303')


def test_the_filter_redacts_tuples_query_codes_and_tracebacks():
    token = secrets.token_urlsafe(32)
    record = _record("%s %s", (f"/r/{token}", "/r?code=ABCD-EFGH-JKMN"))
    RedactSecrets().filter(record)
    assert token not in record.getMessage()
    assert "ABCD-EFGH" not in record.getMessage()
    try:
        raise RuntimeError(f"failed on /r/{token} with Cookie: ownersvote_session=zzz")
    except RuntimeError:
        failing = _record("Exception on %s", (f"/r/{token}",), sys.exc_info())
    RedactSecrets().filter(failing)
    assert token not in failing.exc_text
    assert "zzz" not in failing.exc_text


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_filter_keeps_gunicorns_own_mapping_so_a_header_the_request_did_not_send_logs_a_dash():
    from gunicorn.glogging import SafeAtoms

    token = secrets.token_urlsafe(32)
    atoms = SafeAtoms({"r": f"GET /r/{token} HTTP/1.1", "s": "303", "{cookie}i": "__Host-ownersvote=abc123secret"})
    record = _record('%({x-forwarded-for}i)s "%(r)s" %(s)s %({cookie}i)s', atoms)
    RedactSecrets().filter(record)
    line = record.getMessage()
    assert line.startswith('- "GET /r/[redacted] HTTP/1.1" 303 ')
    assert token not in line
    assert "abc123secret" not in line


def test_gunicorns_access_log_works_with_two_workers_and_holds_no_secret(tmp_path):
    from webapp.core.migrate import upgrade

    database = f"sqlite:///{tmp_path / 'app.sqlite3'}"
    upgrade(database)
    port = _free_port()
    access, errors = tmp_path / "access.log", tmp_path / "error.log"
    env = {**os.environ, "OWNERSVOTE_DATABASE_URL": database, "OWNERSVOTE_INSTANCE_PATH": str(tmp_path / "instance")}
    env.pop("OWNERSVOTE_ENV", None)
    gunicorn = Path(sys.executable).with_name("gunicorn")
    server = subprocess.Popen(
        [
            str(gunicorn),
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "--access-logfile",
            str(access),
            "--error-logfile",
            str(errors),
            "--access-logformat",
            '%(h)s "%(r)s" %(s)s "%(a)s" %({cookie}i)s',
            "webapp.app:create_app()",
        ],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    token = secrets.token_urlsafe(32)
    cookie = "ownersvote_session=" + secrets.token_urlsafe(32)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("gunicorn did not start: " + errors.read_text())
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
        for path in (f"/r/{token}", "/r?code=ABCD-EFGH-JKMN", "/healthz", "/no/such/page"):
            request = urllib.request.Request(base + path, headers={"Cookie": cookie})
            with contextlib.suppress(urllib.error.HTTPError):
                opener.open(request, timeout=5)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=20)
    log = access.read_text()
    lines = [line for line in log.splitlines() if line.strip()]
    assert len(lines) >= 5, log  # every request has its line (the health checks too)
    assert any('"GET /r/[redacted] HTTP/1.1" 303' in line for line in lines)
    assert any('"GET /no/such/page HTTP/1.1" 404' in line for line in lines)
    everything = log + errors.read_text()
    assert token not in everything
    assert cookie.split("=", 1)[1] not in everything
    assert "ABCD-EFGH" not in everything
    assert "Logging error" not in everything
    assert "TypeError" not in everything
