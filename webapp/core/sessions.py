"""Server-side sessions (Flask-Session): the browser holds only a random session id.

A signed cookie that carries the session itself can be saved and replayed: a spent sign-in
challenge, a registration step already taken, a session ended by logging out, all come back
with the saved copy.  Here the cookie is only an id; the state lives on the server, so ending
it (logout, a spent challenge, a disabled account) ends it for every copy of the cookie.

Redis holds sessions when ``OWNERSVOTE_REDIS_URL`` is set (several processes or machines);
otherwise the database does, in the ``server_sessions`` table of our own migrations.  We do not
use Flask-Session's SQLAlchemy backend: it creates its table itself, outside Alembic, and
commits through the application's own ``db.session``, which would commit whatever a request
left unflushed.  Our backend writes through a transaction of its own.

Either way the store is keyed by SHA-256 of the session id, so a copy of the store (a backup, a
Redis dump) holds no live cookie value.

A visitor who is not signed in holds nothing but a CSRF token (every page has a form): such a
session is kept for ``ANONYMOUS_LIFETIME`` only, not the 12 hours of a signed-in one, so that
page views by the public and by crawlers do not fill the store.

Redis down or frozen (every call has a timeout, webapp/core/redisconn.py): a request gets an
empty session that is never saved.  A view marked :func:`optional` (casting a ballot, which the
voter's own key signs; the health checks) works without it; every other page answers 503 at
once with a page that says so (``StoreUnavailable``).
"""

from __future__ import annotations

import hashlib
import logging
from contextlib import contextmanager
from datetime import UTC, timedelta

from flask import Flask, current_app, request, session
from flask_session.base import ServerSideSession, ServerSideSessionInterface
from flask_session.redis import RedisSessionInterface
from redis.exceptions import RedisError
from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import ServiceUnavailable

from webapp.core import redisconn
from webapp.core.db import db, lost_connection, utcnow
from webapp.core.models import ServerSession

log = logging.getLogger(__name__)

# A session holding nothing but these belongs to nobody signed in.
ANONYMOUS_KEYS = frozenset({"csrf_token", "_permanent", "_fresh"})
ANONYMOUS_LIFETIME = timedelta(hours=1)  # long enough to fill in the form a page showed


class StoreUnavailable(ServiceUnavailable):
    """The session store (Redis) did not answer: the page cannot know who is asking."""

    zh = "登录状态暂时无法读取。投票页面仍可提交表决票；其他页面请几分钟后再试。"
    en = "Sign-ins cannot be read just now. Ballots can still be cast from the voting page; try other pages again in a few minutes."


def optional(view):
    """Mark a view that works without the session store (it needs nobody's session)."""
    view.session_optional = True
    return view


def anonymous(data) -> bool:
    return set(data.keys()) <= ANONYMOUS_KEYS


class _OurStore:
    """What both stores share: hashed ids, and a new id whose old record is deleted when the
    response is saved (after the request's own transaction has ended: SQLite has one writer, and
    the request's writer must not wait for the store's)."""

    key_prefix: str

    def _get_store_id(self, sid: str) -> str:
        return self.key_prefix + hashlib.sha256(sid.encode()).hexdigest()

    def regenerate(self, session: ServerSideSession) -> None:
        old = getattr(session, "_replaced_store_ids", [])
        session._replaced_store_ids = old + [self._get_store_id(session.sid)]
        session.sid = self._generate_sid(self.sid_length)
        session.modified = True

    def save_session(self, app, session, response) -> None:
        if not session and not session.modified and not getattr(session, "_replaced_store_ids", None):
            # A new, empty session nobody changed: nothing to store, delete or send (what the base
            # class concludes too, after hashing the id and reading the cookie's settings).
            if session.accessed:
                response.vary.add("Cookie")
            return
        for store_id in getattr(session, "_replaced_store_ids", ()):
            self._delete_session(store_id)
        session._replaced_store_ids = []
        super().save_session(app, session, response)


def _lifetime(session, lifetime: timedelta) -> timedelta:
    return min(lifetime, ANONYMOUS_LIFETIME) if anonymous(session) else lifetime


