"""The owner's own page: their units and keys, the estate's assemblies and what the owner can do in
each now, their nominations, letters of proxy and notices; and a property firm's own page (its
estates' published evaluation results, inspections and rectification notices)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from crypto.ranking import read_frac, shown
from webapp.assemblies.lifecycle import advance_estate
from webapp.core.db import db
from webapp.core.extensions import limiter
from webapp.core.forms import PageForm
from webapp.core.views import flash_form_errors, run_operation
from webapp.disclosures import operations as disclosures
from webapp.evaluations.models import Evaluation
from webapp.firms.access import firm_required
from webapp.firms.operations import estates_of
from webapp.inspections import operations as inspections
from webapp.owners import notifications
from webapp.owners.access import owner_required
from webapp.owners.forms import NoticePhoneForm
from webapp.portal.page import owner_page_context
from webapp.rolls.operations import request_supplements

bp = Blueprint("portal", __name__)


@bp.get("/me")
@owner_required
def me():
    advanced = advance_estate(current_user.estate)  # the page shows what owners can do now
    # A key made after the roll froze: the supervisors are asked to add it (a roll supplement).
    waiting = request_supplements(current_user)
    if advanced or waiting:
        db.session.commit()
    return render_template("portal/me.html", notice_phone=NoticePhoneForm(prefix="np"), **owner_page_context(current_user, waiting))


@bp.post("/me/notices/read")
@owner_required
def notices_read():
    if PageForm().validate_on_submit():
        notifications.mark_read(current_user)
        db.session.commit()
    return redirect(url_for("portal.me") + "#notices")


@bp.post("/me/notices/phone")
@owner_required
@limiter.limit("10 per hour")
def notices_phone():
    form = NoticePhoneForm(prefix="np")
    if not form.validate_on_submit():
        flash_form_errors(form)
    else:
        done, _nothing = run_operation(lambda: notifications.set_phone(current_user, form.phone.data))
        if done:
            flash(
                _("Notice texts will go to %(phone)s.", phone=current_user.notify_phone_masked)
                if current_user.notify_phone_enc
                else _("No more notice texts: notices appear on this page only."),
                "success",
            )
    return redirect(url_for("portal.me") + "#notices")


# --- a property firm's own page --------------------------------------------------------------------


@bp.get("/firm")
@firm_required
def firm_home():
    """What a firm's login sees: the estates it serves, their published evaluation results, the
    inspections of its service and the rectification notices to it, and which wait for an
    answer.  Nothing about owners."""
    firm_id = current_user.firm_id
    evaluations = list(
        db.session.scalars(
            select(Evaluation).where(Evaluation.firm_id == firm_id, Evaluation.state == "published").order_by(Evaluation.closes.desc())
        )
    )
    notices = inspections.firm_notices(firm_id)
    inspected = inspections.firm_inspections(firm_id)
    answered, answered_directly = inspections.answered(notices, inspected)
    return render_template(
        "portal/firm.html",
        firm=current_user.firm,
        estates=estates_of(firm_id),
        evaluations=evaluations,
        inspections=inspected,
        notices=notices,
        answered=answered,
        # An inspection is answered by an answer to it or to a notice issued from it.
        answered_inspections=answered_directly | {n.inspection_id for n in notices if n.id in answered},
        overdue=inspections.overdue,
        shown=lambda score: shown(read_frac(score)),
        account_kinds=disclosures.KIND_WORDS,
    )
