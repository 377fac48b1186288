from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from webapp.auth.forms import RoleForm
from webapp.auth.models import EstateRole, Role, StaffUser
from webapp.auth.operations import assign_role, find_staff, revoke_role
from webapp.core.access import admin_required, estate_view
from webapp.core.db import db
from webapp.core.views import run_operation
from webapp.estates.forms import EstateForm, EstateSettingsForm
from webapp.estates.models import Estate
from webapp.estates.operations import create_estate, update_settings
from webapp.registry.models import Building, Unit
from webapp.registry.operations import estate_roster

bp = Blueprint("estates", __name__)
PAGE_SIZE = 50


@bp.route("/admin/estates", methods=["GET", "POST"])
@admin_required
def admin_estates():
    form = EstateForm()
    if form.validate_on_submit():
        done, estate = run_operation(lambda: create_estate(form.slug.data, form.name.data, actor=current_user))
        if done:
            return redirect(url_for("estates.dashboard", slug=estate.slug))
    estates = list(db.session.scalars(select(Estate).order_by(Estate.name)))
    return render_template("estates/admin_list.html", form=form, estates=estates)


@bp.get("/e/<slug>/")
@estate_view(Role.organiser, Role.supervisor)
def dashboard(estate: Estate):
    roster, _owners = estate_roster(estate)
    unit_count = db.session.scalar(select(func.count(Unit.id)).where(Unit.estate_id == estate.id))
    building_count = db.session.scalar(select(func.count(Building.id)).where(Building.estate_id == estate.id))
    return render_template(
        "estates/dashboard.html",
        estate=estate,
        roster=roster,
        unit_count=unit_count,
        building_count=building_count,
    )


@bp.get("/e/<slug>/members")
@estate_view(Role.organiser, Role.supervisor)
def members(estate: Estate):
    roster, owners = estate_roster(estate)
    query = (request.args.get("q") or "").strip()
    rows = list(roster.members)
    if query:

        def matches(member) -> bool:
            owner = owners.get(member.id)
            name = owner.display_name if owner else _("Developer (unsold and undelivered units)")
            return query in name or any(query in unit for unit in member.units)

        rows = [m for m in rows if matches(m)]
    try:
        page = max(1, int(request.args.get("page", "1")))
    except ValueError:
        abort(404)
    pages = max(1, (len(rows) + PAGE_SIZE - 1) // PAGE_SIZE)
    page = min(page, pages)
    shown = rows[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    return render_template(
        "estates/members.html",
        estate=estate,
        roster=roster,
        members=shown,
        owners=owners,
        query=query,
        page=page,
        pages=pages,
        matched=len(rows),
    )


@bp.route("/e/<slug>/staff", methods=["GET", "POST"])
@estate_view()
def staff(estate: Estate):
    form = RoleForm()
    if form.validate_on_submit():
        user = find_staff(form.username.data)
        if user is None:
            flash(_("No account with that username."), "error")
        else:
            done, _grant = run_operation(lambda: assign_role(user, estate, Role(form.role.data), actor=current_user), _("Role granted."))
            if done:
                return redirect(url_for("estates.staff", slug=estate.slug))
    grants = db.session.execute(
        select(StaffUser, EstateRole.role).join(EstateRole).where(EstateRole.estate_id == estate.id).order_by(StaffUser.username)
    ).all()
    return render_template("estates/staff.html", estate=estate, form=form, grants=grants)


@bp.route("/e/<slug>/settings", methods=["GET", "POST"])
@estate_view()
def settings(estate: Estate):
    from webapp.core.i18n import is_chinese
    from webapp.estates import rules_text
    from webapp.estates.forms import EstateRulesForm

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
                        "turnout_public",
                        "voters_may_certify",
                    )
                }
                values["thresholds"] = rules_text.parse(rules.thresholds_text.data)
                values["eligibility_rules"] = [line.strip() for line in (rules.eligibility_text.data or "").splitlines() if line.strip()]
                return update_settings(estate, actor=current_user, **values)

            done, _changes = run_operation(
                save, _("Rules saved. Assemblies whose notice is already out keep the rules they were announced with.")
            )
            if done:
                return redirect(url_for("estates.settings", slug=estate.slug))
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
                "counting_rule",
            )
        }
        done, _changes = run_operation(lambda: update_settings(estate, actor=current_user, **values), _("Settings saved."))
        if done:
            return redirect(url_for("estates.settings", slug=estate.slug))
    return render_template("estates/settings.html", estate=estate, form=form, rules=rules)


@bp.post("/e/<slug>/staff/<int:user_id>/revoke")
@estate_view()
def revoke(estate: Estate, user_id: int):
    user = db.session.get(StaffUser, user_id)
    if user is None or user.role_in(estate.id) is None:
        abort(404)
    revoke_role(user, estate, actor=current_user)
    db.session.commit()
    return redirect(url_for("estates.staff", slug=estate.slug))
