from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user

from webapp.core.db import db
from webapp.core.i18n import pick
from webapp.estates.access import estate_view, in_estate
from webapp.estates.models import Estate
from webapp.jobs.context import runner_mode
from webapp.jobs.operations import start_job
from webapp.jobs.runner import submit
from webapp.registry.counting import format_area
from webapp.registry.forms import ApplyForm, ConfirmForm, UploadForm
from webapp.registry.importing import RemovalNotConfirmed, StaleImport, removal_of, stage_import
from webapp.registry.models import RegistryImport
from webapp.registry.operations import diff_registry, registry_fingerprint
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
        "registry/preview.html",
        estate=estate,
        staged=staged,
        plan=plan,
        diff=diff,
        form=ApplyForm(),
        total_area=format_area(total),
        removal=removal_of(plan, diff),
        shown=PREVIEW_LIST_LENGTH,
    )


PREVIEW_LIST_LENGTH = 30  # unit labels listed per line of the preview; the rest are counted


@bp.post("/import/<int:import_id>/apply")
@estate_view()
def apply(estate: Estate, import_id: int):
    staged = in_estate(RegistryImport, import_id, estate)
    form = ApplyForm()
    if not form.validate_on_submit():
        abort(400)
    # Refused at once (not in the job) when it is stale or its removals are not confirmed.
    from flask import current_app

    plan = RegistryPlan.from_json(staged.plan)
    try:
        if staged.state != "pending" or staged.base_fingerprint != registry_fingerprint(estate):
            raise StaleImport()
        removal = removal_of(plan, diff_registry(estate, plan))
        if removal.needs_confirmation and form.typed_removal() != removal.units:
            raise RemovalNotConfirmed(removal, form.typed_removal())
    except StaleImport as exc:
        db.session.rollback()
        flash(pick(exc), "error")
        return redirect(url_for("registry.upload", slug=estate.slug))
    except RemovalNotConfirmed as exc:
        db.session.rollback()
        flash(pick(exc), "error")
        return redirect(url_for("registry.preview", slug=estate.slug, import_id=staged.id))
    job = start_job(
        estate,
        "registry.apply",
        {"import_id": staged.id, "filename": staged.filename, "confirm_removal": form.typed_removal()},
        actor=current_user,
        runner=runner_mode(current_app),
    )
    db.session.commit()
    submit(job)
    return redirect(url_for("jobs.job", slug=estate.slug, job_id=job.id))


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
