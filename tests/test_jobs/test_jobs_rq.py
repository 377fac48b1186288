"""Jobs on RQ: the web app queues the job in Redis and returns at once; a real ``ownersvote
worker --burst`` process runs it against the same database and files, and the organiser
downloads the result.

Needs Redis at OWNERSVOTE_TEST_REDIS_URL (default redis://127.0.0.1:6379/15); without it these
tests are skipped with a message, except in CI (CI=true), where that fails.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.factories import GOOD, IN_CI, postgres_database

pytestmark = pytest.mark.redis
ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("OWNERSVOTE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
HOWTO = (
    "Redis not reachable at {url} ({error}); the RQ tests are skipped. Start Redis "
    "(redis-server --daemonize yes --port 6379 --save '') or set OWNERSVOTE_TEST_REDIS_URL; CI runs them."
)


@pytest.fixture(scope="module")
def redis_url():
    from redis import Redis

    try:
        Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except Exception as exc:
        message = HOWTO.format(url=REDIS_URL, error=type(exc).__name__)
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return REDIS_URL


@pytest.fixture
def worker_database(database_url, tmp_path):
    """A database of its own, committed for real: a worker process cannot see a test's
    rolled-back transaction.  The same backend as the test run's."""
    from webapp.core.migrate import upgrade

    if database_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'rq.sqlite3'}"
        upgrade(url)
        yield url
    else:
        for url in postgres_database():
            upgrade(url)
            yield url


@pytest.fixture
def rq_app(worker_database, redis_url, instance_dir, tmp_path):
    from webapp import create_app
    from webapp.core.db import db
    from webapp.core.extensions import limiter

    queue_name = f"ownersvote-test-{uuid.uuid4().hex[:8]}"  # never another run's jobs
    # The limiter is one object for every app: this app's RATELIMIT_ENABLED=False switches it off
    # for the session's app too, so it is switched back when this app is done.
    limiting = limiter.enabled
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": worker_database,
            "OWNERSVOTE_REDIS_URL": redis_url,
            "OWNERSVOTE_JOB_QUEUE": queue_name,
            "OWNERSVOTE_JOB_FILES": str(tmp_path / "jobs"),
            "RATELIMIT_ENABLED": False,
        }
    )
    app.env_for_worker = {
        **os.environ,
        "OWNERSVOTE_DATABASE_URL": worker_database,
        "OWNERSVOTE_REDIS_URL": redis_url,
        "OWNERSVOTE_JOB_QUEUE": queue_name,
        "OWNERSVOTE_JOB_FILES": str(tmp_path / "jobs"),
    }
    yield app
    from redis import Redis

    redis = Redis.from_url(redis_url)
    for key in redis.scan_iter(f"*{queue_name}*"):  # the queue, its registries, its jobs and results
        redis.delete(key)
    redis.srem("rq:queues", f"rq:queue:{queue_name}")
    with app.app_context():
        db.engine.dispose()
    limiter.enabled = limiting


@pytest.fixture
def organiser(rq_app):
    from webapp.auth.operations import assign_role, create_staff
    from webapp.core.db import db
    from webapp.core.roles import Role
    from webapp.estates.operations import create_estate
    from webapp.registry.importing import import_file

    with rq_app.app_context():
        estate = create_estate("rq-estate", "队列小区", actor="test")
        import_file(estate, GOOD, "r.csv", actor="test")
        user = create_staff("rq-organiser", "RQ Organiser", "correct horse battery", actor="test")
        assign_role(user, estate, Role.organiser, actor="test")
        db.session.commit()
    client = rq_app.test_client()
    token = lambda: re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get("/").get_data(as_text=True)).group(1)  # noqa: E731
    response = client.post("/login", data={"username": "rq-organiser", "password": "correct horse battery", "csrf_token": token()})
    assert response.status_code == 302
    client.csrf = token
    return client


def run_worker(app) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "webapp.cli", "worker", "--burst"],
        cwd=ROOT,
        env=app.env_for_worker,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_a_letters_job_is_queued_in_redis_at_once_and_a_real_worker_runs_it(rq_app, organiser):
    from webapp.core.db import db
    from webapp.jobs.models import Job
    from webapp.jobs.runner import job_queue
    from webapp.owners.models import Invitation

    response = organiser.post("/e/rq-estate/letters", data={"building": "all", "csrf_token": organiser.csrf()})
    assert response.status_code == 303  # answered with the job still queued: the request did no work
    status = organiser.get(response.headers["Location"] + "/status").get_json()
    assert status["state"] == "queued"
    with rq_app.app_context():
        job = db.session.scalar(select(Job))
        assert job.runner == "rq"
        assert job_queue(rq_app).count == 1
        assert db.session.scalar(select(func.count()).select_from(Invitation)) == 0

    worker = run_worker(rq_app)
    assert worker.returncode == 0, worker.stderr[-3000:]

    status = organiser.get(response.headers["Location"] + "/status").get_json()
    assert status["state"] == "done", status
    assert status["percent"] == 100, status
    assert re.fullmatch(r"letters-rq-estate-\d{8}\.pdf", status["result_name"])
    pdf = organiser.get(status["download_url"]).data
    assert pdf.startswith(b"%PDF")
    assert hashlib.sha256(pdf).hexdigest() == status["sha256"]
    with rq_app.app_context():
        job = db.session.scalar(select(Job))
        assert job.worker
        assert job.worker.split(":")[1] != str(os.getpid())
        assert db.session.scalar(select(func.count()).select_from(Invitation).where(Invitation.state == "active")) == 6


def test_a_job_failing_on_the_worker_is_stored_as_failed_and_retried_on_request(rq_app, organiser):
    """The worker process runs it and fails it (its unit was not found); once the cause is
    mended, a retry queues a new attempt, which the next worker run completes."""
    from webapp.core.db import db
    from webapp.jobs.models import Job
    from webapp.jobs.runner import job_queue

    response = organiser.post("/e/rq-estate/letters", data={"units": "1-101", "csrf_token": organiser.csrf()})
    location = response.headers["Location"]
    with rq_app.app_context():
        job = db.session.scalar(select(Job))
        unit_ids = job.params["unit_ids"]
        job.params = {**job.params, "unit_ids": [10**9]}  # a unit no longer in the registry
        db.session.commit()
    assert run_worker(rq_app).returncode == 0
    status = organiser.get(location + "/status").get_json()
    assert status["state"] == "failed"
    assert "没有可以打印信件的房屋" in status["error"]

    with rq_app.app_context():
        job = db.session.scalar(select(Job))
        job.params = {**job.params, "unit_ids": unit_ids}
        db.session.commit()
    response = organiser.post(location + "/retry", data={"csrf_token": organiser.csrf()})
    assert response.status_code == 303
    with rq_app.app_context():
        assert job_queue(rq_app).count == 1
    assert run_worker(rq_app).returncode == 0
    status = organiser.get(location + "/status").get_json()
    assert status["state"] == "done"
    assert status["attempt"] == 2
    assert status["result_name"].startswith("letters-rq-estate-1-101-")