class RedisSessions(_OurStore, RedisSessionInterface):
    def open_session(self, app, request):
        try:
            return super().open_session(app, request)
        except RedisError as exc:
            log.warning("session store (Redis) unavailable: %s", type(exc).__name__)
            empty = self.session_class(sid=self._generate_sid(self.sid_length), permanent=self.permanent)
            empty.store_down = True
            return empty

    def save_session(self, app, session, response) -> None:
        if getattr(session, "store_down", False):
            return
        try:
            super().save_session(app, session, response)
        except RedisError as exc:  # the response stands; the session's change is lost
            log.warning("session not saved, Redis unavailable: %s", type(exc).__name__)

    def _upsert_session(self, session_lifetime: timedelta, session: ServerSideSession, store_id: str) -> None:
        super()._upsert_session(_lifetime(session, session_lifetime), session, store_id)


@contextmanager
def _store_transaction():
    """A transaction of the session store's own, apart from the request's unit of work.  (The
    test fixtures bind everything to one connection; there it is a savepoint.)"""
    bind = db.session.get_bind()
    if isinstance(bind, Connection):
        with bind.begin_nested():
            yield bind
    else:
        with bind.begin() as connection:
            yield connection


class DatabaseSessions(_OurStore, ServerSideSessionInterface):
    session_class = ServerSideSession
    ttl = False  # expired rows are deleted now and then, see cleanup_n_requests

    def _retrieve_session_data(self, store_id: str):
        query = select(ServerSession.data, ServerSession.expires_at).where(ServerSession.id == store_id)
        try:
            with _store_transaction() as connection:
                row = connection.execute(query).first()
        except DBAPIError as error:
            # A pooled connection the database dropped a moment ago: reading writes nothing, so
            # read once more on a fresh one (as RetryingSession does for the request's own reads).
            if not lost_connection(error):
                raise
            with _store_transaction() as connection:
                row = connection.execute(query).first()
        if row is None or _aware(row.expires_at) <= utcnow():
            return None
        return self.serializer.decode(row.data)

    def _delete_session(self, store_id: str) -> None:
        with _store_transaction() as connection:
            connection.execute(delete(ServerSession).where(ServerSession.id == store_id))

    def _upsert_session(self, session_lifetime: timedelta, session: ServerSideSession, store_id: str) -> None:
        data = self.serializer.encode(session)
        expires = utcnow() + _lifetime(session, session_lifetime)
        with _store_transaction() as connection:
            changed = connection.execute(
                update(ServerSession).where(ServerSession.id == store_id).values(data=data, expires_at=expires)
            ).rowcount
            if not changed:
                connection.execute(insert(ServerSession).values(id=store_id, data=data, expires_at=expires))

    def _delete_expired_sessions(self) -> None:
        with _store_transaction() as connection:
            connection.execute(delete(ServerSession).where(ServerSession.expires_at <= utcnow()))


def _aware(value):

    return value if value.tzinfo else value.replace(tzinfo=UTC)


def install(app: Flask) -> None:
    # Not refreshed on every request: a page view should not be a write.
    app.config.setdefault("SESSION_REFRESH_EACH_REQUEST", False)
    redis_url = app.config.get("OWNERSVOTE_REDIS_URL")
    if redis_url:
        app.session_interface = RedisSessions(
            app, client=redisconn.connect(app, redis_url), key_prefix="ownersvote:session:", permanent=True
        )
    else:
        app.session_interface = DatabaseSessions(app, key_prefix="", permanent=True, cleanup_n_requests=500)

    @app.before_request
    def _refuse_without_the_store():
        if not getattr(session, "store_down", False) or request.endpoint in (None, "static"):
            return
        view = current_app.view_functions.get(request.endpoint)
        if not getattr(view, "session_optional", False):
            raise StoreUnavailable()

    @app.after_request
    def _end_unit_of_work(response):
        # Views commit what they mean to keep; anything left open is discarded here rather than
        # at teardown, so that the session store's own write never nests inside it.  (A request
        # that never used the session, a ballot cast on the fast path, has none to make for it.)
        if db.session.registry.has():
            db.session.rollback()
        return response


def rotate() -> None:
    """A new session id for the same session: called at every change of privilege (sign-in,
    a registered key), so that an id seen before the change is worth nothing after it."""
    interface = current_app.session_interface
    if isinstance(session._get_current_object(), ServerSideSession):
        interface.regenerate(session._get_current_object())


def end() -> None:
    """Forget the session on the server (logout): every saved copy of its cookie is now void."""
    session.clear()
    session.modified = True
