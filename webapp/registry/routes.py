from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from webapp.core.access import estate_view, in_estate
from webapp.core.db import db
from webapp.core.i18n import pick
from webapp.estates.models import Estate
from webapp.registry.counting import format_area
from webapp.registry.forms import ApplyForm, ConfirmForm, UploadForm
from webapp.registry.importing import RemovalNotConfirmed, StaleImport, apply_staged, removal_of, stage_import
from webapp.registry.models import RegistryImport
from webapp.registry.operations import diff_registry
from webapp.registry.parsing import RegistryFileError
from webapp.registry.plan import RegistryPlan, RegistryRejected

bp = Blueprint("registry", __name__, url_prefix="/e/<slug>/registry")


@bp.route("/import", methods=["GET", "POST"])
@estate_view()
def upload(estate: Estate):
    form = UploadForm()
    if form.validate_on_submit():
        upload = form.file.data
        data = upload.read()
        try:
            staged, _preview = stage_import(estate, data, upload.filename or "", actor=current_user)
        except RegistryFileError as exc:
            db.session.rollback()
            flash(pick(exc), "error")
        except RegistryRejected as exc:
            db.session.rollback()
            return render_template("registry/rejected.html", estate=estate, report=exc, filename=upload.filename), 422
        else:
            db.session.commit()
            return redirect(url_for("registry.preview", slug=estate.slug, import_id=staged.id))
    return render_template("registry/upload.html", estate=estate, form=form)


@bp.get("/import/<int:import_id>")
@estate_view()
def preview(estate: Estate, import_id: int):
    staged = in_estate(RegistryImport, import_id, estate)
    plan = RegistryPlan.from_json(staged.plan)
    diff = diff_registry(estate, plan)
    total = sum(u.area_centi for u in plan.units)
    return render_template(
        "registry/preview.html", estate=estate, staged=staged, plan=plan, diff=diff, form=ApplyForm(),
        total_area=format_area(total), removal=removal_of(plan, diff), shown=PREVIEW_LIST_LENGTH,
    )


PREVIEW_LIST_LENGTH = 30  # unit labels listed per line of the preview; the rest are counted


@bp.post("/import/<int:import_id>/apply")
@estate_view()
def apply(estate: Estate, import_id: int):
    staged = in_estate(RegistryImport, import_id, estate)
    form = ApplyForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        diff = apply_staged(estate, staged, actor=current_user, confirm_removal=form.typed_removal())
    except StaleImport as exc:
        db.session.rollback()
        flash(pick(exc), "error")
        return redirect(url_for("registry.upload", slug=estate.slug))
    except RemovalNotConfirmed as exc:
        db.session.rollback()
        flash(pick(exc), "error")
        return redirect(url_for("registry.preview", slug=estate.slug, import_id=staged.id))
    db.session.commit()
    flash(
        _("Registry applied: %(a)d units added, %(c)d changed, %(r)d removed.", a=len(diff.added_units), c=len(diff.changed_units), r=len(diff.removed_units)),
        "success",
    )
    return redirect(url_for("estates.dashboard", slug=estate.slug))


@bp.post("/import/<int:import_id>/discard")
@estate_view()
def discard(estate: Estate, import_id: int):
    staged = in_estate(RegistryImport, import_id, estate)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if staged.state == "pending":
        staged.state = "discarded"
    db.session.commit()
    return redirect(url_for("registry.upload", slug=estate.slug))
