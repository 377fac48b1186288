"""Readiness and metrics (issue 18, item 3): /healthz is liveness only; /readyz answers 503 with
what is wrong; an old schema is refused at every page; /metrics only to the operator's network."""

from __future__ import annotations

import socket
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from webapp.core import readiness


@pytest.fixture(autouse=True)
def _fresh_schema_memory():
    readiness._schema_seen.update(ok=False, at=0.0, app=None)
    yield
    readiness._schema_seen.update(ok=False, at=0.0, app=None)


def test_readyz_answers_200_with_every_check_when_all_is_well(client):
    response = client.get("/readyz")
    assert response.status_code == 200, response.get_json()
    checks = response.get_json()["checks"]
    assert set(checks) >= {"database", "schema", "redis", "file store", "server key"}
    assert set(checks.values()) == {"ok"}


def test_a_file_store_that_cannot_be_written_makes_the_process_not_ready(app, client, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    app.config["OWNERSVOTE_FILES_PATH"] = str(blocker / "files")
    try:
        response = client.get("/readyz")
    finally:
        app.config["OWNERSVOTE_FILES_PATH"] = None
    assert response.status_code == 503
    # Nothing can be there, not even its marker: taken for a share that is not mounted.
    assert "its marker .ownersvote-store is missing" in response.get_json()["checks"]["file store"]
    assert client.get("/healthz").status_code == 200  # alive all the same


def test_redis_down_makes_the_process_not_ready(app, client):
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    app.config.update(OWNERSVOTE_REDIS_URL=f"redis://127.0.0.1:{port}/0", OWNERSVOTE_JOB_RUNNER="inline")
    try:
        response = client.get("/readyz")
    finally:
        app.config["OWNERSVOTE_REDIS_URL"] = None
    assert response.status_code == 503
    assert "ConnectionError" in response.get_json()["checks"]["redis"]


def test_a_database_that_does_not_answer_in_time_is_reported_not_waited_for(app, client, monkeypatch):
    release = threading.Event()
    monkeypatch.setattr(readiness, "_database", lambda app: release.wait(30) and None)
    # A pool of this test's own, ended before the test is: the check left waiting goes on to
    # query the database once released, and must not do so on the next test's connection.
    pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="ownersvote-ready-test")
    monkeypatch.setattr(readiness, "_pool", pool)
    app.config["OWNERSVOTE_READY_TIMEOUT"] = 0.2
    try:
        response = client.get("/readyz")
    finally:
        release.set()
        pool.shutdown(wait=True)
        app.config["OWNERSVOTE_READY_TIMEOUT"] = 2.0
    assert response.status_code == 503
    assert response.get_json()["checks"]["database"] == "no answer within 0.2 s"


def test_an_old_schema_is_refused_at_every_page_and_named_by_readyz(client, monkeypatch):
    monkeypatch.setattr(readiness, "schema_state", lambda: ("0001_old", "5a1d2c3e4f60"))
    page = client.get("/")
    assert page.status_code == 503
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert "ownersvote init" in ready.get_json()["checks"]["schema"]
    assert client.get("/healthz").status_code == 200


def test_metrics_are_served_to_the_allowed_network_only(app, client):
    client.get("/")
    page = client.get("/metrics")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert 'ownersvote_http_requests_total{endpoint="estates.index",method="GET",status="200"}' in text
    assert "ownersvote_http_request_duration_seconds_bucket" in text
    assert "ownersvote_db_pool_connections_in_use" in text
    assert "ownersvote_jobs" in text
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.5"}).status_code == 404
    app.config["OWNERSVOTE_METRICS_ALLOW"] = "203.0.113.0/24"
    try:
        assert client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.5"}).status_code == 200
        assert client.get("/metrics").status_code == 404
    finally:
        app.config["OWNERSVOTE_METRICS_ALLOW"] = "127.0.0.1/32,::1/128"
