"""Owners' assemblies: the agenda, the notice and the clock that opens and closes voting."""

from __future__ import annotations

from flask import Flask

from webapp.assemblies.files import listed_in_notice
from webapp.assemblies.routes import bp
from webapp.attachments.access import register_reader


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    # Documents of items and bids are public once a published notice lists them.
    for kind in ("item", "bidder"):
        register_reader(kind, listed_in_notice)
