"""Jobs whose worker died (issue 18, item 5), with real ``ownersvote worker`` processes: a job left
``running`` by a killed worker is marked failed when a worker starts, and every so often after by
a scheduled sweep, judged by the database's clock, without anyone opening its page; and a worker
leaves no process of its own behind once it has run a letters job.

Needs Redis (as tests/test_jobs/test_jobs_rq.py, whose fixtures it uses)."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.test_jobs.test_jobs_rq import ROOT, run_worker

pytestmark = pytest.mark.redis


def left_running(app, *, silent_for: timedelta) -> int:
    """A letters job its worker was killed in: running, its last heartbeat ``silent_for`` ago by
    the database's clock."""
    from webapp.core.db import db, db_now
    from webapp.estates.operations import get_estate
    from webapp.jobs import operations as ops

    with app.app_context():
        now = db_now()
        job = ops.start_job(get_estate("rq-estate"), "letters", {"unit_ids": []}, actor="test", runner="rq")
        job.state, job.started_at, job.heartbeat_at, job.worker = "running", now - silent_for, now - silent_for, "gone:1"
        db.session.commit()
        return job.id


def state_of(app, job_id: int) -> tuple[str, str | None]:
    from webapp.core.db import db
    from webapp.jobs.models import Job

    with app.app_context():
        db.session.remove()
        row = db.session.execute(select(Job.state, Job.error_en).where(Job.id == job_id)).one()
        db.session.remove()
        return row.state, row.error_en


def test_a_starting_worker_marks_failed_the_job_its_dead_predecessor_left_running(rq_app, organiser):
    dead = left_running(rq_app, silent_for=timedelta(minutes=5))
    alive = left_running(rq_app, silent_for=timedelta(seconds=10))
    worker = run_worker(rq_app)
    assert worker.returncode == 0, worker.stderr[-3000:]
    assert "1 job(s) whose worker is gone marked failed" in worker.stdout
    state, error = state_of(rq_app, dead)
    assert state == "failed"
    assert "stopped responding" in error
    assert state_of(rq_app, alive)[0] == "running"  # another worker's job, still beating


def test_a_running_worker_sweeps_dead_jobs_every_so_often_by_itself(rq_app, organiser):
    env = {**rq_app.env_for_worker, "OWNERSVOTE_JOB_SWEEP_EVERY": "1", "PYTHONUNBUFFERED": "1"}
    worker = subprocess.Popen(
        [sys.executable, "-m", "webapp.cli", "worker"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        for line in worker.stdout:  # its start (and the sweep at its start) is over
            if line.startswith("ownersvote worker: queue"):
                break
        # A job whose worker dies after this one started: only a later sweep can see it.
        job = left_running(rq_app, silent_for=timedelta(minutes=5))
        for _ in range(600):
            if state_of(rq_app, job)[0] == "failed" or worker.poll() is not None:
                break
            time.sleep(0.2)
        assert state_of(rq_app, job)[0] == "failed"
    finally:
        worker.terminate()
        output, _ = worker.communicate(timeout=60)
    assert worker.returncode is not None, output[-3000:]


def test_a_worker_leaves_no_process_behind_after_a_letters_job(rq_app, organiser):
    """The work horse's children (a QR pool once) must end with it: nothing of the worker's
    session is left once it has exited."""
    response = organiser.post("/e/rq-estate/letters", data={"building": "all", "csrf_token": organiser.csrf()})
    assert response.status_code == 303
    worker = subprocess.Popen(
        [sys.executable, "-m", "webapp.cli", "worker", "--burst"],
        cwd=ROOT,
        env=rq_app.env_for_worker,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own session: whatever it starts is in it
    )
    output, _ = worker.communicate(timeout=300)
    assert worker.returncode == 0, output[-3000:]
    assert organiser.get(response.headers["Location"] + "/status").get_json()["state"] == "done"
    left = subprocess.run(["ps", "-o", "pid=,args=", "-s", str(worker.pid)], capture_output=True, text=True).stdout.strip()
    assert left == ""
