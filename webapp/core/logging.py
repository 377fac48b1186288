"""Keep secrets out of every log line: letter tokens (``/r/<token>``), codes in query strings,
cookies and authorisation headers.

The filter sits on the loggers that write request data: the development server's (werkzeug),
gunicorn's access and error logs, and the application's own.  gunicorn hands its access logger a
*mapping* of atoms (``{"r": "GET /r/… HTTP/1.1", "{cookie}i": "…", …}``) as the record's args,
so args are redacted in whatever shape they come, never re-shaped: a tuple stays a tuple and a
mapping a mapping, or the access log's ``%(r)s`` formatting fails on every line.
"""

from __future__ import annotations

import logging
import re
import traceback
from collections.abc import Mapping

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


def install() -> None:
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactSecrets) for f in logger.filters):
            logger.addFilter(RedactSecrets())
