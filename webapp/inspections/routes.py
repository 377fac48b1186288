"""Inspection pages: the district's forms (platform admins); an estate's inspections, notices and
follow-ups (its supervisors record them, signed in their browsers; its organisers and supervisors
read them); and the firm's own view of them, where it answers in writing."""

from __future__ import annotations

import json
from datetime import timedelta

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from crypto.ranking import read_frac, shown
from webapp.core.db import db
from webapp.core.errors import json_error
from webapp.core.extensions import limiter
from webapp.core.forms import PageForm
from webapp.core.roles import Role, admin_required
from webapp.core.views import flash_form_errors, run_operation
from webapp.devices.operations import staff_keys
from webapp.estates.access import estate_view, in_estate, public_estate
from webapp.estates.models import Estate
from webapp.firms.access import firm_required, of_my_firm
from webapp.inspections import operations as ops
from webapp.inspections.forms import AnswerForm
from webapp.inspections.models import FollowUp, Inspection, InspectionForm, RectificationNotice
from webapp.inspections.standard import STANDARD_FORM

bp = Blueprint("inspections", __name__)

STAFF = (Role.organiser, Role.supervisor)


# --- the district's forms ----------------------------------------------------------------------------


@bp.route("/admin/inspection-forms", methods=["GET", "POST"])
@admin_required
def forms():
    form = PageForm()
    text = request.form.get("definition", "")
    if request.method == "POST" and form.validate_on_submit():
        if request.form.get("standard"):
            definition = dict(STANDARD_FORM)
        else:
            try:
                definition = json.loads(text)
            except ValueError:
                definition = None
        done, _found = run_operation(lambda: ops.publish_form(definition, actor=current_user), _("Inspection form published."))
        if done:
            return redirect(url_for("inspections.forms"))
    found = db.session.scalars(db.select(InspectionForm).order_by(InspectionForm.code, InspectionForm.version.desc()))
    return render_template(
        "inspections/forms.html", forms=list(found), form=form, text=text or json.dumps(STANDARD_FORM, ensure_ascii=False, indent=1)
    )


# --- an estate's inspections (its staff) -------------------------------------------------------------


def _texts(inspection: Inspection) -> dict:
    """Item id → (section title, item text) of the form an inspection used."""
    definition = ops.form_document(inspection.form)
    return {item["id"]: (section["title"], item["text"]) for section in definition["sections"] for item in section["items"]}


@bp.get("/e/<slug>/inspections")
@estate_view(*STAFF)
def index(estate: Estate):
    return render_template(
        "inspections/index.html",
        estate=estate,
        inspections=ops.estate_inspections(estate),
        notices=ops.estate_notices(estate),
        forms=ops.latest_forms(),
        role=current_user.role_in(estate.id),
        overdue=ops.overdue,
        shown=_shown,
    )


def _shown(score: str) -> str:
    return shown(read_frac(score))


def _active_keys():
    return [k for k in staff_keys(current_user) if k.state == "active"]


@bp.get("/e/<slug>/inspections/new")
@estate_view(Role.supervisor, admin=False)
def new(estate: Estate):
    choices = ops.latest_forms()
    wanted = request.args.get("form", "")
    form = next((f for f in choices if str(f.id) == wanted), choices[0] if choices else None)
    if form is None:
        return render_template("inspections/new.html", estate=estate, form=None, draft=None, sections=[], keys=_active_keys())
    draft = ops.draft(estate, form)
    return render_template(
        "inspections/new.html",
        estate=estate,
        form=form,
        forms=choices,
        draft=draft,
        sections=ops.form_document(form)["sections"],
        keys=_active_keys(),
        max_photos=ops.fmt.MAX_PHOTOS,
    )


@bp.get("/e/<slug>/inspections/draft/<int:form_id>.json")
@estate_view(Role.supervisor, admin=False)
def draft(estate: Estate, form_id: int):
    form = db.session.get(InspectionForm, form_id) or abort(404)
    return jsonify(ops.draft(estate, form))


def _signed_post():
    """(document, kid, sig, photos) of a multipart post, or of a JSON one."""
    if request.mimetype == "application/json":
        data = request.get_json(silent=True) or {}
        return data.get("document"), data.get("kid"), data.get("sig"), []
    try:
        document = json.loads(request.form.get("document", ""))
    except ValueError:
        document = None
    photos = [(f.read(), f.filename or "photo.jpg") for f in request.files.getlist("photo")]
    return document, request.form.get("kid"), request.form.get("sig"), photos


def _store(operation, next_url):
    try:
        found = operation()
    except ops.InspectionError as exc:
        db.session.rollback()
        return json_error(exc)
    db.session.commit()
    flash(_("Signed on this device and saved."), "success")  # shown on the page the phone goes to next
    return jsonify({"next": next_url(found)})


