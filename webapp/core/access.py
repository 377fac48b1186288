"""Who may see what: every estate-scoped view loads its estate through here.

An estate the caller has no role in answers 404, not 403, so that staff of one estate cannot
even learn which other estates exist.
"""

from __future__ import annotations

from functools import wraps

from flask import abort, g, redirect, url_for
from flask_login import current_user

from webapp.auth.models import Role, StaffUser
from webapp.core.db import db
from webapp.core.errors import forbid
from webapp.core.extensions import login_manager
from webapp.estates.models import Estate
from webapp.estates.operations import get_estate


@login_manager.user_loader
def load_user(user_id: str):
    kind, _, raw = user_id.partition(":")
    if kind == "staff":
        number, _, epoch = raw.partition(":")
        if not (number.isdigit() and epoch.isdigit()):
            return None
        user = db.session.get(StaffUser, int(number))
        # A disabled account's sessions end at once, and a changed password ends every session
        # opened before it: neither loads any more.
        return user if user is not None and user.active and user.session_epoch == int(epoch) else None
    if not raw.isdigit():
        return None
    if kind == "owner":
        from webapp.owners.models import Registration

        registration = db.session.get(Registration, int(raw))
        return registration if registration is not None and registration.is_active else None
    return None


def is_staff() -> bool:
    return current_user.is_authenticated and isinstance(current_user._get_current_object(), StaffUser)


def is_owner() -> bool:
    from webapp.owners.models import Registration

    return current_user.is_authenticated and isinstance(current_user._get_current_object(), Registration)


def owner_required(view):
    """Owners signed in on their device; anyone else goes to the device sign-in page."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not is_owner():
            return redirect(url_for("owners.signin"))
        return view(*args, **kwargs)

    return wrapper


def admin_required(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not (is_staff() and current_user.is_platform_admin):
            abort(403)
        return view(*args, **kwargs)

    return wrapper


# How a page names the staff roles: (one in Chinese, several in English, one in English).
ROLE_NAMES = {Role.organiser: ("组织者", "organisers", "an organiser"), Role.supervisor: ("监督员", "supervisors", "a supervisor")}


def not_for_role(role: Role, roles: tuple[Role, ...]) -> tuple[str, str]:
    """Why a member of the estate's staff may not use a page, in both languages."""
    if roles:
        zh = "、".join(ROLE_NAMES[r][0] for r in roles)
        en = " and ".join(ROLE_NAMES[r][1] for r in roles)
        return (
            f"这个页面只供本小区的{zh}使用；您在本小区是{ROLE_NAMES[role][0]}",
            f"this page is for the estate's {en} only; you are {ROLE_NAMES[role][2]} of this estate",
        )
    return (
        f"这个页面只供平台管理员使用；您在本小区是{ROLE_NAMES[role][0]}",
        f"this page is for platform administrators only; you are {ROLE_NAMES[role][2]} of this estate",
    )


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
