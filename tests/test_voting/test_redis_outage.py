"""Voting survives Redis (issue 18, item 2).  Redis stopped (nothing listens) or frozen (a socket
that accepts and never answers): a ballot is still cast and acknowledged, its rate limit counted
in the process; every other page answers 503 at once with a page that says so; /healthz is 200.
And a visitor who is not signed in no longer leaves a 12-hour session behind."""

from __future__ import annotations

import socket
from datetime import timedelta

import pytest
from limits.storage import storage_from_string
from limits.strategies import STRATEGIES
from sqlalchemy import select

from tests.factories import TITLES
from webapp.core import redisconn
from webapp.core.config import Settings
from webapp.core.db import utcnow
from webapp.core.extensions import limiter
from webapp.core.models import ServerSession
from webapp.core.sessions import ANONYMOUS_LIFETIME, RedisSessions


def _stopped() -> str:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # nothing listens there now
    return f"redis://127.0.0.1:{port}/0"


@pytest.fixture(params=["stopped", "frozen"])
def redis_out(request, app):
    """The app's sessions and rate limits on a Redis that is out, for the test's requests."""
    frozen = None
    if request.param == "stopped":
        url = _stopped()
    else:
        frozen = socket.socket()
        frozen.bind(("127.0.0.1", 0))
        frozen.listen(64)  # connections are accepted by the kernel; nobody ever answers
        url = f"redis://127.0.0.1:{frozen.getsockname()[1]}/0"
    app.config["OWNERSVOTE_REDIS_TIMEOUT"] = 0.2
    saved = app.session_interface, limiter._storage, limiter._limiter, limiter._storage_dead
    app.session_interface = RedisSessions(app, client=redisconn.connect(app, url), key_prefix="ownersvote:session:", permanent=True)
    limiter._storage = storage_from_string(url, socket_timeout=0.2, socket_connect_timeout=0.2)
    limiter._limiter = STRATEGIES[limiter._strategy](limiter._storage)
    try:
        yield request.param
    finally:
        app.session_interface, limiter._storage, limiter._limiter, limiter._storage_dead = saved
        app.config.pop("OWNERSVOTE_REDIS_TIMEOUT")
        if frozen is not None:
            frozen.close()


def test_without_redis_a_ballot_is_cast_other_pages_say_so_and_healthz_answers(voting, redis_out):
    s = voting
    ids = s.item_ids()
    body = s.ballot("1-101", {ids[TITLES["statute"]]: "agree", ids[TITLES["election"]]: [s.options(TITLES["election"])[0]]})
    status, answer = s.cast(body)
    assert status == 201, answer
    assert answer["promise"]["leaf_hash"]
    assert answer["code"]
    assert limiter.storage_down  # the cast's limit was counted in this process

    page = s.client.get("/")
    assert page.status_code == 503
    text = page.get_data(as_text=True)
    assert "系统暂时无法使用" in text
    assert "投票页面仍可提交表决票" in text

    assert s.client.get("/healthz").status_code == 200


def test_an_anonymous_page_view_keeps_its_session_an_hour_not_twelve(client, estate, db_session):
    before = utcnow()
    earlier = set(db_session.scalars(select(ServerSession.id)))  # other tests' sessions committed for real
    assert client.get("/").status_code == 200
    rows = [row for row in db_session.scalars(select(ServerSession)) if row.id not in earlier]
    assert len(rows) == 1
    assert rows[0].expires_at <= before + ANONYMOUS_LIFETIME + timedelta(minutes=1)


def test_production_settings_give_redis_timeouts_and_a_process_fallback(app):
    config = Settings(redis_url="redis://redis.internal:6379/0", redis_timeout=0.5).flask_config()
    assert config["RATELIMIT_IN_MEMORY_FALLBACK_ENABLED"] is True
    assert config["RATELIMIT_STORAGE_OPTIONS"] == {"socket_timeout": 0.5, "socket_connect_timeout": 0.5}
    client = redisconn.connect(app, "redis://redis.internal:6379/0")
    assert client.connection_pool.connection_kwargs["socket_timeout"] == redisconn.DEFAULT_TIMEOUT


def test_readyz_names_a_server_key_that_is_not_the_installations_and_ballots_are_counted(voting, app):
    from crypto.keys import generate_ed25519

    s = voting
    ids = s.item_ids()
    assert s.client.get("/readyz").get_json()["checks"]["server key"] == "ok"
    body = s.ballot("1-101", {ids[TITLES["statute"]]: "agree", ids[TITLES["election"]]: [s.options(TITLES["election"])[0]]})
    assert s.cast(body)[0] == 201
    assert s.cast({"ballot": "x", "kid": "k", "sig": "s"})[0] == 400
    text = s.client.get("/metrics").get_data(as_text=True)
    assert 'ownersvote_ballots_total{outcome="accepted",reason=""}' in text
    assert 'ownersvote_ballots_total{outcome="refused",reason="malformed"}' in text
    assert "ownersvote_sequencer_batches_total" in text

    saved = app.extensions["ownersvote_server_key"]
    app.extensions["ownersvote_server_key"] = generate_ed25519()
    try:
        ready = s.client.get("/readyz")
    finally:
        app.extensions["ownersvote_server_key"] = saved
    assert ready.status_code == 503
    assert f"this installation's key is {saved.kid}" in ready.get_json()["checks"]["server key"]


def test_without_redis_the_cast_limit_is_still_counted_in_the_process(voting, redis_out, app, monkeypatch):
    s = voting
    monkeypatch.setitem(app.config, "OWNERSVOTE_CAST_LIMIT", "2/minute")
    junk = {"ballot": "{}", "kid": "k", "sig": "s"}
    # An address of this test's own: the process's fallback counts outlive a test.
    address = {"REMOTE_ADDR": f"192.0.2.{30 + ['stopped', 'frozen'].index(redis_out)}"}
    statuses = [s.client.post(f"/api/v1/a/{s.assembly_id}/ballots", json=junk, environ_base=address).status_code for _ in range(3)]
    assert statuses == [400, 400, 429]
    assert limiter.storage_down
