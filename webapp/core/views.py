"""What every form view does with a business operation: one commit per request, or none."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import flash, request

from webapp.core.db import db
from webapp.core.errors_base import UserError
from webapp.core.i18n import pick


def run_operation(operation: Callable[[], Any], success: str | None = None) -> tuple[bool, Any]:
    """Run ``operation``; commit and flash ``success``, or roll everything back and show the
    refusal in the reader's language.  Returns (done, what the operation returned)."""
    try:
        result = operation()
    except UserError as exc:
        db.session.rollback()
        flash(pick(exc), "error")
        return False, None
    db.session.commit()
    if success:
        flash(success, "success")
    return True, result


def flash_form_errors(form) -> None:
    """Each of a form's validation messages as an error flash, in the reader's language."""
    for errors in form.errors.values():
        for error in errors:
            flash(str(error), "error")


def local_target(value: str | None, default: str) -> str:
    """``value`` when it is a path on this site, else ``default``: a posted or linked "next"
    must never send anyone to another site (browsers read "//host" and "/\\host" as one)."""
    if not value or not value.startswith("/") or value[1:2] in ("/", "\\") or any(c in value for c in "\r\n"):
        return default
    return value


def posted_json() -> dict:
    """The request's JSON object, or an empty one for anything else (a list, a number, no JSON)."""
    data = request.get_json(silent=True)
    return data if isinstance(data, dict) else {}
