"""Flask extensions, created once and bound in the app factory."""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable

from flask import current_app, request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf import CSRFProtect
from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import STRATEGIES
from werkzeug.exceptions import TooManyRequests


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

    # While Redis is down, how often a direct limit asks it again (Flask-Limiter's own routes ask
    # on their own schedule; whichever sees it back first brings every limit back to it).
    RECHECK_EVERY = 5.0  # seconds

    def direct(self, limit: Callable[[], str]):
        """A route's limit counted directly in ``limits``, in the same storage (and the same
        fallback while Redis is down) as every route Flask-Limiter guards, per caller's address.
        For the hottest route only (casting a ballot): Flask-Limiter's decorator resolves the
        route's limits, evaluates meta limits and reads the window again for its headers on every
        request, about a sixth of a cast's CPU (py-spy of bench/cast.py).  A refusal is a 429 whose
        Retry-After says when to try again; the route is exempt from Flask-Limiter's own checks."""

        def decorate(view):
            @functools.wraps(view)
            def limited(*args, **kwargs):
                retry_at = self.hit_direct(limit(), request.endpoint or view.__name__)
                if retry_at is not None:
                    raise LimitedHere(retry_at)
                return view(*args, **kwargs)

            limited.direct_limit = True  # type: ignore[attr-defined]
            return self.exempt(limited)

        return decorate

    def _check_request_limit(self, callable_name: str | None = None, in_middleware: bool = True) -> None:
        # Flask-Limiter's before-request check, skipped on routes ``direct`` counts: even with
        # every limit exempt it resolved the route's limits and evaluated the meta limits on each
        # request (py-spy of bench/cast.py: two fifths of the cast's before-request hooks).
        if in_middleware and getattr(current_app.view_functions.get(request.endpoint or ""), "direct_limit", False):
            return
        super()._check_request_limit(callable_name, in_middleware)

    def hit_direct(self, limit: str, scope: str) -> float | None:
        """Count one request against ``limit`` for the caller in ``scope``: None while within it,
        else when (epoch seconds) it may try again."""
        if not (self.enabled and self.initialized):
            return None
        item = _parsed(limit)
        ids = (self._key_func(), scope)
        if self._key_prefix:
            ids = (self._key_prefix, *ids)
        if self._storage_dead and self._in_memory_fallback_enabled and self._redis_back():
            self._storage_dead = False
        if not self._storage_dead:
            try:
                if self._limiter.hit(item, *ids):
                    return None
                return self._limiter.get_window_stats(item, *ids).reset_time
            except Exception:
                if not self._in_memory_fallback_enabled:
                    raise
                self.logger.warning("Rate limit storage unreachable - falling back to in-memory storage")
                self._storage_dead = True
                self._last_recheck = time.monotonic()
        if self._fallback_limiter.hit(item, *ids):
            return None
        return self._fallback_limiter.get_window_stats(item, *ids).reset_time

    def _redis_back(self) -> bool:
        now = time.monotonic()
        with _RECHECK_LOCK:
            if now - getattr(self, "_last_recheck", 0.0) < self.RECHECK_EVERY:
                return False
            self._last_recheck = now
        try:
            return bool(self._storage.check())
        except Exception:
            return False


_RECHECK_LOCK = threading.Lock()


@functools.lru_cache(maxsize=16)
def _parsed(limit: str):
    return parse(limit)


class LimitedHere(TooManyRequests):
    """A 429 from ``OurLimiter.direct``; ``retry_at`` (epoch seconds) becomes its Retry-After."""

    def __init__(self, retry_at: float):
        super().__init__()
        self.retry_at = retry_at


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
