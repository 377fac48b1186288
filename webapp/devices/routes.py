"""A staff member's own signing keys (for rolls and tallies, signed in their browser)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from webapp.core.db import db
from webapp.core.extensions import limiter
from webapp.core.roles import is_staff
from webapp.core.views import local_target, run_operation
from webapp.devices import operations as device_ops
from webapp.devices.forms import RevokeForm
from webapp.devices.models import DeviceKey
from webapp.devices.names import in_app_browser
from webapp.devices.proof import register_posted_key

bp = Blueprint("devices", __name__)


@bp.app_context_processor
def _helpers():
    # Which app's own browser this page is open in (WeChat, Alipay, QQ), for the pages that make
    # or use a key: they say how to open the page in the phone's browser instead.
    return {"in_app": lambda: in_app_browser(request.headers.get("User-Agent"))}


@bp.get("/staff/keys")
@login_required
def staff_keys():
    if not is_staff():
        abort(404)
    keys = list(db.session.scalars(select(DeviceKey).where(DeviceKey.staff_user_id == current_user.id).order_by(DeviceKey.created_at)))
    # A page that needs a key (an inspection to sign) links here with itself as "next": the
    # new key leads back to it.
    back = local_target(request.args.get("next"), "")
    return render_template("devices/staff_keys.html", keys=keys, revoke=RevokeForm(), back=back)


@bp.post("/staff/keys")
@login_required
@limiter.limit("10/minute")
def staff_keys_submit():
    if not is_staff():
        abort(404)
    failed = register_posted_key("staff-key", staff=current_user._get_current_object())
    if failed:
        return failed
    return jsonify({"next": url_for("devices.staff_keys")})


@bp.post("/staff/keys/<int:key_id>/revoke")
@login_required
def staff_key_revoke(key_id: int):
    """A staff member retires one of their own signing keys (a lost laptop, a new browser)."""
    if not is_staff():
        abort(404)
    key = db.session.get(DeviceKey, key_id)
    if key is None or key.staff_user_id != current_user.id:
        abort(404)
    form = RevokeForm()
    if not form.validate_on_submit():
        flash(_("A written reason is required."), "error")
    else:
        run_operation(lambda: device_ops.revoke_key(key, actor=current_user, reason=form.reason.data), _("Key revoked."))
    return redirect(url_for("devices.staff_keys"))
