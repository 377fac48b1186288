"""Who may see a firm's pages: a firm's own login, for its own firm only.

A firm's login sees nothing of an estate's staff pages (``estate_view`` answers 404 to anyone not
staff), and an object of another firm answers 404, the same as no such object, so that ids of
other firms' inspections or notices cannot be probed."""

from __future__ import annotations

from functools import wraps

from flask import abort, redirect, request, url_for
from flask_login import current_user

from webapp.core.roles import is_firm


def firm_required(view):
    """The view for a signed-in firm login only (others: to the firm sign-in, or 404 when signed
    in as someone else, who has no firm pages)."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            return redirect(url_for("firms.login", next=request.full_path.rstrip("?")))
        if not is_firm():
            abort(404)
        return view(*args, **kwargs)

    return wrapper


def of_my_firm(found, firm_id_attribute: str = "firm_id"):
    """``found`` if it belongs to the signed-in login's firm; 404 otherwise (or when None)."""
    if found is None or not is_firm() or getattr(found, firm_id_attribute) != current_user.firm_id:
        abort(404)
    return found
