"""Results: the tally from the sealed log, supervisors' certification, publication (公示),
objections and the public audit bundle."""

from __future__ import annotations

from flask import Flask

from webapp.attachments.access import register_reader
from webapp.results import jobs  # noqa: F401  (registers its job kinds)
from webapp.results.objections import may_read_objection_file
from webapp.results.routes import bp


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    register_reader("objection", may_read_objection_file)
