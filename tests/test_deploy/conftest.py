"""Fixtures the deployment tests share with the RQ tests: a database committed for real, an app on
a queue of its own in Redis, and its signed-in organiser."""

from tests.test_jobs.test_jobs_rq import organiser, redis_url, rq_app, worker_database  # noqa: F401
