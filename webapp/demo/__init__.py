"""The demo: an estate of 1,200 units with assemblies in every state, and a page of demo voters (demo mode only)."""

from __future__ import annotations

from flask import Flask

from webapp.demo.routes import bp


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
