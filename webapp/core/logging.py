"""Keep secrets out of every log line: letter tokens (``/r/<token>``), codes in query strings,
cookies and authorisation headers.

The filter sits on the loggers that write request data: the development server's (werkzeug),
gunicorn's access and error logs, and the application's own.  gunicorn hands its access logger a
*mapping* of atoms (``{"r": "GET /r/… HTTP/1.1", "{cookie}i": "…", …}``) as the record's args,
so args are redacted in whatever shape they come, never re-shaped: a tuple stays a tuple and a
mapping a mapping, or the access log's ``%(r)s`` formatting fails on every line.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import secrets
import sys
import traceback
from collections.abc import Mapping
from datetime import UTC, datetime

from flask import Flask, g, has_request_context, request
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.exc import NoInspectionAvailable

REDACTED = "[redacted]"
_TOKEN_PATH = re.compile(r"/r/[A-Za-z0-9_\-]{8,}")
# Query parameters that may carry a secret, whatever page they were sent to.
_SECRET_QUERY = re.compile(r"(?i)([?&](?:token|code|sms_code|challenge|password|session)=)[^&\s\"']*")
# A Cookie or Set-Cookie header quoted in a message (e.g. a dump of request headers).
_COOKIE_TEXT = re.compile(r"(?i)((?:set-)?cookie['\"]?\s*[:=]\s*['\"]?)[^'\"\n]*")
_SECRET_ATOMS = ("cookie", "authorization", "set-cookie", "x-csrftoken")


def redact(text: str) -> str:
    text = _TOKEN_PATH.sub("/r/" + REDACTED, text)
    text = _SECRET_QUERY.sub(r"\1" + REDACTED, text)
    return _COOKIE_TEXT.sub(r"\1" + REDACTED, text)


def _is_secret_atom(key: object) -> bool:
    # gunicorn names header atoms "{header}i" (request) and "{header}o" (response).
    if not isinstance(key, str) or not key.startswith("{"):
        return False
    return key[1:].split("}", 1)[0].lower() in _SECRET_ATOMS


def _clean(value):
    return redact(value) if isinstance(value, str) else value


class RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        args = record.args
        if isinstance(args, Mapping):
            cleaned = {k: (REDACTED if _is_secret_atom(k) else _clean(v)) for k, v in args.items()}
            if isinstance(args, dict):
                # In place, so the mapping keeps its own class: gunicorn's SafeAtoms answers "-"
                # for a header the request did not send (%({x-forwarded-for}i)s); a plain dict
                # would raise KeyError and lose the line.
                args.update(cleaned)
            else:
                record.args = cleaned
        elif isinstance(args, tuple):
            record.args = tuple(_clean(a) for a in args)
        if record.exc_info and not record.exc_text:
            # Formatted here, once, so that the handler prints the redacted text.
            record.exc_text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


# Kept for callers and tests that know the old name.
RedactTokens = RedactSecrets

LOGGERS = ("werkzeug", "gunicorn.access", "gunicorn.error", "webapp", "webapp.app", "flask.app", "ownersvote")


# --------------------------------------------------------------------------------------------
# Who and what a line is about: the request id nginx sent (X-Request-ID), the user and the estate;
# in a job, the job and its estate (webapp.jobs.runner sets them).

_REQUEST_ID = re.compile(r"[A-Za-z0-9._\-]{1,64}")
job_context: contextvars.ContextVar[dict | None] = contextvars.ContextVar("ownersvote_job", default=None)


def request_id() -> str | None:
    if has_request_context():
        return g.get("request_id")
    job = job_context.get()
    return job.get("request_id") if job else None


def _in_memory(obj, name: str):
    """An attribute of a database row as it is in memory, never loaded for a log line: a log call
    in the middle of a request must not start a query (it would open a transaction of its own,
    on an error path too)."""
    try:
        return sa_inspect(obj).dict.get(name)
    except NoInspectionAvailable:
        return getattr(obj, name, None)


def _about() -> dict:
    if has_request_context():
        about = {"request_id": g.get("request_id")}
        user = g.get("_login_user")  # Flask-Login's, once a view has looked (never loaded here)
        if user is not None and getattr(user, "kind", None):
            try:
                identity = sa_inspect(user).identity
            except NoInspectionAvailable:
                identity = None
            if identity:
                about["user"] = f"{user.kind}:{identity[0]}"
        # The estate's short name from the address (estate pages carry it), else as loaded.
        slug = (request.view_args or {}).get("slug")
        estate = g.get("estate")
        if isinstance(slug, str):
            about["estate"] = slug
        elif estate is not None:
            about["estate"] = _in_memory(estate, "slug")
        return about
    return dict(job_context.get() or {})


class Context(logging.Filter):
    """Adds ``request_id``, ``user``, ``estate`` and ``job`` to every record (``-`` when unknown)."""

    def filter(self, record: logging.LogRecord) -> bool:
        about = _about()
        for key in ("request_id", "user", "estate", "job"):
            setattr(record, key, about.get(key) or "-")
        return True


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [req=%(request_id)s user=%(user)s estate=%(estate)s job=%(job)s] %(message)s"


class JsonFormatter(logging.Formatter):
    """One JSON object a line (OWNERSVOTE_LOG_FORMAT=json)."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in ("request_id", "user", "estate", "job"):
            value = getattr(record, key, "-")
            if value != "-":
                line[key] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exception"] = record.exc_text
        return json.dumps(line, ensure_ascii=False)


def formatter(fmt: str) -> logging.Formatter:
    return JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT)


APP_LOGGERS = ("webapp", "flask.app", "ownersvote", "rq.worker")


def install(app: Flask | None = None) -> None:
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactSecrets) for f in logger.filters):
            logger.addFilter(RedactSecrets())
    if app is None:
        return
    fmt = (app.config.get("OWNERSVOTE_LOG_FORMAT") or "text").lower()
    for name in APP_LOGGERS:
        logger = logging.getLogger(name)
        if app.testing:
            continue  # pytest's capture shows the records
        handler = next((h for h in logger.handlers if getattr(h, "ownersvote", False)), None)
        if handler is None:
            # On the handler, so that the records of child loggers (webapp.jobs.runner, …) pass them.
            handler = logging.StreamHandler(sys.stderr)
            handler.ownersvote = True
            handler.addFilter(RedactSecrets())
            handler.addFilter(Context())
            logger.addHandler(handler)
            logger.propagate = False
            if logger.level == logging.NOTSET:
                logger.setLevel(logging.INFO)
        handler.setFormatter(formatter(fmt))

    @app.before_request
    def _request_id():
        sent = request.headers.get("X-Request-ID", "")
        g.request_id = sent if _REQUEST_ID.fullmatch(sent) else secrets.token_hex(8)

    @app.after_request
    def _echo_request_id(response):
        if g.get("request_id"):
            response.headers["X-Request-ID"] = g.request_id
        return response
