"""One way to reach Redis, with timeouts: a Redis that is down answers at once, and one that is
frozen (the process stopped, a network partition) answers within ``OWNERSVOTE_REDIS_TIMEOUT``
seconds, instead of holding a gunicorn thread until the worker is killed."""

from __future__ import annotations

from flask import Flask
from redis import Redis

DEFAULT_TIMEOUT = 1.0  # seconds; every Redis call of the web processes is a millisecond's work


def timeout(app: Flask) -> float:
    return float(app.config.get("OWNERSVOTE_REDIS_TIMEOUT") or DEFAULT_TIMEOUT)


def connect(app: Flask, url: str | None = None) -> Redis:
    seconds = timeout(app)
    return Redis.from_url(
        url or app.config["OWNERSVOTE_REDIS_URL"],
        socket_timeout=seconds,
        socket_connect_timeout=seconds,
        health_check_interval=30,
    )
