"""The application factory (Flask tutorial style)."""

from __future__ import annotations

from flask import Flask

from webapp.audit import labels as audit_labels
from webapp.config import Settings
from webapp.core import logging as token_logging
from webapp.core import sessions, timefmt
from webapp.core.converters import RowId
from webapp.core.db import db, install_idle_ping, utcnow
from webapp.core.extensions import babel, csrf, limiter, login_manager, select_locale
from webapp.core.i18n import is_chinese
from webapp.core.security import install_security_headers
from webapp.core.views import local_target
from webapp.owners.devices import device_name
from webapp.registry.counting import format_area


def create_app(config: dict | None = None) -> Flask:
    settings = Settings.from_env()
    app = Flask(__name__, instance_path=str(_instance_path()), instance_relative_config=False)
    app.config.update(settings.flask_config())
    if config:
        app.config.update(config)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", "translations")

    hops = int(app.config.get("OWNERSVOTE_PROXY_HOPS") or 0)
    if hops:
        # Behind a reverse proxy every request comes from the proxy's address: without this, one
        # rate limit would hold for all the estate's owners at once.  Only as many hops as are
        # really there are believed, so a client cannot choose its own address with a header.
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    app.url_map.converters["int"] = RowId  # before any route is added
    db.init_app(app)
    with app.app_context():
        for engine in db.engines.values():
            install_idle_ping(engine)
    sessions.install(app)
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    install_security_headers(app)
    app.jinja_env.globals["is_chinese"] = is_chinese
    app.jinja_env.globals["format_area"] = format_area
    app.jinja_env.globals["local"] = timefmt.local
    app.jinja_env.globals["local_date"] = timefmt.local_date
    app.jinja_env.globals["zone_label"] = timefmt.zone_label
    app.jinja_env.globals["device_name"] = device_name
    app.jinja_env.globals["said"] = audit_labels.word
    app.jinja_env.globals["now"] = utcnow
    app.jinja_env.globals["local_target"] = local_target

    import webapp.models  # noqa: F401  (every model known before the first query)
    from webapp.assemblies.routes import bp as assemblies_bp
    from webapp.audit.routes import bp as audit_bp
    from webapp.auth.routes import bp as auth_bp
    from webapp.candidates.routes import bp as candidates_bp
    from webapp.core.routes import bp as core_bp
    from webapp.demo_routes import bp as demo_bp
    from webapp.estates.routes import bp as estates_bp
    from webapp.jobs.kinds import load_kinds
    from webapp.jobs.routes import bp as jobs_bp
    from webapp.jobs.routes import can_see_jobs
    from webapp.owners.routes import bp as owners_bp
    from webapp.owners.staff_routes import bp as onboarding_bp
    from webapp.proxies.routes import bp as proxies_bp
    from webapp.registry.routes import bp as registry_bp
    from webapp.results.routes import bp as results_bp
    from webapp.rolls.routes import bp as rolls_bp
    from webapp.voting.routes import bp as voting_bp

    for blueprint in (
        core_bp,
        auth_bp,
        estates_bp,
        registry_bp,
        owners_bp,
        onboarding_bp,
        rolls_bp,
        audit_bp,
        assemblies_bp,
        candidates_bp,
        voting_bp,
        proxies_bp,
        results_bp,
        demo_bp,
        jobs_bp,
    ):
        app.register_blueprint(blueprint)
    if app.config.get("OWNERSVOTE_BENCH_HELLO"):
        _bench_hello(app)
    load_kinds()  # every job kind known to web processes and workers alike
    app.jinja_env.globals["can_see_jobs"] = can_see_jobs
    token_logging.install()

    from webapp.core import errors

    errors.install(app)
    return app


def _bench_hello(app: Flask) -> None:
    """The baseline of bench/cast.py: the same app, middleware and server, and no work of its own
    (only with OWNERSVOTE_BENCH_HELLO, which production mode refuses)."""

    @app.get("/__bench/hello")
    def bench_hello():
        return "hello"


def _instance_path():
    from webapp.config import instance_path

    return instance_path()
