"""Configuration from ``OWNERSVOTE_*`` environment variables.

Local runs get a SQLite file and generated secrets under ``instance/``; production mode
(``OWNERSVOTE_ENV=production``) refuses to start unless every secret is set explicitly, because a
generated or default key there would silently make sessions and personal-data hashes unsafe.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import timedelta

from webapp.core.instance import default_database_url, local_secret
from webapp.core.serverkey import ServerKeyError, load_seed

PREFIX = "OWNERSVOTE_"
INSECURE_VALUES = {"", "dev", "change-me", "changeme", "secret", "default"}


class ConfigError(RuntimeError):
    """The configuration cannot run safely."""


def _whole(text: str, least: int, most: int, message: str) -> int:
    """A whole number from least to most, or the setting is refused with ``message``."""
    try:
        value = int(text.strip())
    except ValueError:
        value = least - 1
    if not least <= value <= most:
        raise ConfigError(message)
    return value


def _proxy_hops(text: str) -> int:
    return _whole(text.strip() or "0", 0, 5, "OWNERSVOTE_PROXY_HOPS must be the number of reverse proxies in front of the app (0 to 5)")


def _seconds(name: str, text: str, most: float = 60) -> float:
    try:
        value = float(text.strip())
    except ValueError:
        value = -1.0
    if not 0 < value <= most:
        raise ConfigError(f"{name} must be a number of seconds between 0 and {most:g}")
    return value


def _pool_size(text: str) -> int:
    return _whole(text, 1, 200, "OWNERSVOTE_DB_POOL_SIZE must be the number of database connections a process keeps (1 to 200)")


def database_url() -> str:
    return os.environ.get(PREFIX + "DATABASE_URL") or default_database_url()


@dataclass
class Settings:
    env: str = "development"
    database_url: str = field(default_factory=database_url)
    secret_key: str = ""
    pii_hmac_key: str = ""
    redis_url: str | None = None
    timezone: str = "Asia/Shanghai"
    base_url: str | None = None
    job_runner: str | None = None
    job_queue: str = "ownersvote"
    job_files: str | None = None
    files_path: str | None = None
    proxy_hops: int = 0
    # Seconds any one Redis call may take (webapp/core/redisconn.py).
    redis_timeout: float = 1.0
    # Who may read /metrics: addresses or CIDRs, comma-separated (webapp/core/metrics.py).
    metrics_allow: str = "127.0.0.1/32,::1/128"
    # "text" or "json": how the app's and the worker's log lines are written (webapp/core/logging.py).
    log_format: str = "text"
    # Seconds each readiness check (/readyz) may take.
    ready_timeout: float = 2.0
    # Seconds between two sweeps of jobs whose worker is gone (webapp/jobs/runner.py).
    job_sweep_every: float = 60.0
    # Per-address limit on casting a ballot (Flask-Limiter syntax); raised only by benchmarks
    # that send every ballot from one address.
    cast_limit: str = "120/minute"
    # A bare "hello" route at /__bench/hello, for bench/cast.py's baseline; never in production.
    bench_hello: bool = False
    # PostgreSQL connections each process keeps open (SQLAlchemy's pool_size); as many again may
    # open for a moment beyond it.  At least gunicorn's threads per worker: with fewer, a busy
    # worker opened a connection and closed it again for every few ballots (docs/performance.md).
    db_pool_size: int = 10

    @classmethod
    def from_env(cls) -> Settings:
        env = os.environ.get(PREFIX + "ENV", "development")
        settings = cls(
            env=env,
            database_url=database_url(),
            secret_key=os.environ.get(PREFIX + "SECRET_KEY", ""),
            pii_hmac_key=os.environ.get(PREFIX + "PII_HMAC_KEY", ""),
            redis_url=os.environ.get(PREFIX + "REDIS_URL") or None,
            timezone=os.environ.get(PREFIX + "TIMEZONE", "Asia/Shanghai"),
            base_url=os.environ.get(PREFIX + "BASE_URL") or None,
            job_runner=os.environ.get(PREFIX + "JOB_RUNNER") or None,
            job_queue=os.environ.get(PREFIX + "JOB_QUEUE") or "ownersvote",
            job_files=os.environ.get(PREFIX + "JOB_FILES") or None,
            files_path=os.environ.get(PREFIX + "FILES_PATH") or None,
            proxy_hops=_proxy_hops(os.environ.get(PREFIX + "PROXY_HOPS", "0")),
            log_format=(os.environ.get(PREFIX + "LOG_FORMAT") or "text").lower(),
            metrics_allow=os.environ.get(PREFIX + "METRICS_ALLOW") or "127.0.0.1/32,::1/128",
            ready_timeout=_seconds(PREFIX + "READY_TIMEOUT", os.environ.get(PREFIX + "READY_TIMEOUT", "2")),
            redis_timeout=_seconds(PREFIX + "REDIS_TIMEOUT", os.environ.get(PREFIX + "REDIS_TIMEOUT", "1")),
            job_sweep_every=_seconds(PREFIX + "JOB_SWEEP_EVERY", os.environ.get(PREFIX + "JOB_SWEEP_EVERY", "60"), most=3600),
            cast_limit=os.environ.get(PREFIX + "CAST_LIMIT") or "120/minute",
            bench_hello=os.environ.get(PREFIX + "BENCH_HELLO", "").lower() in ("1", "true", "yes"),
            db_pool_size=_pool_size(os.environ.get(PREFIX + "DB_POOL_SIZE", "10")),
        )
        if settings.log_format not in ("text", "json"):
            raise ConfigError("OWNERSVOTE_LOG_FORMAT must be text or json")
        if settings.job_runner not in (None, "rq", "thread", "inline"):
            raise ConfigError("OWNERSVOTE_JOB_RUNNER must be rq, thread or inline")
        if settings.job_runner == "rq" and not settings.redis_url:
            raise ConfigError("OWNERSVOTE_JOB_RUNNER=rq needs OWNERSVOTE_REDIS_URL")
        if env == "production":
            if settings.bench_hello:
                raise ConfigError("OWNERSVOTE_BENCH_HELLO is for bench/cast.py: it adds a route no deployment should have")
            if settings.job_runner == "inline":
                raise ConfigError("OWNERSVOTE_JOB_RUNNER=inline is for tests: it runs jobs inside requests")
            missing = [
                PREFIX + name
                for name, value in (("SECRET_KEY", settings.secret_key), ("PII_HMAC_KEY", settings.pii_hmac_key))
                if value.strip().lower() in INSECURE_VALUES or len(value) < 32
            ]
            if missing:
                raise ConfigError("production mode needs strong secrets (at least 32 characters): set " + ", ".join(missing))
            if PREFIX + "DATABASE_URL" not in os.environ:
                raise ConfigError("production mode needs OWNERSVOTE_DATABASE_URL")
            # The console backend writes each one-time code into the application log, where
            # anyone who reads the logs could sign in as the owner: development only.
            if os.environ.get(PREFIX + "SMS_BACKEND", "console") != "http" or not os.environ.get(PREFIX + "SMS_URL"):
                raise ConfigError(
                    "production mode sends SMS codes through a gateway: set OWNERSVOTE_SMS_BACKEND=http and "
                    "OWNERSVOTE_SMS_URL (the console backend writes the codes to the log; see docs/deployment.md)"
                )
            # Checked at start, not at the first notice: a server that cannot sign must not serve.
            try:
                load_seed(production=True)
            except (ServerKeyError, ValueError) as exc:
                raise ConfigError(
                    str(exc) if isinstance(exc, ServerKeyError) else "OWNERSVOTE_SERVER_KEY is not base64url (see docs/deployment.md)"
                ) from None
        else:
            settings.secret_key = settings.secret_key or local_secret("secret_key")
            settings.pii_hmac_key = settings.pii_hmac_key or local_secret("pii_hmac_key")
        return settings

    @property
    def production(self) -> bool:
        return self.env == "production"

    def flask_config(self) -> dict:
        # Connections idle in the pool are pinged before use (webapp.core.db.install_idle_ping).
        engine_options: dict = {"pool_pre_ping": False}
        return {
            "SECRET_KEY": self.secret_key,
            "OWNERSVOTE_PII_HMAC_KEY": self.pii_hmac_key,
            "OWNERSVOTE_ENV": self.env,
            "OWNERSVOTE_TIMEZONE": self.timezone,
            "OWNERSVOTE_REDIS_URL": self.redis_url,
            "OWNERSVOTE_REDIS_TIMEOUT": self.redis_timeout,
            "OWNERSVOTE_METRICS_ALLOW": self.metrics_allow,
            "OWNERSVOTE_LOG_FORMAT": self.log_format,
            "OWNERSVOTE_READY_TIMEOUT": self.ready_timeout,
            "OWNERSVOTE_BASE_URL": self.base_url,
            # Background jobs: "rq" when Redis is configured, else "thread" (see webapp/jobs/runner.py).
            "OWNERSVOTE_JOB_RUNNER": self.job_runner,
            "OWNERSVOTE_JOB_QUEUE": self.job_queue,
            "OWNERSVOTE_JOB_FILES": self.job_files,
            "OWNERSVOTE_JOB_SWEEP_EVERY": self.job_sweep_every,
            # Attachments and audit bundles (content-addressed); default instance/files.
            "OWNERSVOTE_FILES_PATH": self.files_path,
            # Reverse proxies in front of the app whose X-Forwarded-For/-Proto/-Host are believed
            # (werkzeug's ProxyFix, see webapp/app.py); 0 believes none.
            "OWNERSVOTE_PROXY_HOPS": self.proxy_hops,
            "OWNERSVOTE_CAST_LIMIT": self.cast_limit,
            "OWNERSVOTE_DB_POOL_SIZE": self.db_pool_size,
            "OWNERSVOTE_BENCH_HELLO": self.bench_hello,
            "SQLALCHEMY_DATABASE_URI": self.database_url,
            "SQLALCHEMY_ENGINE_OPTIONS": engine_options,
            # __Host-: the browser sends it only over HTTPS, to this exact host, for every path,
            # so neither a sibling subdomain nor plain HTTP can plant or read it.
            "SESSION_COOKIE_NAME": "__Host-ownersvote" if self.production else "ownersvote_session",
            "SESSION_COOKIE_SECURE": self.production,
            "SESSION_COOKIE_HTTPONLY": True,
            # Sessions end after 12 hours (staff sign in again each working day; owners sign in
            # with their phone's key in a second).
            "PERMANENT_SESSION_LIFETIME": timedelta(hours=12),
            "SESSION_COOKIE_SAMESITE": "Lax",
            "REMEMBER_COOKIE_SECURE": self.production,
            "REMEMBER_COOKIE_HTTPONLY": True,
            "PREFERRED_URL_SCHEME": "https" if self.production else "http",
            "MAX_CONTENT_LENGTH": 20 * 1024 * 1024,
            # Without Redis: limits' memory storage, made safe for threads (webapp.core.extensions).
            "RATELIMIT_STORAGE_URI": self.redis_url or "ownersvote-memory://",
            # Redis down or frozen: each process counts on its own (webapp.core.extensions) until
            # Redis answers again, rather than refusing every request with a 500.
            "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
            "RATELIMIT_STORAGE_OPTIONS": (
                {"socket_timeout": self.redis_timeout, "socket_connect_timeout": self.redis_timeout} if self.redis_url else {}
            ),
            "RATELIMIT_HEADERS_ENABLED": True,
            # A moving window: a fixed one lets twice the limit through across a window's edge.
            "RATELIMIT_STRATEGY": "moving-window",
            "BABEL_DEFAULT_LOCALE": "zh_CN",
            "BABEL_DEFAULT_TIMEZONE": self.timezone,
            "WTF_CSRF_TIME_LIMIT": None,
        }
