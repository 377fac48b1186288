"""Keep letter tokens out of every log: the request line of ``/r/<token>`` is redacted in the
development server's and gunicorn's access logs."""
from __future__ import annotations

import logging
import re

_TOKEN_PATH = re.compile(r"/r/[A-Za-z0-9_\-]{8,}")


class RedactTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.args = tuple(_TOKEN_PATH.sub("/r/[redacted]", a) if isinstance(a, str) else a for a in (record.args if isinstance(record.args, tuple) else (record.args,)))
        if isinstance(record.msg, str):
            record.msg = _TOKEN_PATH.sub("/r/[redacted]", record.msg)
        return True


def install() -> None:
    for name in ("werkzeug", "gunicorn.access", "gunicorn.error"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactTokens) for f in logger.filters):
            logger.addFilter(RedactTokens())
