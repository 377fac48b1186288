"""The district's firm register (platform admins), and a firm's own sign-in."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_user
from sqlalchemy import select

from webapp.audit.operations import record
from webapp.auth import throttle
from webapp.auth.forms import LoginForm
from webapp.core import sessions
from webapp.core.db import db
from webapp.core.extensions import limiter
from webapp.core.roles import admin_required
from webapp.core.views import flash_form_errors, local_target, run_operation
from webapp.estates.models import Estate
from webapp.firms import operations as ops
from webapp.firms.forms import AccountForm, AssignForm, FirmForm, ReasonForm
from webapp.firms.models import Firm, FirmUser

bp = Blueprint("firms", __name__)


@bp.route("/admin/firms", methods=["GET", "POST"])
@admin_required
def register():
    form = FirmForm()
    if form.validate_on_submit():
        done, firm = run_operation(
            lambda: ops.create_firm(
                name=form.name.data,
                uscc=form.uscc.data,
                contact_name=form.contact_name.data,
                contact_phone=form.contact_phone.data,
                address=form.address.data,
                actor=current_user,
            ),
            _("Firm registered."),
        )
        if done:
            return redirect(url_for("firms.firm", firm_id=firm.id))
    elif form.is_submitted():
        flash_form_errors(form)
    firms = list(db.session.scalars(select(Firm).order_by(Firm.name)))
    return render_template("firms/register.html", form=form, firms=firms)


def _firm_page(found: Firm, form: AssignForm | None = None, account: AccountForm | None = None):
    if form is None:
        form = AssignForm()
        form.estate.choices = [(e.id, e.name) for e in db.session.scalars(select(Estate).order_by(Estate.name))]
    return render_template(
        "firms/firm.html", firm=found, form=form, account=account or AccountForm(prefix="account"), reason=ReasonForm(prefix="reason")
    )


@bp.route("/admin/firms/<int:firm_id>", methods=["GET", "POST"])
@admin_required
def firm(firm_id: int):
    found = db.session.get(Firm, firm_id) or abort(404)
    form = AssignForm()
    form.estate.choices = [(e.id, e.name) for e in db.session.scalars(select(Estate).order_by(Estate.name))]
    if form.validate_on_submit():
        estate = db.session.get(Estate, form.estate.data) or abort(404)
        run_operation(
            lambda: ops.assign_estate(found, estate, form.since.data, actor=current_user), _("The estate is now served by this firm.")
        )
        return redirect(url_for("firms.firm", firm_id=found.id))
    elif form.is_submitted():
        flash_form_errors(form)
    return _firm_page(found, form)


@bp.post("/admin/firms/<int:firm_id>/accounts")
@admin_required
def add_account(firm_id: int):
    found = db.session.get(Firm, firm_id) or abort(404)
    form = AccountForm(prefix="account")
    if form.validate_on_submit():
        done, account = run_operation(
            lambda: ops.create_account(
                found, username=form.username.data, display_name=form.display_name.data, password=form.password.data, actor=current_user
            )
        )
        if done:
            flash(_("Login %(name)s created for the firm: it signs in at the firm sign-in page.", name=account.username), "success")
            return redirect(url_for("firms.firm", firm_id=found.id))
    else:
        flash_form_errors(form)
    return _firm_page(found, account=form), 400


@bp.post("/admin/firms/<int:firm_id>/accounts/<int:account_id>/<any(disable,enable):change>")
@admin_required
def set_account(firm_id: int, account_id: int, change: str):
    account = db.session.get(FirmUser, account_id)
    if account is None or account.firm_id != firm_id:
        abort(404)
    form = ReasonForm(prefix="reason")
    if not form.validate_on_submit():
        flash(_("A written reason is required."), "error")
    else:
        run_operation(
            lambda: ops.set_account_active(account, change == "enable", actor=current_user, reason=form.reason.data),
            _("Login disabled: its sessions have ended.") if change == "disable" else _("Login enabled again."),
        )
    return redirect(url_for("firms.firm", firm_id=firm_id))


# --- the firm's own sign-in ------------------------------------------------------------------------


@bp.route("/firm/login", methods=["GET", "POST"])
@limiter.limit("20/minute;100/hour", methods=["POST"])
def login():
    form = LoginForm()
    wait_until = None
    if form.validate_on_submit():
        # The back-off is the staff sign-in's, per firm login and address (its own keys).
        key, address = f"firm:{form.username.data.strip().lower()}", get_remote_address()
        wait_until = throttle.retry_at(key, address)
        if wait_until is None:
            account = ops.authenticate_account(form.username.data, form.password.data)
            if account is None:
                wait_until = throttle.failed(key, address)
                db.session.commit()
                flash(_("Wrong username or password."), "error")
            elif not account.active:
                flash(_("This login is disabled. Ask the platform administrator."), "error")
            else:
                throttle.succeeded(key, address)
                login_user(account)
                sessions.rotate()
                record("firm.login", actor=f"firm:{account.username}", obj=account.firm, username=account.username)
                db.session.commit()
                return redirect(local_target(request.args.get("next"), url_for("portal.firm_home")))
        else:
            return render_template("firms/login.html", form=form, wait_until=wait_until), 429
    return render_template("firms/login.html", form=form, wait_until=wait_until)
