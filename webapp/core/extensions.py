"""Flask extensions, created once and bound in the app factory."""
from __future__ import annotations

from flask import request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf import CSRFProtect

csrf = CSRFProtect()
login_manager = LoginManager()
# Redis-backed when OWNERSVOTE_REDIS_URL is set (RATELIMIT_STORAGE_URI), so that a limit holds
# across gunicorn workers and machines; in memory for a single local process.
limiter = Limiter(key_func=get_remote_address, default_limits=[])

LOCALES = ("zh_CN", "en")


def select_locale() -> str:
    # Chinese unless the reader chose English with the switch: an elderly owner whose phone
    # happens to be set to English should still get the Chinese pages the letter promised.
    chosen = request.cookies.get("lang")
    return chosen if chosen in LOCALES else "zh_CN"


babel = Babel()
