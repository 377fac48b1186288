"""The cast route's rate limit, counted directly in ``limits`` (webapp.core.extensions.OurLimiter.direct):
per address, in the same storage as every other limit, with a Retry-After on refusal."""

from __future__ import annotations

import uuid

import pytest
from limits.storage import MemoryStorage
from limits.strategies import STRATEGIES

from tests.factories import REDIS_URL, TITLES, need_redis
from webapp.core.extensions import limiter


def _post(s, body, address="192.0.2.10"):
    return s.client.post(f"/api/v1/a/{s.assembly_id}/ballots", json=body, environ_base={"REMOTE_ADDR": address})


def test_casting_more_often_than_the_limit_is_refused_and_says_when_to_try_again(voting, app, monkeypatch):
    s = voting
    monkeypatch.setitem(app.config, "OWNERSVOTE_CAST_LIMIT", "3/minute")
    junk = {"ballot": "{}", "kid": "k", "sig": "s"}  # refused, and counted all the same
    for _ in range(3):
        assert _post(s, junk).status_code == 400
    refused = _post(s, junk)
    assert refused.status_code == 429
    assert "操作太频繁" in refused.get_json()["error"]
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    # Another address has its own count, and a real ballot from it is accepted.
    ids = s.item_ids()
    body = s.ballot("1-101", {ids[TITLES["statute"]]: "agree", ids[TITLES["election"]]: [s.options(TITLES["election"])[0]]})
    assert _post(s, body, address="192.0.2.11").status_code == 201


def test_the_cast_limit_goes_back_to_the_shared_storage_once_it_answers_again(voting, app, monkeypatch):
    s = voting
    monkeypatch.setitem(app.config, "OWNERSVOTE_CAST_LIMIT", "2/minute")
    shared = MemoryStorage()  # stands for Redis come back: its check() answers
    saved = limiter._storage, limiter._limiter, limiter._storage_dead, getattr(limiter, "_last_recheck", 0.0)
    limiter._storage, limiter._limiter = shared, STRATEGIES[limiter._strategy](shared)
    limiter._storage_dead, limiter._last_recheck = True, 0.0
    try:
        junk = {"ballot": "{}", "kid": "k", "sig": "s"}
        assert _post(s, junk, address="192.0.2.20").status_code == 400
        assert not limiter.storage_down
        assert _post(s, junk, address="192.0.2.20").status_code == 400
        assert _post(s, junk, address="192.0.2.20").status_code == 429
        assert shared.events  # the hits were counted there, not in the process's fallback
    finally:
        limiter._storage, limiter._limiter, limiter._storage_dead, limiter._last_recheck = saved


@pytest.mark.redis
def test_with_redis_the_cast_limit_is_counted_there_for_every_process(voting, app, monkeypatch):
    import redis
    from limits import parse
    from limits.storage import storage_from_string

    need_redis()
    s = voting
    monkeypatch.setitem(app.config, "OWNERSVOTE_CAST_LIMIT", "3/minute")
    # This app's limiter on Redis, under a key prefix of its own so that no other run interferes.
    prefix = f"ownersvote-test-{uuid.uuid4().hex}"
    shared = storage_from_string(REDIS_URL)
    saved = limiter._storage, limiter._limiter, limiter._storage_dead, limiter._key_prefix
    limiter._storage, limiter._limiter = shared, STRATEGIES[limiter._strategy](shared)
    limiter._storage_dead, limiter._key_prefix = False, prefix
    try:
        junk = {"ballot": "{}", "kid": "k", "sig": "s"}
        assert [_post(s, junk, address="192.0.2.40").status_code for _ in range(3)] == [400] * 3
        refused = _post(s, junk, address="192.0.2.40")
        assert refused.status_code == 429
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
        # Another process reading the same Redis finds the window full.
        other = STRATEGIES[limiter._strategy](storage_from_string(REDIS_URL))
        assert other.get_window_stats(parse("3/minute"), prefix, "192.0.2.40", "voting.cast").remaining == 0
    finally:
        limiter._storage, limiter._limiter, limiter._storage_dead, limiter._key_prefix = saved
        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(f"*{prefix}*"):
            client.delete(key)
