"""Who people are to the application: the staff roles of an estate, and the kinds of signed-in
user.  A user object says its kind by its ``kind`` attribute (``"staff"``, ``"owner"``, or
``"firm"`` for a property firm's login, webapp/firms), so
that pages low in the house can tell them apart without importing the packages that define them.
"""

from __future__ import annotations

import enum
from functools import wraps

from flask import abort, current_app, g, has_request_context, request
from flask_login import current_user

from webapp.core.extensions import login_manager


class Role(enum.Enum):
    organiser = "organiser"
    supervisor = "supervisor"


STAFF = "staff"
OWNER = "owner"
FIRM = "firm"


def user_kind(user=None) -> str | None:
    """``"staff"``, ``"owner"``, ``"firm"`` or None (nobody signed in) for ``user`` (the current one by default)."""
    if user is None and _nobody_signed_in():
        return None
    user = current_user if user is None else user
    if not getattr(user, "is_authenticated", False):
        return None
    return getattr(user, "kind", None)


def _nobody_signed_in() -> bool:
    """Whether this request cannot have anybody signed in: no user loaded or logged in yet, and
    neither the session's cookie nor Flask-Login's remember cookie (the only ways in: the app has
    no request loader).  Asking Flask-Login then would only hash the client's address and agent
    for its session protection: a tenth of a cast's CPU (bench/cast.py, py-spy)."""
    if not has_request_context() or "_login_user" in g:
        return False
    config = current_app.config
    cookies = request.cookies
    return config["SESSION_COOKIE_NAME"] not in cookies and config.get("REMEMBER_COOKIE_NAME", "remember_token") not in cookies


def is_staff() -> bool:
    return user_kind() == STAFF


def is_owner() -> bool:
    return user_kind() == OWNER


def is_firm() -> bool:
    return user_kind() == FIRM


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
