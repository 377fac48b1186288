"""Pages for owners signed in on their device."""

from __future__ import annotations

from functools import wraps

from flask import redirect, url_for

from webapp.core.roles import is_owner


def owner_required(view):
    """Owners signed in on their device; anyone else goes to the device sign-in page."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not is_owner():
            return redirect(url_for("owners.signin"))
        return view(*args, **kwargs)

    return wrapper
