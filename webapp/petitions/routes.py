"""Owners' petitions: the owner's start page, the public progress page (where an owner of the
estate also signs), signing, the signed documents and the export, and the staff's list."""

from __future__ import annotations

import json

from flask import Blueprint, abort, current_app, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from webapp.assemblies.loaders import public_estate
from webapp.core.db import db
from webapp.core.extensions import csrf, limiter
from webapp.core.i18n import is_chinese, pick
from webapp.core.roles import Role, is_owner, is_staff
from webapp.core.views import flash_form_errors, run_operation
from webapp.estates.access import estate_view
from webapp.estates.models import Estate
from webapp.estates.thresholds import CATEGORIES
from webapp.owners.access import owner_required
from webapp.petitions import operations as ops
from webapp.petitions.forms import StartForm
from webapp.petitions.models import Petition

bp = Blueprint("petitions", __name__)


def _categories(form: StartForm) -> None:
    form.category.choices = [(n, f"{n}. {c.zh if is_chinese() else c.en}") for n, c in CATEGORIES.items()]


def _petitions(estate: Estate) -> list[Petition]:
    return list(db.session.scalars(select(Petition).where(Petition.estate_id == estate.id).order_by(Petition.seq.desc())))


def _load(slug: str, seq: int) -> Petition:
    estate = public_estate(slug)
    petition = db.session.scalar(select(Petition).where(Petition.estate_id == estate.id, Petition.seq == seq))
    if petition is None:
        abort(404)
    if ops.settle(petition):
        db.session.commit()
    return petition


# ---------------------------------------------------------------- owners


@bp.route("/me/petitions", methods=["GET", "POST"])
@owner_required
@limiter.limit("10/hour", methods=["POST"])
def start():
    estate = current_user.estate
    form = StartForm()
    _categories(form)
    if form.is_submitted():
        if not form.validate():
            flash_form_errors(form)
        else:
            done, petition = run_operation(
                lambda: ops.start(
                    estate,
                    current_user,
                    subject=form.subject.data,
                    text_=form.text.data,
                    category=form.category.data,
                    pii_key=current_app.config["OWNERSVOTE_PII_HMAC_KEY"],
                )
            )
            if done:
                return redirect(url_for("petitions.page", slug=estate.slug, seq=petition.seq) + "#sign")
    if ops.settle_estate(estate):
        db.session.commit()
    return render_template("petitions/start.html", estate=estate, form=form, petitions=_petitions(estate))


@bp.post("/api/v1/p/<slug>/petitions/<int:seq>/signatures")
@csrf.exempt  # the body is signed by the owner's own key: no ambient authority to forge
@limiter.limit("30/minute")
def sign(slug: str, seq: int):
    estate = public_estate(slug)
    petition = db.session.scalar(select(Petition).where(Petition.estate_id == estate.id, Petition.seq == seq))
    if petition is None:
        return jsonify({"error": "没有这项提议", "error_en": "no such petition"}), 404
    if ops.settle(petition):
        db.session.commit()
    if is_staff():
        return jsonify(
            {
                "error": "工作人员账号不能签署业主提议：如果您也是业主，请退出工作人员账号，用登记时的手机签名",
                "error_en": "staff accounts cannot sign owners' petitions: if you are also an owner, sign out and sign on your registered phone",
            }
        ), 403
    if request.content_length and request.content_length > 16 * 1024:
        return jsonify({"error": "提交的内容过大", "error_en": "the submission is too large"}), 413
    try:
        done = ops.sign(petition, request.get_json(silent=True))
    except ops.PetitionRefused as exc:
        db.session.rollback()
        return jsonify({"error": pick(exc), "error_en": exc.en}), exc.status
    db.session.commit()
    return jsonify(
        {
            "code": done.code,
            "repeated": done.repeated,
            "state": petition.state,
            "next": url_for("petitions.page", slug=estate.slug, seq=seq, signed=done.code) + "#mine",
        }
    ), 200 if done.repeated else 201


# ---------------------------------------------------------------- public


@bp.get("/p/<slug>/petitions")
def index(slug: str):
    estate = public_estate(slug)
    if ops.settle_estate(estate):
        db.session.commit()
    return render_template("petitions/index.html", estate=estate, petitions=_petitions(estate))


@bp.get("/p/<slug>/petitions/<int:seq>")
def page(slug: str, seq: int):
    petition = _load(slug, seq)
    estate = petition.estate
    me = current_user if is_owner() and current_user.estate_id == estate.id else None
    mine = ops.signature_of(petition, me)
    member = ops.member_of(petition, me) if me is not None and me.can_vote and me.proxy_id is None else None
    return render_template(
        "petitions/page.html",
        estate=estate,
        petition=petition,
        shown=ops.shown(petition),
        document=json.loads(petition.document),
        owner=me,
        member=member,
        mine=mine,
        category=CATEGORIES[petition.category],
        other_estate=is_owner() and current_user.estate_id != estate.id,
    )


@bp.get("/p/<slug>/petitions/<int:seq>.json")
def document(slug: str, seq: int):
    """The signed petition document: what an owner's phone signs the digest of."""
    petition = _load(slug, seq)
    return current_app.response_class(petition.document, mimetype="application/json")


@bp.get("/p/<slug>/petitions/<int:seq>/export.json")
def export(slug: str, seq: int):
    petition = _load(slug, seq)
    body = json.dumps(ops.export(petition), ensure_ascii=False, indent=1)
    response = current_app.response_class(body, mimetype="application/json")
    response.headers["Content-Disposition"] = f'attachment; filename="{petition.estate.slug}-petition-{petition.seq}.json"'
    return response


@bp.get("/p/<slug>/petitions/<int:seq>/receipt/<code>.json")
def receipt(slug: str, seq: int, code: str):
    petition = _load(slug, seq)
    found = next((s for s in petition.signatures if ops.tracking_code(bytes.fromhex(s.leaf_hash)) == code), None)
    if found is None:
        abort(404)
    return jsonify(ops.receipt(found))


# ---------------------------------------------------------------- staff


@bp.get("/e/<slug>/petitions")
@estate_view(Role.organiser, Role.supervisor)
def staff_list(estate: Estate):
    if ops.settle_estate(estate):
        db.session.commit()
    return render_template("petitions/staff.html", estate=estate, petitions=_petitions(estate), shown=ops.shown)
