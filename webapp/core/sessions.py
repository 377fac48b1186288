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
"""

from __future__ import annotations

import hashlib
from contextlib import contextmanager
from datetime import UTC, timedelta

from flask import Flask, session
from flask_session.base import ServerSideSession, ServerSideSessionInterface
from flask_session.redis import RedisSessionInterface
from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.exc import DBAPIError

from webapp.core.db import db, lost_connection, utcnow
from webapp.core.models import ServerSession


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
        for store_id in getattr(session, "_replaced_store_ids", ()):
            self._delete_session(store_id)
        session._replaced_store_ids = []
        super().save_session(app, session, response)


class RedisSessions(_OurStore, RedisSessionInterface):
    pass


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
        expires = utcnow() + session_lifetime
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
        from redis import Redis

        app.session_interface = RedisSessions(app, client=Redis.from_url(redis_url), key_prefix="ownersvote:session:", permanent=True)
    else:
        app.session_interface = DatabaseSessions(app, key_prefix="", permanent=True, cleanup_n_requests=500)

    @app.after_request
    def _end_unit_of_work(response):
        # Views commit what they mean to keep; anything left open is discarded here rather than
        # at teardown, so that the session store's own write never nests inside it.
        db.session.rollback()
        return response


def rotate() -> None:
    """A new session id for the same session: called at every change of privilege (sign-in,
    a registered key), so that an id seen before the change is worth nothing after it."""
    from flask import current_app

    interface = current_app.session_interface
    if isinstance(session._get_current_object(), ServerSideSession):
        interface.regenerate(session._get_current_object())


def end() -> None:
    """Forget the session on the server (logout): every saved copy of its cookie is now void."""
    session.clear()
    session.modified = True
