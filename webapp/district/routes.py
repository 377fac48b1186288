"""The district view (区域总览): district and sub-district staff see their estates, platform admins
every estate; the figures as a chart (drawn from /district/figures.json by a static script: the
CSP allows no inline script) and the whole view as an Excel workbook."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from tally.fmt import pct
from webapp.auth.models import StaffUser
from webapp.core.db import db, utcnow
from webapp.core.i18n import is_chinese, pick
from webapp.core.roles import admin_required, is_staff
from webapp.core.views import flash_form_errors, run_operation
from webapp.district import operations as ops
from webapp.district.export import workbook
from webapp.district.forms import EstateAreaForm, StaffAreaForm
from webapp.district.models import EstateArea, StaffArea
from webapp.estates.models import Estate

bp = Blueprint("district", __name__)


def district_zone() -> str:
    return current_app.config.get("OWNERSVOTE_DISTRICT_TIMEZONE") or "Asia/Shanghai"


def _scope() -> ops.Scope:
    """The part of the platform this request may see and asks for (refused with the reason)."""
    if not is_staff():
        abort(403)
    return ops.narrowed(ops.scope_of(current_user), request.args.get("district"), request.args.get("sub_district"))


def _refused(exc: ops.DistrictError):
    return render_template("district/refused.html", message=pick(exc)), exc.status


def _today():
    return utcnow().astimezone(ops.ZoneInfo(district_zone())).date()


@bp.get("/district")
@login_required
def dashboard():
    try:
        scope = _scope()
    except ops.DistrictError as exc:
        return _refused(exc)
    estates = ops.estates_in(scope)
    if ops.advance(estates):
        db.session.commit()
    lines = ops.lines(estates)
    data = ops.figures(estates, _today(), district_zone())
    mine = ops.scope_of(current_user)
    return render_template(
        "district/dashboard.html",
        scope=scope,
        mine=mine,
        areas=ops.areas() if mine.everything else {mine.district: sorted({ln.area.sub_district for ln in lines if ln.area})},
        lines=lines,
        latest=data["points"][-1],
        points=data["points"],  # (the table below the chart: the figures the workbook has, computed once)
        measures=data["measures"],
        query={k: v for k, v in (("district", scope.district), ("sub_district", scope.sub_district)) if v},
        percent=lambda part, whole: pct(part, whole) or "—",  # (truncated, never overstated)
    )


@bp.get("/district/figures.json")
@login_required
def figures_json():
    try:
        scope = _scope()
    except ops.DistrictError as exc:
        return {"error_zh": exc.zh, "error_en": exc.en}, exc.status
    data = ops.figures(ops.estates_in(scope), _today(), district_zone())
    response = current_app.response_class(ops.figures_json(data), mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/district/export.xlsx")
@login_required
def export():
    try:
        scope = _scope()
    except ops.DistrictError as exc:
        return _refused(exc)
    estates = ops.estates_in(scope)
    if ops.advance(estates):
        db.session.commit()
    body = workbook(ops.lines(estates), ops.figures(estates, _today(), district_zone()), zh=is_chinese())
    name = f"district-{_today().isoformat()}.xlsx"
    response = current_app.response_class(body, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response


# --- areas (platform admins) -----------------------------------------------------------------------


@bp.route("/admin/district", methods=["GET", "POST"])
@admin_required
def areas():
    estates = list(db.session.scalars(select(Estate).order_by(Estate.name)))
    staff = list(db.session.scalars(select(StaffUser).where(StaffUser.is_platform_admin.is_(False)).order_by(StaffUser.display_name)))
    estate_form = EstateAreaForm(prefix="e")
    estate_form.estate.choices = [(e.id, e.name) for e in estates]
    staff_form = StaffAreaForm(prefix="s")
    staff_form.staff.choices = [(u.id, f"{u.display_name} ({u.username})") for u in staff]
    # Two forms on one page, each naming a row and an area: the one posted says which.
    for form, model, field_name, record_area, said in (
        (estate_form, Estate, "estate", ops.set_estate_area, _("The estate's area is recorded.")),
        (staff_form, StaffUser, "staff", ops.set_staff_area, _("The area this staff member oversees is recorded.")),
    ):
        if f"{form._prefix}{field_name}" not in request.form:
            continue
        if not form.validate_on_submit():
            flash_form_errors(form)
            break
        row = db.session.get(model, getattr(form, field_name).data) or abort(404)
        done, _area = run_operation(
            lambda form=form, row=row, record_area=record_area: record_area(
                row, form.district.data, form.sub_district.data, actor=current_user
            ),
            said,
        )
        if done:
            return redirect(url_for("district.areas"), code=303)
        break
    estate_areas = {a.estate_id: a for a in db.session.scalars(select(EstateArea))}
    staff_areas = list(db.session.scalars(select(StaffArea).order_by(StaffArea.district, StaffArea.sub_district)))
    return render_template(
        "district/areas.html",
        estate_form=estate_form,
        staff_form=staff_form,
        estates=estates,
        estate_areas=estate_areas,
        staff_areas=staff_areas,
        now=datetime.now,
    )
