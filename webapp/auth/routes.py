from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from webapp.audit.operations import record
from webapp.auth import notices, throttle
from webapp.auth.forms import IdentityForm, LoginForm, PasswordForm, ReasonForm, RoleForm, StaffForm
from webapp.auth.models import EstateRole, StaffUser
from webapp.auth.operations import (
    assign_role,
    authenticate,
    change_password,
    create_staff,
    disable_staff,
    enable_staff,
    find_staff,
    revoke_role,
    set_staff_identity,
)
from webapp.core import sessions
from webapp.core.db import db
from webapp.core.extensions import limiter
from webapp.core.roles import Role, admin_required, is_staff
from webapp.core.views import local_target, run_operation
from webapp.devices.operations import revoke_staff_keys, staff_keys
from webapp.estates.access import estate_view
from webapp.estates.models import Estate

bp = Blueprint("auth", __name__)


def _address() -> str:
    from flask_limiter.util import get_remote_address

    return get_remote_address()


@bp.route("/login", methods=["GET", "POST"])
# Every address, across all accounts; an account's own back-off is per address (auth.throttle),
# so that nobody can lock a staff member out by failing on purpose.
@limiter.limit("20/minute;100/hour", methods=["POST"])
def login():
    form = LoginForm()
    wait_until, refused = None, False
    if form.validate_on_submit():
        username, address = form.username.data, _address()
        wait_until = throttle.retry_at(username, address)
        refused = wait_until is not None
        if not refused:
            user = authenticate(username, form.password.data)
            if user is None:
                wait_until = throttle.failed(username, address)
                db.session.commit()
                flash(_("Wrong username or password."), "error")
            elif not user.active:
                flash(_("This account is disabled. Ask the platform administrator."), "error")
            else:
                throttle.succeeded(username, address)
                login_user(user)
                sessions.rotate()
                record("staff.login", actor=user)
                db.session.commit()
                return redirect(local_target(request.args.get("next"), url_for("estates.index")))
    status = 429 if refused else 200
    return render_template("auth/login.html", form=form, wait_until=wait_until), status


@bp.post("/logout")
def logout():
    logout_user()
    sessions.end()
    return redirect(url_for("estates.index"))


@bp.route("/admin/staff", methods=["GET", "POST"])
@admin_required
def staff():
    form = StaffForm()
    if form.validate_on_submit():
        done, user = run_operation(
            lambda: create_staff(
                form.username.data, form.display_name.data, form.password.data, admin=form.platform_admin.data, actor=current_user
            )
        )
        if done:
            flash(_("Account %(name)s created.", name=user.username), "success")
            return redirect(url_for("auth.staff"))
    users = list(db.session.scalars(select(StaffUser).options(selectinload(StaffUser.roles)).order_by(StaffUser.username)))
    return render_template("auth/staff.html", form=form, users=users, estates=_estates_of(users))


def _estates_of(users) -> dict[int, Estate]:
    ids = {r.estate_id for u in users for r in u.roles}
    return {e.id: e for e in db.session.scalars(select(Estate).where(Estate.id.in_(ids)))} if ids else {}


def _account(user_id: int) -> StaffUser:
    user = db.session.get(StaffUser, user_id)
    if user is None:
        abort(404)
    return user


@bp.get("/admin/staff/<int:user_id>")
@admin_required
def account(user_id: int):

    user = _account(user_id)
    return render_template(
        "auth/account.html",
        user=user,
        estates=_estates_of([user]),
        keys=staff_keys(user),
        disable=ReasonForm(prefix="disable"),
        enable=ReasonForm(prefix="enable"),
        revoke_all=ReasonForm(prefix="revoke-all"),
        revoke=ReasonForm(prefix="revoke"),
        identity=IdentityForm(prefix="identity"),
    )


@bp.post("/admin/staff/<int:user_id>/identity")
@admin_required
def set_identity(user_id: int):

    user = _account(user_id)
    form = IdentityForm(prefix="identity")
    if not form.validate_on_submit():
        flash(_("Enter the 18-character resident ID number."), "error")
    else:
        run_operation(
            lambda: set_staff_identity(
                user, form.id_number.data, pii_key=current_app.config["OWNERSVOTE_PII_HMAC_KEY"], actor=current_user
            ),
            _("Identity recorded (as a keyed hash only)."),
        )
    return redirect(url_for("auth.account", user_id=user.id))


