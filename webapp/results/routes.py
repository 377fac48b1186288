"""Tally, certification, publication, objections, the public results page and the audit bundle."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user
from sqlalchemy import select

from webapp.assemblies.loaders import load_assembly, public_estate
from webapp.assemblies.operations import attach
from webapp.assemblies.presentation import verified
from webapp.attachments.storage import StoreUnavailable, read
from webapp.core.db import db
from webapp.core.errors import json_error
from webapp.core.extensions import limiter
from webapp.core.forms import PageForm
from webapp.core.i18n import pick
from webapp.core.roles import Role, is_owner, is_staff
from webapp.core.views import run_operation
from webapp.devices.models import DeviceKey
from webapp.estates.access import estate_view, in_estate
from webapp.estates.models import Estate
from webapp.jobs.context import runner_mode
from webapp.jobs.operations import start_job
from webapp.jobs.runner import submit
from webapp.results import operations as ops
from webapp.results.bundle import build_bundle, bundle_bytes
from webapp.results.models import Certification, Objection
from webapp.results.pdf import render_announcement
from webapp.results.signatures import tally_of, threshold_words, verified_result
from webapp.results.wording import reason_text

bp = Blueprint("results", __name__)

DONE_STATES = ("tallied", "certified", "published", "archived")


@bp.app_context_processor
def _helpers():

    return {"threshold_words": threshold_words, "reason_text": reason_text}


@bp.route("/e/<slug>/assemblies/<int:assembly_id>/results", methods=["GET"])
@estate_view(Role.organiser, Role.supervisor)
def manage(estate: Estate, assembly_id: int):
    assembly = load_assembly(estate, assembly_id)
    role = current_user.role_in(estate.id)
    result = verified_result(assembly) if assembly.state in DONE_STATES else None
    objections = list(db.session.scalars(select(Objection).where(Objection.assembly_id == assembly.id).order_by(Objection.created_at)))
    mine = db.session.scalar(
        select(Certification).where(Certification.assembly_id == assembly.id, Certification.staff_user_id == current_user.id)
    )
    return render_template(
        "results/manage.html",
        estate=estate,
        assembly=assembly,
        result=result,
        objections=objections,
        groups=ops.identical_groups(objections),
        form=PageForm(),
        organiser=role is Role.organiser,
        supervisor=role is Role.supervisor,
        mine=mine,
        notice=verified(assembly.current_notice).document if assembly.current_notice else None,
        alarms=ops.alarms(assembly),
        step=ops.current_step(assembly.state),
    )


@bp.post("/e/<slug>/assemblies/<int:assembly_id>/results/<any(tally,publish,archive):step>")
@estate_view(Role.organiser, admin=False)
def step(estate: Estate, assembly_id: int, step: str):
    assembly = load_assembly(estate, assembly_id)
    if not PageForm().validate_on_submit():
        abort(400)
    if step in ("tally", "publish"):
        # Refused at once when the state does not allow it; the work itself is a background job.
        from flask import current_app

        error = ops.tally_refusal(assembly) if step == "tally" else ops.publish_refusal(assembly)
        if error is not None:
            flash(pick(error), "error")
            return redirect(url_for("results.manage", slug=estate.slug, assembly_id=assembly.id))
        job = start_job(
            estate,
            step,
            {"assembly_id": assembly.id, "title": assembly.title, "base_url": request.host_url},
            actor=current_user,
            runner=runner_mode(current_app),
        )
        db.session.commit()
        submit(job)
        return redirect(url_for("jobs.job", slug=estate.slug, job_id=job.id))
    run_operation(lambda: ops.archive(assembly, actor=current_user), _("Assembly archived."))
    return redirect(url_for("results.manage", slug=estate.slug, assembly_id=assembly.id))


# Separation of duties (docs/architecture.md): said to an organiser who opens the certification.
ORGANISERS_NEVER_CERTIFY = {
    Role.organiser: (
        "组织者不能核证计票结果：计票结果由监督员各自独立核证（职责分离）",
        "an organiser can never certify a tally: supervisors certify it, each on their own (separation of duties)",
    )
}


@bp.get("/e/<slug>/assemblies/<int:assembly_id>/certify")
@estate_view(Role.supervisor, admin=False, refuse=ORGANISERS_NEVER_CERTIFY)
def certify_page(estate: Estate, assembly_id: int):

    assembly = load_assembly(estate, assembly_id)
    if assembly.state not in DONE_STATES:
        abort(404)
    keys = list(db.session.scalars(select(DeviceKey).where(DeviceKey.staff_user_id == current_user.id, DeviceKey.state == "active")))
    mine = db.session.scalar(
        select(Certification).where(Certification.assembly_id == assembly.id, Certification.staff_user_id == current_user.id)
    )
    return render_template(
        "results/certify.html",
        estate=estate,
        assembly=assembly,
        keys=keys,
        mine=mine,
        voted=ops.voted_as_owner(assembly, current_user),
        result=verified_result(assembly),
    )


@bp.get("/e/<slug>/assemblies/<int:assembly_id>/bundle.json")
@estate_view(Role.supervisor, Role.organiser)
def staff_bundle(estate: Estate, assembly_id: int):

    assembly = load_assembly(estate, assembly_id)
    if assembly.state not in DONE_STATES:
        abort(404)
    response = Response(bundle_bytes(build_bundle(assembly)), mimetype="application/json")
    response.headers["Content-Disposition"] = f'attachment; filename="bundle-{estate.slug}-{assembly.id}-for-certification.json"'
    return response


@bp.post("/e/<slug>/assemblies/<int:assembly_id>/certifications")
@estate_view(Role.supervisor, admin=False, refuse=ORGANISERS_NEVER_CERTIFY)
@limiter.limit("20/minute")
def certify(estate: Estate, assembly_id: int):
    assembly = load_assembly(estate, assembly_id)
    data = request.get_json(silent=True)
    if not isinstance(data, dict) or not isinstance(data.get("kid"), str) or not isinstance(data.get("sig"), str):
        return json_error(ops.ResultsError("请求格式不正确", "malformed request"))
    try:
        ops.certify(
            assembly,
            actor=current_user,
            kid=data["kid"],
            sig=data["sig"],
            declared_not_voted=data.get("declared_not_voted") is True,
            signed_payload=data.get("payload"),
        )
    except ops.ResultsError as exc:
        db.session.rollback()
        if isinstance(exc, ops.TamperingAlarm):  # refused, but the alarm is kept
            ops.record_alarm(assembly, exc, actor=current_user)
            db.session.commit()
        return json_error(exc)
    db.session.commit()
    return jsonify({"next": url_for("results.manage", slug=estate.slug, assembly_id=assembly.id), "state": assembly.state})


@bp.post("/e/<slug>/assemblies/<int:assembly_id>/objections/<int:objection_id>/answer")
@estate_view(Role.supervisor, admin=False)
def answer(estate: Estate, assembly_id: int, objection_id: int):
    assembly = load_assembly(estate, assembly_id)
    objection = in_estate(Objection, objection_id, estate)
    if objection.assembly_id != assembly.id or not PageForm().validate_on_submit():
        abort(404)
    link = url_for("results.public", slug=estate.slug, assembly_id=assembly.id, _anchor="objections")
    run_operation(
        lambda: ops.answer_objection(objection, actor=current_user, text=request.form.get("answer", ""), link=link), _("Answer published.")
    )
    return redirect(url_for("results.manage", slug=estate.slug, assembly_id=assembly.id))


@bp.post("/e/<slug>/assemblies/<int:assembly_id>/objections/answer")
@estate_view(Role.supervisor, admin=False)
def answer_together(estate: Estate, assembly_id: int):
    """One written answer to several objections with the same text."""
    assembly = load_assembly(estate, assembly_id)
    if not PageForm().validate_on_submit():
        abort(400)
    ids = {int(i) for i in request.form.getlist("objection") if i.isdigit() and len(i) < 10}
    chosen = list(
        db.session.scalars(
            select(Objection).where(Objection.id.in_(ids), Objection.assembly_id == assembly.id).order_by(Objection.created_at)
        )
    )
    if len(chosen) != len(ids):
        abort(404)
    link = url_for("results.public", slug=estate.slug, assembly_id=assembly.id, _anchor="objections")
    run_operation(
        lambda: ops.answer_objections(chosen, actor=current_user, text=request.form.get("answer", ""), link=link), _("Answer published.")
    )
    return redirect(url_for("results.manage", slug=estate.slug, assembly_id=assembly.id))


# ---------------------------------------------------------------- public


def _published(slug: str, assembly_id: int):
    estate = public_estate(slug)
    assembly = load_assembly(estate, assembly_id)
    if assembly.state not in DONE_STATES:
        abort(404)
    return estate, assembly


@bp.get("/p/<slug>/a/<int:assembly_id>/results")
def public(slug: str, assembly_id: int):
    estate, assembly = _published(slug, assembly_id)
    result = verified_result(assembly)
    objections = list(db.session.scalars(select(Objection).where(Objection.assembly_id == assembly.id).order_by(Objection.created_at)))
    can_object = is_owner() and current_user.estate_id == estate.id and assembly.state == "published"
    mine = {o.id for o in objections if is_owner() and o.registration_id == current_user.id}
    return render_template(
        "results/public.html",
        estate=estate,
        assembly=assembly,
        result=result,
        objections=objections,
        notice=verified(assembly.current_notice).document,
        can_object=can_object,
        mine=mine,
    )


def _objector_key() -> str:
    """Limits that follow the owner, whatever address they send from."""
    return f"objector:{current_user.id}" if is_owner() else f"objector-address:{get_remote_address()}"


def _not_an_objector(back: str):
    """The answer to someone signed in as no owner, said plainly, never a silent bounce: a staff
    account cannot object; anyone else signs in as an owner first.  None for an owner."""
    if is_owner():
        return None
    if is_staff():
        refusal = ops.ResultsError(
            ops.NOT_AN_OWNER[0] + "：工作人员的账号不能提出异议", ops.NOT_AN_OWNER[1] + ": a staff account cannot file one"
        )
        flash(pick(refusal), "error")
        return redirect(back)
    flash(
        pick(
            ops.ResultsError(
                "请先在手机上登录业主账号，再提出异议", "sign in on your phone as a registered owner first, then file the objection"
            )
        ),
        "error",
    )
    return redirect(url_for("owners.signin"))


def _objection_page(estate: Estate, assembly, *, text: str = "", error: str | None = None, status: int = 200):
    """The objection's own page (one thing on an owner's screen): its form, or why it cannot be
    filed; a refused objection comes back here with its text as typed and the reason beside it."""
    refused = None if error else ops.objection_refusal(assembly, current_user)
    page = render_template(
        "results/objection.html",
        estate=estate,
        assembly=assembly,
        form=PageForm(),
        text=text,
        error=error,
        closed=None if refused is None else pick(refused),
        max_chars=ops.MAX_OBJECTION_CHARS,
    )
    return page, status


@bp.get("/p/<slug>/a/<int:assembly_id>/objections/new")
def objection_form(slug: str, assembly_id: int):
    estate, assembly = _published(slug, assembly_id)
    back = url_for("results.public", slug=estate.slug, assembly_id=assembly.id) + "#objections"
    return _not_an_objector(back) or _objection_page(estate, assembly)


@bp.post("/p/<slug>/a/<int:assembly_id>/objections")
@limiter.limit("5/hour")  # per address
@limiter.limit("5/hour", key_func=_objector_key)  # per owner, from however many addresses
def object_(slug: str, assembly_id: int):
    estate, assembly = _published(slug, assembly_id)
    back = url_for("results.public", slug=estate.slug, assembly_id=assembly.id) + "#objections"
    refused = _not_an_objector(back)
    if refused is not None:
        return refused
    if not PageForm().validate_on_submit():
        abort(400)

    def file_it():
        objection = ops.file_objection(assembly, current_user, text=request.form.get("text", ""))
        upload = request.files.get("file")
        if upload is not None and upload.filename:
            attach(
                assembly,
                actor=f"owner:{current_user.id}",
                kind="objection",
                owner_id=objection.id,
                data=upload.read(ops.MAX_OBJECTION_FILE_BYTES + 1),
                filename=upload.filename,
                max_bytes=ops.MAX_OBJECTION_FILE_BYTES,
            )
        return objection

    reasons: list[str] = []
    done, _filed = run_operation(
        file_it, _("Your objection is filed. The supervisors will answer it in writing on this page."), refused=reasons.append
    )
    if not done:  # the text as typed comes back with the reason (a file must be chosen again: browsers allow no other way)
        return _objection_page(estate, assembly, text=request.form.get("text", ""), error=reasons[0], status=422)
    return redirect(back)


@bp.get("/p/<slug>/a/<int:assembly_id>/bundle.json")
def bundle(slug: str, assembly_id: int):

    estate, assembly = _published(slug, assembly_id)
    record = tally_of(assembly)
    if assembly.state not in ("published", "archived") or record is None or record.bundle_sha256 is None:
        flash(_("The audit bundle is published together with the certified result."), "error")
        abort(404)
    try:
        data = read(record.bundle_sha256)
    except StoreUnavailable as exc:  # this server cannot see the store (webapp/core/filestore.py)
        flash(pick(exc), "error")
        abort(503)
    response = Response(data, mimetype="application/json")
    response.headers["Content-Disposition"] = f'attachment; filename="bundle-{estate.slug}-{assembly.id}.json"'
    response.headers["X-Content-SHA256"] = record.bundle_sha256
    return response


@bp.get("/p/<slug>/a/<int:assembly_id>/announcement.pdf")
def announcement(slug: str, assembly_id: int):

    estate, assembly = _published(slug, assembly_id)
    if assembly.state not in ("published", "archived"):
        flash(_("The results announcement is published together with the certified result."), "error")
        abort(404)
    result = verified_result(assembly)
    if not result.intact:
        abort(409)
    pdf = render_announcement(
        assembly,
        verified(assembly.current_notice).document,
        result,
        page_url=url_for("results.public", slug=estate.slug, assembly_id=assembly.id, _external=True),
        bundle_url=url_for("results.bundle", slug=estate.slug, assembly_id=assembly.id, _external=True),
    )
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="results-{estate.slug}-{assembly.id}.pdf"'
    return response