@bp.post("/e/<slug>/inspections")
@estate_view(Role.supervisor, admin=False)
@limiter.limit("20/minute")
def record(estate: Estate):
    document, kid, sig, photos = _signed_post()
    return _store(
        lambda: ops.record_inspection(estate, actor=current_user, document=document, kid=kid, sig=sig, photos=photos),
        lambda inspection: url_for("inspections.detail", slug=estate.slug, inspection_id=inspection.id),
    )


def _inspection_page(template: str, inspection: Inspection, **context):
    answers = ops.answers_to(inspection)
    return render_template(
        template,
        answer_counts={n.id: len(ops.answers_to(n)) for n in inspection.notices},
        inspection=inspection,
        check=ops.checked(inspection),
        texts=_texts(inspection),
        photos=ops.photos_of("inspection", inspection.id),
        answers=answers,
        answer_photos=ops.answer_photos(answers),
        max_photos=ops.fmt.MAX_PHOTOS,
        shown=_shown,
        **context,
    )


@bp.get("/e/<slug>/inspections/<int:inspection_id>")
@estate_view(*STAFF)
def detail(estate: Estate, inspection_id: int):
    inspection = in_estate(Inspection, inspection_id, estate)
    role = current_user.role_in(estate.id)
    today = ops.today_in(estate)
    return _inspection_page(
        "inspections/detail.html",
        inspection,
        estate=estate,
        role=role,
        keys=_active_keys() if role is Role.supervisor else [],
        today=today,
        default_deadline=(today + timedelta(days=7)).isoformat(),
        firm=inspection.firm,
    )


@bp.get("/e/<slug>/inspections/<int:inspection_id>.json")
@estate_view(*STAFF)
def detail_json(estate: Estate, inspection_id: int):
    return _record_json(in_estate(Inspection, inspection_id, estate), "inspection")


def _record_json(row, name: str):
    response = jsonify(ops.signed_record(row))
    response.headers["Content-Disposition"] = f'attachment; filename="{name}-{row.id}.json"'
    return response


@bp.post("/e/<slug>/inspections/<int:inspection_id>/notices")
@estate_view(Role.supervisor, admin=False)
@limiter.limit("20/minute")
def notice(estate: Estate, inspection_id: int):
    inspection = in_estate(Inspection, inspection_id, estate)
    document, kid, sig, _photos = _signed_post()
    return _store(
        lambda: ops.issue_notice(inspection, estate, actor=current_user, document=document, kid=kid, sig=sig),
        lambda found: url_for("inspections.notice_detail", slug=estate.slug, notice_id=found.id),
    )


def _notice_page(template: str, notice: RectificationNotice, **context):
    followups = [(f, ops.checked(f), ops.photos_of("followup", f.id)) for f in notice.followups]
    answers = ops.answers_to(notice)
    return render_template(
        template,
        notice=notice,
        check=ops.checked(notice),
        followups=followups,
        answers=answers,
        answer_photos=ops.answer_photos(answers),
        max_photos=ops.fmt.MAX_PHOTOS,
        overdue=ops.overdue(notice),
        texts=_texts(notice.inspection),
        **context,
    )


@bp.get("/e/<slug>/notices/<int:notice_id>")
@estate_view(*STAFF)
def notice_detail(estate: Estate, notice_id: int):
    found = in_estate(RectificationNotice, notice_id, estate)
    role = current_user.role_in(estate.id)
    return _notice_page(
        "inspections/notice.html",
        found,
        estate=estate,
        role=role,
        keys=_active_keys() if role is Role.supervisor else [],
        today=ops.today_in(estate),
    )


@bp.get("/e/<slug>/notices/<int:notice_id>.json")
@estate_view(*STAFF)
def notice_json(estate: Estate, notice_id: int):
    return _record_json(in_estate(RectificationNotice, notice_id, estate), "notice")


@bp.get("/e/<slug>/followups/<int:followup_id>.json")
@estate_view(*STAFF)
def followup_json(estate: Estate, followup_id: int):
    return _record_json(in_estate(FollowUp, followup_id, estate), "followup")


@bp.post("/e/<slug>/notices/<int:notice_id>/followups")
@estate_view(Role.supervisor, admin=False)
@limiter.limit("20/minute")
def followup(estate: Estate, notice_id: int):
    found = in_estate(RectificationNotice, notice_id, estate)
    document, kid, sig, photos = _signed_post()
    return _store(
        lambda: ops.record_followup(found, estate, actor=current_user, document=document, kid=kid, sig=sig, photos=photos),
        lambda _f: url_for("inspections.notice_detail", slug=estate.slug, notice_id=found.id),
    )


