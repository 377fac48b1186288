"""The owner's own page, gathered from many packages: units, keys, assemblies and what to do in each, nominations, letters of proxy, notices."""

from __future__ import annotations

from flask import Flask

from webapp.portal.routes import bp


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
