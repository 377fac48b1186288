"""The registry of units and owners: imports from the property office's file, the statute's counting of heads and area, and the estate's roster pages."""

from __future__ import annotations

from flask import Flask

from webapp.registry import jobs  # noqa: F401  (registers its job kinds)
from webapp.registry.counting import format_area
from webapp.registry.roster_routes import bp as roster_bp
from webapp.registry.routes import bp


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.register_blueprint(roster_bp)
    app.jinja_env.globals["format_area"] = format_area
