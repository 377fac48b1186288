"""Shared fixtures: one database per test session and backend, a rolled-back transaction per test;
estates, staff, owners' letters and phones, and an assembly in its voting window built on them.
The plain helpers and data they use are in tests/factories.py.

Database-backed tests run on SQLite and on PostgreSQL.  PostgreSQL is looked for at
OWNERSVOTE_TEST_PG_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/test); when it is
not reachable its tests are skipped with a message, except in CI (CI=true), where that fails.

The README's command runs the suite in several processes (pytest-xdist, ``--dist loadfile``).
Each worker makes its own of everything shared: the session's databases (SQLite under its own
``tmp_path_factory``, PostgreSQL databases named by a random uuid), the instance folder, live
servers on a port the kernel picks (port 0), and in Redis a queue name or key prefix per test.
A test that adds something shared must do the same.
"""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from tests.factories import GOOD, LI_TAIL, LINUX_UA, STAFF_NAMES, TITLES, ZHANG_TAIL, Device, Scenario, postgres_database


@pytest.fixture(autouse=True)
def _no_sequencer_outlives_its_test():
    """A sequencer thread started during a test (an app that is not TESTING, a live server) stops
    with it: a thread left polling a dropped database logs tracebacks for ever, and Python 3.11's
    traceback module parses source with the ``ast`` module, whose state is shared between threads
    (CPython gh-106905: "AST constructor recursion depth mismatch" in whatever else parses)."""
    from webapp.voting import sequencer

    before = sequencer.running()
    yield
    sequencer.stop_threads(sequencer.running() - before)


