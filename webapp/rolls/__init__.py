"""Electoral rolls: frozen from the registry, signed by supervisors in their own browsers, and checked against their signatures wherever they are used."""

from __future__ import annotations

from flask import Flask

from webapp.assemblies import hooks as assembly_hooks
from webapp.rolls import checks
from webapp.rolls.routes import bp, rolls_to_choose


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    assembly_hooks.register("opening_blockers", "rolls.certified", checks.opening_blockers)
    assembly_hooks.register("detail_context", "rolls.choices", rolls_to_choose)
