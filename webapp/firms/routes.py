"""The district's firm register (platform admins)."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from webapp.core.db import db
from webapp.core.roles import admin_required
from webapp.core.views import flash_form_errors, run_operation
from webapp.estates.models import Estate
from webapp.firms import operations as ops
from webapp.firms.forms import AssignForm, FirmForm
from webapp.firms.models import Firm

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
    return render_template("firms/firm.html", firm=found, form=form)
