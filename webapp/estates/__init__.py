"""Estates: the estate record and its settings, the statute's thresholds and the estate's stricter rules, and who may see what of an estate."""

from __future__ import annotations

from flask import Flask

from webapp.estates.routes import bp


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
