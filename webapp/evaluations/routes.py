"""Evaluation pages: forms (platform admins), an estate's evaluations (organisers, supervisors), the
owner's phone page, the token request (signed in), the answer (no cookie), the public result."""

from __future__ import annotations

import json
from datetime import datetime

from flask import Blueprint, abort, current_app, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from crypto import blindrsa
from crypto import evaluation as fmt
from crypto.encoding import b64url_decode, b64url_encode
from crypto.errors import CryptoError
from webapp.core import sessions
from webapp.core.db import db, utcnow
from webapp.core.extensions import csrf, limiter
from webapp.core.forms import PageForm
from webapp.core.i18n import pick
from webapp.core.roles import Role, admin_required, is_owner
from webapp.core.serverkey import installation_jwk, signing_key
from webapp.core.timefmt import zone
from webapp.core.views import posted_json, run_operation
from webapp.estates.access import estate_view
from webapp.estates.models import Estate
from webapp.evaluations import operations as ops
from webapp.evaluations.models import Evaluation, EvaluationForm
from webapp.firms.operations import serving
from webapp.owners.access import owner_required

bp = Blueprint("evaluations", __name__)


def _error(exc: ops.EvaluationError):
    db.session.rollback()
    return jsonify({"error": pick(exc), "error_en": exc.en}), exc.status


@bp.route("/admin/evaluation-forms", methods=["GET", "POST"])
@admin_required
def forms():
    form = PageForm()
    text = request.form.get("definition", "")
    if request.method == "POST" and form.validate_on_submit():
        try:
            definition = json.loads(text)
        except ValueError:
            definition = None
        done, _found = run_operation(
            lambda: ops.publish_form(definition, signer=signing_key(), actor=current_user), _("Form published and signed.")
        )
        if done:
            return redirect(url_for("evaluations.forms"))
    found = list(db.session.scalars(select(EvaluationForm).order_by(EvaluationForm.code, EvaluationForm.version.desc())))
    return render_template("evaluations/forms.html", forms=found, form=form, text=text)


def phase(evaluation: Evaluation) -> str:
    return ops.phase(evaluation, utcnow())


def phase_label(evaluation: Evaluation) -> str:
    return {
        "upcoming": _("Not open yet"),
        "open": _("Open"),
        "closed": _("Closed, result to publish"),
        "published": _("Result published"),
    }[phase(evaluation)]


def _moment(estate: Estate, text: str) -> datetime:
    try:
        return datetime.fromisoformat(text).replace(tzinfo=zone(estate))
    except ValueError:
        raise ops.EvaluationError("请填写开始和结束时间", "give the start and the end of the period") from None


@bp.route("/e/<slug>/evaluations", methods=["GET", "POST"])
@estate_view(Role.organiser, Role.supervisor, admin=False)
def estate_list(estate: Estate):
    form = PageForm()
    if request.method == "POST" and form.validate_on_submit():

        def create():
            chosen = db.session.get(EvaluationForm, request.form.get("form_id", type=int) or 0)
            if chosen is None:
                raise ops.EvaluationError("请选择测评表", "choose a form")
            return ops.open_evaluation(
                estate,
                chosen,
                title=request.form.get("title", ""),
                opens=_moment(estate, request.form.get("opens", "")),
                closes=_moment(estate, request.form.get("closes", "")),
                min_answers=request.form.get("min_answers", type=int) or current_app.config["OWNERSVOTE_EVALUATION_MIN_ANSWERS"],
                actor=current_user,
            )

        done, evaluation = run_operation(create, _("Evaluation opened."))
        if done:
            return redirect(url_for("evaluations.detail", slug=estate.slug, evaluation_id=evaluation.id))
    evaluations = list(db.session.scalars(select(Evaluation).where(Evaluation.estate_id == estate.id).order_by(Evaluation.opens.desc())))
    choices = list(db.session.scalars(select(EvaluationForm).order_by(EvaluationForm.code, EvaluationForm.version.desc())))
    return render_template(
        "evaluations/estate_list.html",
        estate=estate,
        evaluations=evaluations,
        firm=service.firm if (service := serving(estate)) else None,
        choices=choices,
        form=form,
        min_answers=current_app.config["OWNERSVOTE_EVALUATION_MIN_ANSWERS"],
    )


def _load(estate: Estate, evaluation_id: int) -> Evaluation:
    evaluation = db.session.get(Evaluation, evaluation_id)
    if evaluation is None or evaluation.estate_id != estate.id:
        abort(404)
    return evaluation


