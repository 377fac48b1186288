"""What every form view does with a business operation: one commit per request, or none."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask import flash, request

from webapp.core.db import db
from webapp.core.errors_base import UserError
from webapp.core.i18n import pick


def run_operation(
    operation: Callable[[], Any], success: str | None = None, *, refused: Callable[[str], Any] | None = None
) -> tuple[bool, Any]:
    """Run ``operation``; commit and flash ``success``, or roll everything back and show the
    refusal in the reader's language: as an error flash, or through ``refused`` where a page says
    it elsewhere (beside its form).  Returns (done, what the operation returned)."""
    try:
        result = operation()
    except UserError as exc:
        db.session.rollback()
        if refused is None:
            flash(pick(exc), "error")
        else:
            refused(pick(exc))
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


def _browser_normalised(value: str) -> str:
    """``value`` as a browser reads it before resolving it (the WHATWG URL parser): leading and
    trailing C0 controls and spaces stripped, tabs and line breaks removed anywhere, and a
    backslash read as a slash."""
    value = value.strip("".join(chr(c) for c in range(0x21)))
    value = value.replace("\t", "").replace("\n", "").replace("\r", "")
    return value.replace("\\", "/")


def local_target(value: str | None, default: str) -> str:
    """``value`` when it is a path on this site, else ``default``: a posted or linked "next"
    must never send anyone to another site.  Browsers drop tabs and line breaks and read a
    backslash as a slash, so "/<tab>/host" and "/<backslash>host" are "//host" to them: a value with a
    control character, any whitespace or a backslash is refused outright, and what is left is
    checked as the browser would read it."""
    if not value or any(ord(c) < 0x20 or ord(c) == 0x7F or c.isspace() or c == "\\" for c in value):
        return default
    seen = _browser_normalised(value)
    if seen != value or not seen.startswith("/") or seen.startswith("//"):
        return default
    parts = urlsplit(seen)
    if parts.scheme or parts.netloc:
        return default
    return value


# Paths that carry a secret of their own: a letter's token (/r/<token>).
SECRET_PATHS = ("/r/",)


def language_next() -> str:
    """Where the language switch returns to: this page, unless its address carries a secret (a
    letter's token) or is not a plain local path; then the start page.  Every page, error pages
    included, writes it into the form, so a secret in it would be echoed into the page."""
    if request.path.startswith(SECRET_PATHS):
        return "/"
    here = request.full_path if request.query_string else request.path
    return local_target(here, "/")


def posted_json() -> dict:
    """The request's JSON object, or an empty one for anything else (a list, a number, no JSON)."""
    data = request.get_json(silent=True)
    return data if isinstance(data, dict) else {}
