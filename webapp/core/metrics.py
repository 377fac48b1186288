"""Prometheus metrics (prometheus_client), served at ``/metrics`` to the operator's network only
(``OWNERSVOTE_METRICS_ALLOW``: addresses or CIDRs, default loopback).

Every package counts with the metric objects defined here (the lowest floor): requests and their
durations by endpoint (here), ballots accepted and refused by reason and the sequencer's batches
(``webapp.voting``), jobs finished by kind and outcome and their durations (``webapp.jobs``), the
database pool in use (here).  What is a count of rows now (jobs queued and running, the RQ
queue's length) is read when scraped, by collectors that packages register with
:func:`register_collector`.

With several gunicorn workers (and the RQ worker's horses) set ``PROMETHEUS_MULTIPROC_DIR`` to a
folder of each machine's own for all of them: the page then sums every process's counts
(prometheus_client's multiprocess mode; gunicorn.conf.py marks dead workers).
"""

from __future__ import annotations

import ipaddress
import os
import time
from collections.abc import Callable, Iterable

from flask import Flask, Response, abort, g, request
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Gauge, Histogram, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import event
from sqlalchemy.engine import Engine

DEFAULT_ALLOW = "127.0.0.1/32,::1/128"

REQUESTS = Counter("ownersvote_http_requests_total", "HTTP requests answered", ["endpoint", "method", "status"])
LATENCY = Histogram(
    "ownersvote_http_request_duration_seconds",
    "Time to answer a request",
    ["endpoint"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
BALLOTS = Counter("ownersvote_ballots_total", "Ballots cast online, by outcome and refusal reason", ["outcome", "reason"])
BATCHES = Counter("ownersvote_sequencer_batches_total", "Batches the ballot-log sequencer integrated (one signed tree head each)")
BATCH_SIZE = Histogram(
    "ownersvote_sequencer_batch_ballots", "Ballots integrated per sequencer batch", buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500)
)
JOBS = Counter("ownersvote_jobs_finished_total", "Background jobs finished, by kind and outcome", ["kind", "outcome"])
JOB_SECONDS = Histogram(
    "ownersvote_job_duration_seconds", "Running time of background jobs", ["kind"], buckets=(1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600)
)
POOL_IN_USE = Gauge("ownersvote_db_pool_connections_in_use", "Database connections checked out of the pool", multiprocess_mode="livesum")

_collectors: list[Callable[[], Iterable[GaugeMetricFamily]]] = []


def register_collector(collect: Callable[[], Iterable[GaugeMetricFamily]]) -> None:
    """A function that yields metric families when the page is scraped (read from the database)."""
    if collect not in _collectors:
        _collectors.append(collect)


class _Scraped:
    def collect(self):
        for collect in _collectors:
            try:
                yield from collect()
            except Exception:  # a metric that cannot be read is left out, never the page
                continue


def allowed(address: str | None, allow: str) -> bool:
    if not address:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(part.strip(), strict=False) for part in allow.split(",") if part.strip())


def networks(text: str) -> str:
    """Checked at start: a typo in the allow-list must not open the page to everyone or to nobody."""
    for part in text.split(","):
        if part.strip():
            ipaddress.ip_network(part.strip(), strict=False)
    return text


def page(app: Flask) -> Response:
    if not allowed(request.remote_addr, app.config.get("OWNERSVOTE_METRICS_ALLOW") or DEFAULT_ALLOW):
        abort(404)  # not a page of the public site
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    body = generate_latest(registry)
    scraped = CollectorRegistry()
    scraped.register(_Scraped())
    body += generate_latest(scraped)
    return Response(body, mimetype=CONTENT_TYPE_LATEST)


def count_pool(engine: Engine) -> None:
    @event.listens_for(engine.pool, "checkout")
    def _out(*_):
        POOL_IN_USE.inc()

    @event.listens_for(engine.pool, "checkin")
    def _in(*_):
        POOL_IN_USE.dec()


def install(app: Flask) -> None:
    networks(app.config.get("OWNERSVOTE_METRICS_ALLOW") or DEFAULT_ALLOW)

    @app.before_request
    def _start():
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _count(response):
        started = g.pop("metrics_started", None)
        endpoint = request.endpoint or "unmatched"
        if started is not None and endpoint != "static":
            REQUESTS.labels(endpoint, request.method, str(response.status_code)).inc()
            LATENCY.labels(endpoint).observe(time.perf_counter() - started)
        return response
