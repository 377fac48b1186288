"""The audit log: a hash chain per estate (and one for the platform), `record()` that every privileged action calls, signed checkpoints, and the labels that say each action in words."""

from __future__ import annotations

from flask import Flask

from webapp.audit import labels


def init_app(app: Flask) -> None:
    app.jinja_env.globals["said"] = labels.word
