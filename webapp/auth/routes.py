from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select

from webapp.audit.operations import record
from webapp.auth.forms import LoginForm, StaffForm
from webapp.auth.models import StaffUser
from webapp.auth import throttle
from webapp.auth.operations import authenticate, create_staff
from webapp.core.access import admin_required
from webapp.core import sessions
from webapp.core.db import db
from webapp.core.extensions import limiter
from webapp.core.views import run_operation

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
            else:
                throttle.succeeded(username, address)
                login_user(user)
                sessions.rotate()
                record("staff.login", actor=user)
                db.session.commit()
                target = request.args.get("next") or ""
                if not target.startswith("/") or target.startswith("//"):
                    target = url_for("core.index")
                return redirect(target)
    status = 429 if refused else 200
    return render_template("auth/login.html", form=form, wait_until=wait_until), status


@bp.post("/logout")
def logout():
    logout_user()
    sessions.end()
    return redirect(url_for("core.index"))


@bp.route("/admin/staff", methods=["GET", "POST"])
@admin_required
def staff():
    form = StaffForm()
    if form.validate_on_submit():
        done, user = run_operation(
            lambda: create_staff(form.username.data, form.display_name.data, form.password.data, admin=form.platform_admin.data, actor=current_user)
        )
        if done:
            flash(_("Account %(name)s created.", name=user.username), "success")
            return redirect(url_for("auth.staff"))
    users = list(db.session.scalars(select(StaffUser).order_by(StaffUser.username)))
    return render_template("auth/staff.html", form=form, users=users)
