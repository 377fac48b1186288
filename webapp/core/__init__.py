"""The foundation: database, extensions, errors, languages, times, security, sessions, the server
key, configuration and the instance folder, roles and user kinds."""

from __future__ import annotations

from flask import Flask
from markupsafe import Markup
from werkzeug.middleware.proxy_fix import ProxyFix

# `db` is imported as the module: a name `db` bound here would hide the module webapp.core.db
# from every `import webapp.core.db` (migrations use it that way).
from webapp.core import db as database
from webapp.core import errors, inputs, metrics, readiness, sessions, timefmt
from webapp.core import logging as token_logging
from webapp.core.converters import RowId
from webapp.core.db import forget_pool_after_fork, install_idle_ping, utcnow
from webapp.core.extensions import babel, csrf, limiter, login_manager, select_locale
from webapp.core.i18n import colon, is_chinese
from webapp.core.routes import bp
from webapp.core.security import install_security_headers
from webapp.core.views import language_next, local_target


def nowrap(value) -> Markup:
    """A number (with its unit) that a line never breaks: 12,345.67 m² stays whole on a phone.
    Inside a translated sentence: ``_('of %(area)s', area=(x ~ ' m²')|nowrap)``."""
    return Markup('<span class="nowrap">%s</span>') % value


def init_app(app: Flask) -> None:
    """Everything the other packages stand on, installed first."""
    hops = int(app.config.get("OWNERSVOTE_PROXY_HOPS") or 0)
    if hops:
        # Behind a reverse proxy every request comes from the proxy's address: without this, one
        # rate limit would hold for all the estate's owners at once.  Only as many hops as are
        # really there are believed, so a client cannot choose its own address with a header.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    app.url_map.converters["int"] = RowId  # before any route is added
    database.size_pool(app.config)
    database.db.init_app(app)
    with app.app_context():
        for engine in database.db.engines.values():
            install_idle_ping(engine)
            forget_pool_after_fork(engine)
            metrics.count_pool(engine)
    metrics.install(app)
    inputs.install(app)  # before CSRF and every view: a NUL or over-deep JSON never reaches them
    sessions.install(app)
    readiness.install(app)
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    install_security_headers(app)
    app.jinja_env.globals.update(
        is_chinese=is_chinese,
        colon=colon,
        local=timefmt.local,
        local_date=timefmt.local_date,
        zone_label=timefmt.zone_label,
        now=utcnow,
        local_target=local_target,
        language_next=language_next,
    )
    app.jinja_env.filters["nowrap"] = nowrap
    app.register_blueprint(bp)
    token_logging.install(app)
    errors.install(app)
