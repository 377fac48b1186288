"""Shared fixtures: one database per test session and backend, a rolled-back transaction per test.

Database-backed tests run on SQLite and on PostgreSQL.  PostgreSQL is looked for at
OWNERSVOTE_TEST_PG_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/test); when it is
not reachable its tests are skipped with a message, except in CI (CI=true), where that fails.
"""

from __future__ import annotations

import os
import re
import uuid
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

PG_URL = os.environ.get("OWNERSVOTE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
PG_HOWTO = (
    "PostgreSQL not reachable at {url} ({error}); its tests are skipped. Start PostgreSQL "
    "(pg_ctlcluster --skip-systemctl-redirect 15 main start) or set OWNERSVOTE_TEST_PG_URL; CI runs them."
)


@pytest.fixture(scope="session")
def instance_dir(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("instance")
    os.environ["OWNERSVOTE_INSTANCE_PATH"] = str(path)
    os.environ.pop("OWNERSVOTE_ENV", None)
    return path


def _postgres_database():
    """Create a fresh database on the server for this test session; yield its URL."""
    admin_url = make_url(PG_URL)
    try:
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # any failure to reach the server
        message = PG_HOWTO.format(url=admin_url.render_as_string(hide_password=True), error=type(exc).__name__)
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    name = f"ownersvote_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request, instance_dir, tmp_path_factory):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    else:
        yield from _postgres_database()


@pytest.fixture(scope="session")
def app(database_url):
    from webapp import create_app
    from webapp.core.migrate import upgrade

    upgrade(database_url)
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SERVER_NAME": "ownersvote.test",
            "RATELIMIT_ENABLED": True,
            # Jobs run to their end inside the request that queued them: a background thread
            # could not share the test's rolled-back transaction (tests/test_jobs use the others).
            "OWNERSVOTE_JOB_RUNNER": "inline",
        }
    )
    yield app
    from webapp.core.db import db

    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def db_session(app, tmp_path):
    """The app's session, bound to a connection whose outer transaction is rolled back after the
    test: the application's own commits become savepoints.  Job result files go to a folder of
    the test's own (row ids repeat from one rolled-back test to the next)."""
    from webapp.core.db import db
    from webapp.core.extensions import limiter

    app.config["OWNERSVOTE_JOB_FILES"] = str(tmp_path / "jobs")
    with app.app_context():
        engine = db.engine
        connection = engine.connect()
        transaction = connection.begin()
        db.session.remove()
        db.session.configure(join_transaction_mode="create_savepoint")
        db.engines[None] = connection
        limiter.reset()
        try:
            yield db.session
        finally:
            db.session.remove()
            db.engines[None] = engine
            if transaction.is_active:
                transaction.rollback()
            connection.close()


class FreshContextClient(FlaskClient):
    """Each request in an application context of its own, as in production.  Without this, a
    request would reuse the test's context and its ``g`` (the logged-in user, the locale), and
    tests could pass that fail for real users."""

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture
def client(app, db_session):
    app.test_client_class = FreshContextClient
    return app.test_client()


@pytest.fixture
def make_estate(db_session):
    from webapp.estates.operations import create_estate

    def make(slug: str = "lvyuan", name: str = "绿苑小区"):
        estate = create_estate(slug, name, actor="test")
        db_session.commit()
        return estate

    return make


# Staff have real names (owners read them on the public roll), never their usernames.
STAFF_NAMES = ["王敏", "陈立新", "林晓燕", "周建国", "赵丽华", "孙志强", "欧阳娜仁托娅", "司马建华"]


@pytest.fixture
def make_staff(db_session):
    from webapp.auth.operations import assign_role, create_staff
    from webapp.core.roles import Role

    names = iter(STAFF_NAMES * 10)

    def make(
        username: str,
        *,
        name: str | None = None,
        estate=None,
        role: str | None = None,
        admin: bool = False,
        password: str = "correct horse battery",
    ):
        user = create_staff(username, name or next(names), password, admin=admin, actor="test")
        if estate is not None and role is not None:
            assign_role(user, estate, Role(role), actor="test")
        db_session.commit()
        return user

    return make


_TOKEN_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@pytest.fixture
def post(client):
    """POST like a browser: with the CSRF token from a page the client has loaded."""

    def do(url: str, data: dict | None = None, **kwargs):
        page = client.get("/").get_data(as_text=True)
        token = _TOKEN_RE.search(page).group(1)
        return client.post(url, data={**(data or {}), "csrf_token": token}, **kwargs)

    return do


@pytest.fixture
def login(post):
    def do(username: str, password: str = "correct horse battery"):
        response = post("/login", {"username": username, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return response

    return do


@pytest.fixture
def estate(make_estate, db_session):
    """The small estate of tests/test_registry's GOOD registry: 张三 (1-101 and 2-201), 李四 and
    王五 (co-owners of 1-102), the developer's 3-301 and 3-302, a company's shop S-1."""
    from tests.test_registry.test_import import GOOD
    from webapp.registry.importing import import_file

    estate = make_estate()
    import_file(estate, GOOD, "registry.csv", actor="test")
    db_session.commit()
    return estate


@pytest.fixture
def staff(estate, make_staff):
    return {
        "organiser": make_staff("organiser", estate=estate, role="organiser"),
        "supervisor": make_staff("supervisor", estate=estate, role="supervisor"),
        "supervisor2": make_staff("supervisor2", estate=estate, role="supervisor"),
    }
