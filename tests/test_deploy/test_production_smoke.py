"""The production layout of docs/deployment.md on one machine: tools/production_smoke.py starts two
gunicorn processes and an RQ worker on PostgreSQL and Redis, checks that they share sessions, rate
limits, jobs and files behind a (simulated) TLS proxy, and stops everything it started.

Needs PostgreSQL (OWNERSVOTE_TEST_PG_URL, default postgresql+psycopg://postgres@127.0.0.1:5432/test)
and Redis (OWNERSVOTE_TEST_REDIS_URL, default redis://127.0.0.1:6379/15); without them it is
skipped with a message, except in CI (CI=true), where that fails.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.factories import IN_CI

pytestmark = [pytest.mark.postgres, pytest.mark.redis]
ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tools" / "production_smoke.py"
HOWTO = (
    "{reason}; the production smoke test is skipped. Start PostgreSQL (pg_ctlcluster --skip-systemctl-redirect 15 main start) "
    "and Redis (redis-server --daemonize yes --port 6379 --save ''), or set OWNERSVOTE_TEST_PG_URL and OWNERSVOTE_TEST_REDIS_URL; "
    "by hand: .venv/bin/python tools/production_smoke.py; CI runs it."
)


def test_two_gunicorn_processes_and_a_worker_share_sessions_limits_and_jobs_and_all_stop_afterwards():
    process = subprocess.Popen([sys.executable, str(SCRIPT)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        output, _ = process.communicate(timeout=240)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGTERM)  # the script stops what it started, then exits
        output, _ = process.communicate(timeout=60)
        pytest.fail("the smoke test took more than 4 minutes:\n" + output[-5000:])
    if process.returncode == 2:
        reason = next((line for line in output.splitlines() if line.startswith("cannot run:")), output.strip()[-300:])
        message = HOWTO.format(reason=reason.removeprefix("cannot run: "))
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    assert process.returncode == 0, output[-8000:]
    for step in range(1, 7):
        assert re.search(rf"^ok  {step}\. ", output, re.M), f"step {step} missing:\n{output}"

    # Everything it started has stopped: the gunicorn masters (and so their workers) and the worker.
    pids = [int(pid) for pid in re.findall(r"^  started \S+ \(pid (\d+)\)$", output, re.M)]
    assert len(pids) == 3, output
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    assert re.search(r"^  dropped database ownersvote_smoke_\w+$", output, re.M), output
