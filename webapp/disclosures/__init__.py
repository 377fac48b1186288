"""Open accounts (三公开, 收支公示): an estate's service standards and fees, complaint channels,
public revenue, income and expense statements and the maintenance fund's use, each publication
versioned and signed by the server key (crypto/disclosure.py, docs/disclosure-format.md)."""

from __future__ import annotations

from flask import Flask, url_for
from flask_babel import lazy_gettext as _l

from crypto.disclosure import yuan
from webapp.audit import labels as audit_labels
from webapp.core.db import db
from webapp.disclosures import operations
from webapp.disclosures.routes import bp
from webapp.estates.models import Estate

AUDIT_ACTIONS = {
    "disclosure.publish": _l("Published the estate's accounts (signed)"),
}


def published_statement(sha256: str) -> dict | None:
    """The published version a file's SHA-256 names (an agenda item's attachment), with the
    address of its page: so that the item shows the statement, not only a file."""
    version = operations.by_sha(sha256)
    if version is None:
        return None
    disclosure = version.disclosure
    return {
        "title": disclosure.title,
        "version": version.version,
        "url": url_for("disclosures.public_view", slug=disclosure_slug(version), disclosure_id=disclosure.id, v=version.version),
    }


def disclosure_slug(version) -> str:
    return db.session.get(Estate, version.estate_id).slug


def init_app(app: Flask) -> None:
    audit_labels.register_actions(AUDIT_ACTIONS)
    app.register_blueprint(bp)
    app.jinja_env.filters["yuan"] = yuan
    app.jinja_env.globals["published_statement"] = published_statement