@bp.route("/e/<slug>/evaluations/<int:evaluation_id>", methods=["GET", "POST"])
@estate_view(Role.organiser, Role.supervisor, admin=False)
def detail(estate: Estate, evaluation_id: int):
    evaluation = _load(estate, evaluation_id)
    form = PageForm()
    if request.method == "POST" and form.validate_on_submit():
        run_operation(
            lambda: ops.publish_result(evaluation, signer=signing_key(), actor=current_user, now=utcnow()), _("Result published.")
        )
        return redirect(url_for("evaluations.detail", slug=estate.slug, evaluation_id=evaluation.id))
    return render_template(
        "evaluations/detail.html", estate=estate, evaluation=evaluation, form=form, now=utcnow(), open=ops.in_period(evaluation, utcnow())
    )


# --- owners ----------------------------------------------------------------------------------------


@bp.get("/o/evaluations/<int:evaluation_id>")
@owner_required
def answer_page(evaluation_id: int):
    evaluation = db.session.get(Evaluation, evaluation_id)
    if evaluation is None or evaluation.estate_id != current_user.estate_id:
        abort(404)
    return render_template(
        "evaluations/answer.html",
        evaluation=evaluation,
        estate=evaluation.estate,
        form=ops.form_document(evaluation.form),
        may=current_user.state == "approved" and current_user.can_vote,
        open=ops.in_period(evaluation, utcnow()),
        taken=ops.has_token(evaluation, current_user.member_ref),
    )


@bp.post("/o/evaluations/<int:evaluation_id>/token")
@limiter.limit("10/minute;30/hour")
def token(evaluation_id: int):
    """Signed in, with the page's CSRF token in X-CSRFToken: blind-sign the member's one token."""
    if not is_owner():
        return jsonify({"error": "请先用登记的手机登录", "error_en": "sign in on your registered phone first"}), 401
    evaluation = db.session.get(Evaluation, evaluation_id)
    try:
        if evaluation is None:
            raise ops.EvaluationError("没有这次测评", "no such evaluation", 404)
        try:
            blinded = b64url_decode(posted_json().get("blinded", ""), what="blinded")
        except CryptoError:
            raise ops.EvaluationError("凭证请求无效", "the token request is not valid") from None
        blind_sig = ops.issue_token(evaluation, current_user._get_current_object(), blinded, now=utcnow())
    except ops.EvaluationError as exc:
        return _error(exc)
    db.session.commit()
    return jsonify({"blind_sig": b64url_encode(blind_sig)})


@bp.post("/api/v1/evaluations/<int:evaluation_id>/answers")
@csrf.exempt  # no ambient authority: the body carries its own token, and the phone sends no cookie
@sessions.optional
@limiter.limit("30/minute")
def answer(evaluation_id: int):
    data = posted_json()
    try:
        try:
            message = b64url_decode(data.get("message", ""), what="message")
            signature = b64url_decode(data.get("sig", ""), what="sig")
        except CryptoError:
            raise ops.EvaluationError("答卷格式无效", "the answer is not well formed") from None
        if len(message) > 8192:
            raise ops.EvaluationError("答卷过长", "the answer is too long", 413)
        token_id = ops.submit_answer(evaluation_id, message, signature, now=utcnow())
    except ops.EvaluationError as exc:
        return _error(exc)
    db.session.commit()
    return jsonify({"token": token_id}), 201


# --- the published result --------------------------------------------------------------------------


def _published(evaluation_id: int) -> Evaluation:
    evaluation = db.session.get(Evaluation, evaluation_id)
    if evaluation is None or evaluation.result is None:
        abort(404)
    return evaluation


@bp.get("/evaluations/<int:evaluation_id>/result.json")
def result_json(evaluation_id: int):
    evaluation = _published(evaluation_id)
    return current_app.response_class(evaluation.result, mimetype="application/json")


@bp.get("/evaluations/<int:evaluation_id>/result")
def result_page(evaluation_id: int):
    evaluation = _published(evaluation_id)
    result = json.loads(evaluation.result)
    # The counts shown are the recount of the signed result, checked with the installation's key
    # it names (which may since have been rotated out), never the stored numbers taken on trust.
    try:
        fmt.verify_result(result, installation_jwk(result))
    except (CryptoError, KeyError, TypeError, AttributeError) as exc:
        problem = (
            f"服务器对结果的签名或其计数核验失败：{exc}",
            f"the server's signature on the result, or its counts, do not verify: {exc}",
        )
        return render_template(
            "evaluations/result.html", evaluation=evaluation, result=None, estate=evaluation.estate, codes=[], problem=problem, comments=[]
        )
    codes = sorted(blindrsa.token_id(b64url_decode(a["message"])) for a in result["answers"] or ())
    # The comments, as the answer page promised them: published as written, in the order of the
    # answers (sorted by token, so not by when they came).
    comments = [c for c in (json.loads(b64url_decode(a["message"])).get("comment") for a in result["answers"] or ()) if c]
    return render_template(
        "evaluations/result.html",
        evaluation=evaluation,
        result=result,
        estate=evaluation.estate,
        codes=codes,
        problem=None,
        comments=comments,
    )
