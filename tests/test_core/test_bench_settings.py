"""The two settings bench/cast.py needs: a cast limit from the environment, and a bare hello route
that exists only when asked for and never in production."""

from __future__ import annotations

import pytest

from webapp.core.config import ConfigError, Settings

STRONG = "x" * 40


def test_the_cast_limit_comes_from_the_environment(monkeypatch, instance_dir):
    monkeypatch.delenv("OWNERSVOTE_CAST_LIMIT", raising=False)
    assert Settings.from_env().flask_config()["OWNERSVOTE_CAST_LIMIT"] == "120/minute"
    monkeypatch.setenv("OWNERSVOTE_CAST_LIMIT", "5000/minute")
    assert Settings.from_env().flask_config()["OWNERSVOTE_CAST_LIMIT"] == "5000/minute"


def test_the_hello_route_is_there_only_when_asked_for(monkeypatch, instance_dir, tmp_path):
    from webapp import create_app
    from webapp.core.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'hello.sqlite3'}"
    upgrade(url)
    monkeypatch.delenv("OWNERSVOTE_BENCH_HELLO", raising=False)
    assert create_app({"SQLALCHEMY_DATABASE_URI": url}).test_client().get("/__bench/hello").status_code == 404
    monkeypatch.setenv("OWNERSVOTE_BENCH_HELLO", "1")
    response = create_app({"SQLALCHEMY_DATABASE_URI": url}).test_client().get("/__bench/hello")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "hello"


def test_production_refuses_the_hello_route(monkeypatch, tmp_path):
    for name, value in (
        ("ENV", "production"),
        ("SECRET_KEY", STRONG),
        ("PII_HMAC_KEY", STRONG),
        ("BENCH_HELLO", "1"),
        ("DATABASE_URL", f"sqlite:///{tmp_path / 'p.sqlite3'}"),
    ):
        monkeypatch.setenv("OWNERSVOTE_" + name, value)
    with pytest.raises(ConfigError, match="BENCH_HELLO"):
        Settings.from_env()


def test_the_in_process_rate_limit_storage_is_the_thread_safe_one_and_counts_every_hit():
    # (The race it closes — two threads restarting the expiry timer at once — is too rare to
    # provoke here: bench/cast.py met it about once in 4,000 casts.)
    import threading

    from limits.storage import storage_from_string

    from webapp.core.extensions import ThreadSafeMemoryStorage

    storage = storage_from_string("ownersvote-memory://")
    assert isinstance(storage, ThreadSafeMemoryStorage)
    errors = []
    start = threading.Barrier(32)

    def hit() -> None:
        start.wait()
        try:
            for _ in range(200):
                storage.acquire_entry("k", 10**6, 60)
        except Exception as exc:  # the race the subclass closes
            errors.append(exc)

    threads = [threading.Thread(target=hit) for _ in range(32)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert storage.get_moving_window("k", 10**6, 60)[1] == 32 * 200


def test_the_in_process_rate_limit_storage_starts_no_thread_per_hit_and_still_expires():
    import threading
    import time

    from limits.storage import storage_from_string

    storage = storage_from_string("ownersvote-memory://")
    before = threading.active_count()
    started = []
    real_start = threading.Thread.start

    def counting_start(self, *args, **kwargs):
        started.append(self.name)
        return real_start(self, *args, **kwargs)

    threading.Thread.start = counting_start
    try:
        for n in range(300):
            storage.acquire_entry(f"k{n % 3}", 10**6, 1)
    finally:
        threading.Thread.start = real_start
    assert started == []
    assert threading.active_count() <= before + 1  # (the base class's first timer, at most)
    storage._last_expiry = time.monotonic() - storage.EXPIRE_EVERY  # a second has passed
    assert len(storage.events["k0"]) == 100
    for entry in storage.events["k0"]:  # and every entry of k0 has expired
        entry.expiry = time.time() - 1
    storage.acquire_entry("k1", 10**6, 1)  # any hit runs the expiry
    assert storage.events["k0"] == []