# --- the public record: what owners and anyone else may read and check ------------------------------
# An inspection of an estate's firm, its notices, follow-ups and the firm's answers name no owner
# (docs/security.md); a published ranking takes inspections' scores, so its readers need the
# signed inspections to check it (ownersvote verify-ranking ranking.json inspection.json).  The
# photos stay with the estate's staff and the firm: they may show residents and their homes.


def _public_inspection(slug: str, inspection_id: int) -> tuple[Estate, Inspection]:
    estate = public_estate(slug)
    return estate, in_estate(Inspection, inspection_id, estate)


@bp.get("/p/<slug>/inspections")
def public_list(slug: str):
    estate = public_estate(slug)
    return render_template(
        "inspections/public_list.html",
        estate=estate,
        inspections=ops.estate_inspections(estate),
        notices=ops.estate_notices(estate),
        overdue=ops.overdue,
        shown=_shown,
    )


@bp.get("/p/<slug>/inspections/<int:inspection_id>")
def public_detail(slug: str, inspection_id: int):
    estate, inspection = _public_inspection(slug, inspection_id)
    answers = ops.answers_to(inspection)
    notices = [
        {
            "notice": n,
            "check": ops.checked(n),
            "followups": [(f, ops.checked(f), []) for f in n.followups],
            "followup_photos": {f.id: len(ops.photos_of("followup", f.id)) for f in n.followups},
            "answers": ops.answers_to(n),
            "overdue": ops.overdue(n),
        }
        for n in inspection.notices
    ]
    every_answer = answers + [a for item in notices for a in item["answers"]]
    return render_template(
        "inspections/public_detail.html",
        estate=estate,
        inspection=inspection,
        check=ops.checked(inspection),
        texts=_texts(inspection),
        photos=[],
        photo_count=len(ops.photos_of("inspection", inspection.id)),
        answers=answers,
        answer_photos={},
        # Photos are counted, not shown (they may show residents): the page says how many and why.
        answer_photo_counts={a: len(photos) for a, photos in ops.answer_photos(every_answer).items()},
        notices=notices,
        shown=_shown,
        public=True,
    )


@bp.get("/p/<slug>/inspections/<int:inspection_id>.json")
def public_json(slug: str, inspection_id: int):
    _estate, inspection = _public_inspection(slug, inspection_id)
    return _record_json(inspection, "inspection")


# --- the firm's view ------------------------------------------------------------------------------------


def _firm_answer(subject: Inspection | RectificationNotice, back: str):
    """The firm's written answer to an inspection or a notice: (the form, the redirect to ``back``
    once the answer is recorded, else None)."""
    form = AnswerForm()
    if form.validate_on_submit():
        done, _reply = run_operation(
            lambda: ops.answer(subject, account=current_user._get_current_object(), text=form.text.data, photos=form.photos()),
            _("Your answer is recorded."),
        )
        if done:
            return form, redirect(back)
    elif form.is_submitted():
        flash_form_errors(form)
    if form.is_submitted() and form.chose_photos():
        # No page can put files back into a file input: say so, rather than let them vanish.
        flash(_("The photos you chose were not saved with it: choose them again."), "warning")
    return form, None


@bp.route("/firm/inspections/<int:inspection_id>", methods=["GET", "POST"])
@firm_required
@limiter.limit("30/minute", methods=["POST"])
def firm_inspection(inspection_id: int):
    inspection = of_my_firm(db.session.get(Inspection, inspection_id))
    form, done = _firm_answer(inspection, url_for("inspections.firm_inspection", inspection_id=inspection.id))
    if done is not None:
        return done
    return _inspection_page("inspections/firm_inspection.html", inspection, estate=inspection.estate, form=form)


@bp.get("/firm/inspections/<int:inspection_id>.json")
@firm_required
def firm_inspection_json(inspection_id: int):
    return _record_json(of_my_firm(db.session.get(Inspection, inspection_id)), "inspection")


@bp.get("/firm/notices/<int:notice_id>.json")
@firm_required
def firm_notice_json(notice_id: int):
    """The notice addressed to this firm, signed: the firm checks "verified" for itself."""
    return _record_json(of_my_firm(db.session.get(RectificationNotice, notice_id)), "notice")


@bp.route("/firm/notices/<int:notice_id>", methods=["GET", "POST"])
@firm_required
@limiter.limit("30/minute", methods=["POST"])
def firm_notice(notice_id: int):
    found = of_my_firm(db.session.get(RectificationNotice, notice_id))
    form, done = _firm_answer(found, url_for("inspections.firm_notice", notice_id=found.id))
    if done is not None:
        return done
    return _notice_page("inspections/firm_notice.html", found, estate=found.estate, form=form)
