"""Logs an operator can follow (issue 18, item 4): the access log has paths without query strings
(a members search carries identity and mobile numbers), one request id from nginx through the
app's and the worker's lines, the user and the estate in error lines and the estate in job lines,
and JSON lines as an option."""

from __future__ import annotations

import json
import logging
import runpy
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

from flask import g
from gunicorn.config import Config
from gunicorn.glogging import Logger, SafeAtoms

from tests.factories import queue
from webapp.core.logging import Context, JsonFormatter, formatter
from webapp.jobs.runner import run_job

ROOT = Path(__file__).resolve().parents[2]
SEARCH = "/s/lvyuan/members?q=110101199003077777&mobile=13800138000"


def access_line(monkeypatch, fmt: str) -> str:
    monkeypatch.setenv("OWNERSVOTE_LOG_FORMAT", fmt)
    conf = runpy.run_path(str(ROOT / "tools/deploy/gunicorn.conf.py"))
    path, _, query = SEARCH.partition("?")
    environ = {"REQUEST_METHOD": "GET", "RAW_URI": SEARCH, "PATH_INFO": path, "QUERY_STRING": query, "SERVER_PROTOCOL": "HTTP/1.1"}
    request = SimpleNamespace(headers=[("X-REQUEST-ID", "7f3a9c"), ("X-FORWARDED-FOR", "203.0.113.5")])
    response = SimpleNamespace(status="200 OK", sent=512, headers=[])
    atoms = Logger(Config()).atoms(response, request, environ, timedelta(milliseconds=12))
    return conf["access_log_format"] % SafeAtoms(atoms)


def test_the_access_log_names_the_path_and_request_id_never_the_query_string(monkeypatch):
    line = access_line(monkeypatch, "text")
    assert "110101199003077777" not in line
    assert "13800138000" not in line
    assert '"GET /s/lvyuan/members HTTP/1.1" 200' in line
    assert "req=7f3a9c" in line
    parsed = json.loads(access_line(monkeypatch, "json"))
    assert parsed["path"] == "/s/lvyuan/members"
    assert parsed["request_id"] == "7f3a9c"
    assert "110101199003077777" not in json.dumps(parsed)


def test_the_request_id_from_nginx_is_kept_and_a_bad_one_replaced(client):
    assert client.get("/healthz", headers={"X-Request-ID": "nginx-42"}).headers["X-Request-ID"] == "nginx-42"
    made = client.get("/healthz", headers={"X-Request-ID": "bad id; forged=line"}).headers["X-Request-ID"]
    assert made != "bad id; forged=line"
    assert len(made) == 16


def test_an_error_line_names_the_request_the_user_and_the_estate(app, make_staff, estate):
    user = make_staff("org-log", estate=estate, role="organiser")
    slug = estate.slug
    # An estate's page: the estate is named from its address, without a query for the log line.
    with app.test_request_context(f"/e/{slug}/members", headers={"X-Request-ID": "nginx-43"}):
        app.preprocess_request()
        g._login_user, g.estate = user, estate
        record = logging.LogRecord("webapp.app", logging.ERROR, __file__, 1, "Exception on %s", ("/s/x",), None)
        Context().filter(record)
    line = json.loads(JsonFormatter().format(record))
    assert line["request_id"] == "nginx-43"
    assert line["user"] == f"staff:{user.id}"
    assert line["estate"] == slug
    text = formatter("text").format(record)
    assert f"[req=nginx-43 user=staff:{user.id} estate={slug} job=-]" in text


def test_a_job_line_names_the_job_its_estate_and_the_request_that_started_it(db_session, two_estates, kinds, caplog):  # noqa: F811
    def work(ctx, params):
        logging.getLogger("webapp.jobs.test").warning("working")

    kinds("test.logs", work)
    from sqlalchemy import select

    from webapp.auth.models import StaffUser

    estate_a, _b = two_estates
    organiser = db_session.scalar(select(StaffUser).where(StaffUser.username == "org-a"))
    job = queue(db_session, estate_a, "test.logs", organiser)
    caplog.handler.addFilter(Context())
    with caplog.at_level(logging.WARNING, logger="webapp.jobs.test"):
        assert run_job(job.id, 1, request_id="nginx-44") == "done"
    record = next(r for r in caplog.records if r.getMessage() == "working")
    assert (record.job, record.estate, record.request_id) == (str(job.id), "estate-a", "nginx-44")
