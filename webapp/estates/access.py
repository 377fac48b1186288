"""Who may see what of an estate: every estate-scoped view loads its estate through here.

An estate the caller has no role in answers 404, not 403, so that staff of one estate cannot
even learn which other estates exist.
"""

from __future__ import annotations

from functools import wraps

from flask import abort, g
from flask_login import current_user

from webapp.core.db import db
from webapp.core.errors import forbid
from webapp.core.extensions import login_manager
from webapp.core.roles import Role, is_staff, not_for_role
from webapp.estates.models import Estate
from webapp.estates.operations import get_estate


def estate_view(*roles: Role, admin: bool = True, refuse: dict[Role, tuple[str, str]] | None = None):
    """Load ``slug`` into ``g.estate`` (and the view's ``estate`` argument) for staff holding
    one of ``roles`` in it, or for platform admins when ``admin`` is true.  ``refuse`` gives
    the reason (zh, en) a role of the estate is refused with, where there is more to say than
    that the page is not for them (an organiser can never certify, say)."""

    def decorator(view):
        @wraps(view)
        def wrapper(slug: str, *args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not is_staff():
                abort(404)
            estate = get_estate(slug)
            if estate is None:
                abort(404)
            role = current_user.role_in(estate.id)
            allowed = (admin and current_user.is_platform_admin) or (role is not None and role in roles)
            if not allowed:
                # Staff of this estate know it exists: tell them the page is not for their role
                # (with the way forward on the 403 page); others learn nothing about the estate.
                if role is None:
                    abort(404)
                forbid(*(refuse[role] if refuse and role in refuse else not_for_role(role, roles)))
            g.estate, g.role = estate, role
            return view(estate, *args, **kwargs)

        return wrapper

    return decorator


def in_estate(model, object_id: int, estate: Estate):
    """The ``model`` row with this id if it belongs to ``estate``; 404 otherwise (the same answer
    for a wrong estate as for no such row, so ids of other estates cannot be probed)."""
    found = db.session.get(model, object_id)
    if found is None or found.estate_id != estate.id:
        abort(404)
    return found


def public_estate(slug: str) -> Estate:
    """The estate of a public page's address (``/p/SLUG/…``); 404 when there is none."""
    estate = get_estate(slug)
    if estate is None:
        abort(404)
    return estate
