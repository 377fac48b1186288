"""The application factory (Flask tutorial style): the configuration, then every package's
``init_app`` in floor order (docs/architecture.md).  A new package is added to PACKAGES, once."""

from __future__ import annotations

from flask import Flask

import webapp.models  # noqa: F401  (every model known before the first query)
from webapp import (
    assemblies,
    audit,
    auth,
    bodies,
    candidates,
    core,
    demo,
    devices,
    disclosures,
    district,
    estates,
    evaluations,
    firms,
    inspections,
    jobs,
    oversight,
    owners,
    petitions,
    pool,
    portal,
    proxies,
    rankings,
    registry,
    results,
    rolls,
    voting,
)
from webapp.assemblies import hooks as assembly_hooks
from webapp.auth.models import StaffUser
from webapp.core.config import Settings
from webapp.core.db import db
from webapp.core.extensions import login_manager
from webapp.core.instance import instance_path
from webapp.core.startup import run_startup_checks
from webapp.firms.models import FirmUser
from webapp.owners.models import Registration

# Bottom to top, as the floors stand (tests/test_layers.py knows the same order).
PACKAGES = (
    core,
    audit,
    estates,
    devices,
    auth,
    firms,
    pool,
    bodies,
    jobs,
    registry,
    owners,
    assemblies,
    evaluations,
    inspections,
    candidates,
    proxies,
    rolls,
    rankings,
    petitions,
    disclosures,
    voting,
    results,
    district,
)
PAGES = (portal, oversight, demo)


def create_app(config: dict | None = None) -> Flask:
    settings = Settings.from_env()
    app = Flask(__name__, instance_path=str(instance_path()), instance_relative_config=False)
    app.config.update(settings.flask_config())
    if config:
        app.config.update(config)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", "translations")
    for package in PACKAGES + PAGES:
        package.init_app(app)
    login_manager.user_loader(load_user)
    assembly_hooks.check_complete()
    # Last, once every package has registered its checks: a process that would sign under a key
    # that is not the installation's (and the like) is refused here, before any request.  (Only
    # `ownersvote server-key`, which changes the key set, goes without: it is how a key is put right.)
    if app.config.get("OWNERSVOTE_STARTUP_CHECKS", True):
        run_startup_checks(app)
    if app.config.get("OWNERSVOTE_BENCH_HELLO"):
        _bench_hello(app)
    return app


def _bench_hello(app: Flask) -> None:
    """The baseline of bench/cast.py: the same app, middleware and server, and no work of its own
    (only with OWNERSVOTE_BENCH_HELLO, which production mode refuses)."""

    @app.get("/__bench/hello")
    def bench_hello():
        return "hello"


def load_user(user_id: str):
    """The signed-in user from the session's id: ``staff:ID:EPOCH``, ``firm:ID:EPOCH`` (a firm's
    login) or ``owner:ID``."""
    kind, _, raw = user_id.partition(":")
    if kind in ("staff", "firm"):
        number, _, epoch = raw.partition(":")
        if not (number.isdigit() and epoch.isdigit()):
            return None
        user = db.session.get(StaffUser if kind == "staff" else FirmUser, int(number))
        # A disabled account's sessions end at once, and a changed password ends every session
        # opened before it: neither loads any more.
        return user if user is not None and user.active and user.session_epoch == int(epoch) else None
    if not raw.isdigit():
        return None
    if kind == "owner":
        registration = db.session.get(Registration, int(raw))
        return registration if registration is not None and registration.is_active else None
    return None
