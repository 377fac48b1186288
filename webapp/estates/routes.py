from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from webapp.core.db import db
from webapp.core.i18n import Bilingual, is_chinese, pick
from webapp.core.roles import admin_required, is_owner, is_staff
from webapp.core.views import run_operation
from webapp.estates import rules_text
from webapp.estates.access import estate_view
from webapp.estates.forms import EstateForm, EstateRulesForm, EstateSettingsForm
from webapp.estates.models import Estate
from webapp.estates.operations import create_estate, notice_period_warning, update_settings

bp = Blueprint("estates", __name__)


def help_line(estate: Estate | None) -> dict | None:
    """The estate's help line as a page shows it: the number as set, and the digits to dial."""
    phone = getattr(estate, "help_phone", None)
    if not phone:
        return None
    return {"text": phone, "tel": "".join(c for c in phone if c.isdigit() or c == "+")}


@bp.app_context_processor
def _helpers():
    def page_help_line(estate: Estate | None = None) -> dict | None:
        # Owners and the public see the help line of the estate a page is about (or the owner's
        # own); staff pages do not carry it.
        if is_staff():
            return None
        if estate is None and is_owner():
            estate = current_user.estate
        return help_line(estate)

    return {"page_help_line": page_help_line}


@bp.get("/")
def index():
    estates = []
    if current_user.is_authenticated and getattr(current_user, "is_platform_admin", False):
        estates = list(db.session.scalars(select(Estate).order_by(Estate.name)))
    elif current_user.is_authenticated and hasattr(current_user, "roles"):
        estates = sorted((db.session.get(Estate, r.estate_id) for r in current_user.roles), key=lambda e: e.name)
    return render_template("index.html", estates=estates)


@bp.route("/admin/estates", methods=["GET", "POST"])
@admin_required
def admin_estates():
    form = EstateForm()
    if form.validate_on_submit():
        done, estate = run_operation(lambda: create_estate(form.slug.data, form.name.data, actor=current_user))
        if done:
            return redirect(url_for("roster.dashboard", slug=estate.slug))
    estates = list(db.session.scalars(select(Estate).order_by(Estate.name)))
    return render_template("estates/admin_list.html", form=form, estates=estates)


@bp.route("/e/<slug>/settings", methods=["GET", "POST"])
@estate_view()
def settings(estate: Estate):

    form = EstateSettingsForm(obj=estate)
    rules = EstateRulesForm(prefix="r", obj=estate)
    if request.method == "GET":
        rules.thresholds_text.data = rules_text.show(estate.thresholds, is_chinese())
        rules.eligibility_text.data = "\n".join(r.get("zh" if is_chinese() else "en", "") for r in (estate.eligibility_rules or []))
    if rules.is_submitted() and "r-alternates" in request.form:
        if rules.validate():

            def save():
                values = {
                    name: getattr(rules, name).data
                    for name in (
                        "alternates",
                        "tally_signatures_required",
                        "notice_period_days",
                        "candidate_publication_days",
                        "results_publication_days",
                        "party_target_percent",
                        "proxy_cap",
                        "objection_cap",
                        "publish_batch",
                        "turnout_public",
                        "voters_may_certify",
                        "petition_area_percent",
                        "petition_heads_percent",
                        "petition_window_days",
                        "petition_convene_days",
                    )
                }
                for optional in (
                    "publish_batch",
                    "petition_area_percent",
                    "petition_heads_percent",
                    "petition_window_days",
                    "petition_convene_days",
                ):
                    if values[optional] is None:  # not sent: unchanged
                        del values[optional]
                values["thresholds"] = rules_text.parse(rules.thresholds_text.data)
                values["eligibility_rules"] = [line.strip() for line in (rules.eligibility_text.data or "").splitlines() if line.strip()]
                return update_settings(estate, actor=current_user, **values)

            done, _changes = run_operation(
                save, _("Rules saved. Assemblies whose notice is already out keep the rules they were announced with.")
            )
            if done:
                warning = notice_period_warning(estate.notice_period_days)
                if warning is not None:
                    flash(pick(Bilingual(*warning)), "warning")
                return redirect(url_for("estates.settings", slug=estate.slug) + "#rules")
    elif form.validate_on_submit():
        values = {
            name: getattr(form, name).data
            for name in (
                "name",
                "roll_signatures_required",
                "sms_required",
                "letter_valid_days",
                "organiser_label",
                "help_text",
                "help_phone",
                "counting_rule",
                "term_reminder_months",
            )
        }
        if values["term_reminder_months"] is None:  # not sent: unchanged
            del values["term_reminder_months"]
        done, _changes = run_operation(lambda: update_settings(estate, actor=current_user, **values), _("Settings saved."))
        if done:
            return redirect(url_for("estates.settings", slug=estate.slug))
    warning = notice_period_warning(estate.notice_period_days)
    return render_template(
        "estates/settings.html", estate=estate, form=form, rules=rules, notice_warning=pick(Bilingual(*warning)) if warning else None
    )