@bp.post("/admin/staff/<int:user_id>/<any(disable,enable):change>")
@admin_required
def set_active(user_id: int, change: str):
    user = _account(user_id)
    form = ReasonForm(prefix=change)
    if not form.validate_on_submit():
        flash(_("A written reason is required."), "error")
    elif change == "disable":
        run_operation(
            lambda: disable_staff(user, actor=current_user, reason=form.reason.data),
            _("Account %(name)s disabled: its sessions have ended.", name=user.username),
        )
    else:
        run_operation(
            lambda: enable_staff(user, actor=current_user, reason=form.reason.data),
            _("Account %(name)s enabled again.", name=user.username),
        )
    return redirect(url_for("auth.account", user_id=user.id))


@bp.post("/admin/staff/<int:user_id>/keys/revoke", defaults={"key_id": None})
@bp.post("/admin/staff/<int:user_id>/keys/<int:key_id>/revoke")
@admin_required
def revoke_keys(user_id: int, key_id: int | None):

    user = _account(user_id)
    form = ReasonForm(prefix="revoke" if key_id else "revoke-all")
    if not form.validate_on_submit():
        flash(_("A written reason is required."), "error")
    else:
        run_operation(lambda: revoke_staff_keys(user, actor=current_user, reason=form.reason.data, key_id=key_id), _("Key revoked."))
    return redirect(url_for("auth.account", user_id=user.id))


@bp.route("/staff/password", methods=["GET", "POST"])
@login_required
@limiter.limit("10/minute;30/hour", methods=["POST"])
def password():
    if not is_staff():
        abort(404)
    form = PasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        done, _result = run_operation(lambda: change_password(user, form.current.data, form.new.data))
        if done:
            # The epoch changed: sign this session in again under it, with a new session id.
            login_user(user)
            sessions.rotate()
            flash(_("Password changed. Your other sessions have ended."), "success")
            return redirect(url_for("devices.staff_keys"))
    return render_template("auth/password.html", form=form)


@bp.route("/e/<slug>/staff", methods=["GET", "POST"])
@estate_view()
def estate_staff(estate: Estate):
    form = RoleForm()
    if form.validate_on_submit():
        user = find_staff(form.username.data)
        if user is None:
            flash(_("No account with that username."), "error")
        else:
            done, _grant = run_operation(lambda: assign_role(user, estate, Role(form.role.data), actor=current_user), _("Role granted."))
            if done:
                return redirect(url_for("auth.estate_staff", slug=estate.slug))
    grants = db.session.execute(
        select(StaffUser, EstateRole.role).join(EstateRole).where(EstateRole.estate_id == estate.id).order_by(StaffUser.username)
    ).all()
    return render_template("auth/estate_staff.html", estate=estate, form=form, grants=grants)


@bp.post("/e/<slug>/staff/<int:user_id>/revoke")
@estate_view()
def revoke_role_of(estate: Estate, user_id: int):
    user = db.session.get(StaffUser, user_id)
    if user is None or user.role_in(estate.id) is None:
        abort(404)
    revoke_role(user, estate, actor=current_user)
    db.session.commit()
    return redirect(url_for("auth.estate_staff", slug=estate.slug))


@bp.app_context_processor
def _staff_notices():
    def my_notices(estate=None) -> list:
        # A staff member's unread lines (of one estate when given), for the start page and overviews.
        if not is_staff():
            return []
        return notices.unread(current_user, getattr(estate, "id", None))

    return {"my_notices": my_notices}


@bp.post("/staff/notices/<int:notice_id>/read")
@login_required
def notice_read(notice_id: int):
    if not is_staff():
        abort(404)
    if not notices.mark_read(current_user, notice_id):
        abort(404)
    db.session.commit()
    return redirect(local_target(request.form.get("next"), url_for("estates.index")))