@pytest.fixture(scope="session")
def instance_dir(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("instance")
    os.environ["OWNERSVOTE_INSTANCE_PATH"] = str(path)
    os.environ.pop("OWNERSVOTE_ENV", None)
    return path


@pytest.fixture(scope="session", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request, instance_dir, tmp_path_factory):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    else:
        yield from postgres_database()


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
    from webapp.core.filestore import mark

    app.config["OWNERSVOTE_JOB_FILES"] = str(tmp_path / "jobs")
    mark(tmp_path / "jobs", "job files")  # as `ownersvote init` marks the shared folder
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
    """The small estate of the GOOD registry (tests/factories.py): 张三 (1-101 and 2-201), 李四 and
    王五 (co-owners of 1-102), the developer's 3-301 and 3-302, a company's shop S-1."""
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


@pytest.fixture
def two_estates(make_estate, make_staff, db_session):
    """Estate A (with the GOOD registry, an organiser and a supervisor) and estate B (an organiser
    only), and a platform admin ``root``."""
    from webapp.registry.importing import import_file

    a, b = make_estate("estate-a", "甲小区"), make_estate("estate-b", "乙小区")
    import_file(a, GOOD, "a.csv", actor="test")
    db_session.commit()
    make_staff("org-a", estate=a, role="organiser")
    make_staff("sup-a", estate=a, role="supervisor")
    make_staff("org-b", estate=b, role="organiser")
    make_staff("root", admin=True)
    return a, b


@pytest.fixture
def people(make_estate, make_staff, db_session):
    """A platform admin, an estate's supervisor (with two signing keys) and organiser, by their real names."""
    from crypto.keys import generate_ed25519
    from webapp.devices import operations as device_ops

    estate = make_estate("lvyuan", "绿苑小区")
    admin = make_staff("root", name="区住建局 周建国", admin=True)
    supervisor = make_staff("sup", name="居委会 王敏", estate=estate, role="supervisor")
    organiser = make_staff("org", name="筹备组 林晓燕", estate=estate, role="organiser")
    keys = [device_ops.add_device_key(jwk=generate_ed25519().jwk, label=LINUX_UA, staff=supervisor) for _ in range(2)]
    db_session.commit()
    return {"estate": estate, "admin": admin, "supervisor": supervisor, "organiser": organiser, "keys": keys}


# -- owners' onboarding -------------------------------------------------------------------------


@pytest.fixture
def letter(estate, staff, db_session, app):
    """Issue a letter for a unit label; returns (token, code)."""
    from webapp.owners import operations as ops
    from webapp.registry.models import Unit

    def issue(label: str = "1-101"):
        unit = next(u for u in db_session.scalars(select(Unit).where(Unit.estate_id == estate.id)) if u.label == label)
        issued = ops.issue_letters(estate, [unit], actor=staff["organiser"], pii_key=app.config["OWNERSVOTE_PII_HMAC_KEY"])
        db_session.commit()
        return issued[0].token, issued[0].code

    return issue


@pytest.fixture
def device(client):
    return Device(client)


@pytest.fixture
def onboard(client, post, letter, device):
    """Scan a letter, answer the identity check, register the device: the whole owner path."""

    def run(label: str = "1-101", name: str = "张三", tail: str = ZHANG_TAIL):
        token, _code = letter(label)
        client.get(f"/r/{token}")
        post("/join", {"id-name": name, "id-id_tail": tail})
        response = device.register()
        assert response.status_code == 200, response.get_data(as_text=True)
        return token

    return run


@pytest.fixture
def ask_review(client, post, letter, device, db_session):
    """An owner whose details do not match asks the supervisors to check, registers the phone
    and leaves; returns the pending registration."""
    from webapp.owners.models import Registration

    def run(label: str, name: str, tail: str, note: str):
        token, _ = letter(label)
        client.get(f"/r/{token}")
        post("/join", {"id-name": name, "id-id_tail": tail})
        post("/join/review", {"rv-name": name, "rv-note": note})
        device.register()
        post("/logout")
        return db_session.scalar(select(Registration).order_by(Registration.id.desc()))

    return run


@pytest.fixture
def staff_signer(client):
    from crypto.keys import generate_ed25519

    return generate_ed25519()


# -- an assembly --------------------------------------------------------------------------------


@pytest.fixture
def scenario(app, client, post, login, estate, staff, make_staff, db_session, monkeypatch):
    """An estate's assembly driven step by step as its people would (tests/factories.py's
    ``Scenario``), the server's clock moved with time-machine."""
    s = Scenario(app, client, post, login, estate, staff, make_staff, db_session, monkeypatch)
    yield s
    s.stop()


@pytest.fixture
def voting(scenario):
    """An assembly in its voting window: a resolution, a by-election of one seat among two
    vetted candidates, a firm selection among two bidders; 张三 (1-101) and 李四 (1-102) have
    voting keys on the signed roll; the notice was published 15 days before opening."""
    s = scenario
    s.register_owner("1-101", "张三", ZHANG_TAIL)
    s.register_owner("1-102", "李四", LI_TAIL)
    opens = s.start + timedelta(days=25)
    closes = opens + timedelta(days=7)
    s.create(opens=opens, closes=closes)
    s.add_item("resolution", 2, TITLES["statute"], text="管理规约修订稿见附件。")
    election = s.add_item("election", 3, TITLES["election"], seats=1, by_election="y")
    firm = s.add_item("selection", 4, TITLES["firm"])
    s.add_bidder(firm, "杭州安居物业服务有限公司", "2.30")
    s.add_bidder(firm, "浙江绿城物业服务有限公司", "2.80")
    s.paper_nomination(election, "1-101", "张三")
    s.paper_nomination(election, "1-102", "李四")
    s.vet_all_and_publish(election)
    s.later(days=8)  # the candidates' list has been on display for the estate's 7 days
    s.publish_notice()
    s.freeze_and_sign_roll()
    s.at(opens + timedelta(hours=1))
    return s


@pytest.fixture
def kinds():
    """Register job kinds for one test: ``kinds("test.x", func, start=..., view=...)``."""
    from webapp.core.roles import Role
    from webapp.jobs.kinds import JobKind, register, unregister

    names = []

    def add(name: str, func, **options):
        options.setdefault("start", frozenset({Role.organiser}))
        options.setdefault("view", frozenset({Role.organiser, Role.supervisor}))
        register(JobKind(name=name, title="测试任务", run=func, **options))
        names.append(name)
        return name

    yield add
    for name in names:
        unregister(name)
