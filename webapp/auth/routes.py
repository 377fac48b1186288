from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select

from webapp.audit.operations import record
from webapp.auth.forms import LoginForm, StaffForm
from webapp.auth.models import StaffUser
from webapp.auth.operations import authenticate, create_staff
from webapp.core.access import admin_required
from webapp.core.db import db
from webapp.core.extensions import limiter
from webapp.core.views import run_operation

bp = Blueprint("auth", __name__)


def _login_username() -> str:
    return "login:" + (request.form.get("username") or "").strip().lower()


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("10/minute;50/hour", methods=["POST"])
@limiter.limit("10/minute;30/hour", methods=["POST"], key_func=_login_username)
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.username.data, form.password.data)
        if user is None:
            flash(_("Wrong username or password."), "error")
        else:
            login_user(user)
            record("staff.login", actor=user)
            db.session.commit()
            target = request.args.get("next") or ""
            if not target.startswith("/") or target.startswith("//"):
                target = url_for("core.index")
            return redirect(target)
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout():
    logout_user()
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
