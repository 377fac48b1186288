"""Flask extensions, created once and bound in the app factory."""

from __future__ import annotations

import threading
import time

from flask import request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf import CSRFProtect
from limits.storage import MemoryStorage
from limits.strategies import STRATEGIES


class ThreadSafeMemoryStorage(MemoryStorage):
    """limits' in-process storage (no Redis), with its expiry run in the calling thread at most
    once a second instead of on a timer thread.  The base class starts a new 10 ms timer thread
    whenever the last one has ended, which under steady traffic is one thread per few requests
    (cProfile of bench/cast.py's path: 886 thread starts for 1,000 casts, a tenth of the request's
    CPU); two threads of one process could also both find the timer stopped and start the same
    one twice ("RuntimeError: threads can only be started once", a 500 for a ballot).  Expiry only
    reclaims memory: every read checks a key's expiry itself."""

    STORAGE_SCHEME = ["ownersvote-memory"]
    EXPIRE_EVERY = 1.0  # seconds

    def __init__(self, *args, **kwargs):
        self._timer_lock = threading.Lock()
        self._last_expiry = time.monotonic()
        super().__init__(*args, **kwargs)

    # The base class's private (name-mangled) method, which its own methods call: the name is theirs.
    def _MemoryStorage__schedule_expiry(self) -> None:  # noqa: N802
        now = time.monotonic()
        if now - self._last_expiry < self.EXPIRE_EVERY:
            return
        with self._timer_lock:
            if now - self._last_expiry < self.EXPIRE_EVERY:
                return  # another thread has just done it
            self._last_expiry = now
        self._MemoryStorage__expire_events()


class OurLimiter(Limiter):
    """Flask-Limiter with its in-memory fallback (RATELIMIT_IN_MEMORY_FALLBACK_ENABLED) kept in
    the thread-safe storage above.  With no fallback limits of its own, Flask-Limiter applies each
    route's own limits to the fallback while Redis is unreachable, per process, and goes back to
    Redis once it answers a ping again."""

    def init_app(self, app) -> None:
        super().init_app(app)
        if getattr(self, "_fallback_limiter", None) is not None:
            self._fallback_storage = ThreadSafeMemoryStorage()
            self._fallback_limiter = STRATEGIES[self._strategy](self._fallback_storage)

    @property
    def storage_down(self) -> bool:
        """Whether this process counts limits in its own memory because Redis did not answer."""
        return bool(getattr(self, "_storage_dead", False))


csrf = CSRFProtect()
login_manager = LoginManager()
# Redis-backed when OWNERSVOTE_REDIS_URL is set (RATELIMIT_STORAGE_URI), so that a limit holds
# across gunicorn workers and machines; in memory for a single local process.
limiter = OurLimiter(key_func=get_remote_address, default_limits=[])

LOCALES = ("zh_CN", "en")


def select_locale() -> str:
    # Chinese unless the reader chose English with the switch: an elderly owner whose phone
    # happens to be set to English should still get the Chinese pages the letter promised.
    chosen = request.cookies.get("lang")
    return chosen if chosen in LOCALES else "zh_CN"


babel = Babel()
