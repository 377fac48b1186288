"""Nominating (owners, organisers for paper), committing, vetting (supervisors), the public list."""

from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from crypto.canonical import canonical_json
from webapp.assemblies import lifecycle
from webapp.assemblies.kinds import kind_of
from webapp.assemblies.loaders import load_assembly, public_estate
from webapp.assemblies.models import AgendaItem, Assembly
from webapp.assemblies.operations import attach
from webapp.candidates import operations as ops
from webapp.candidates.models import Candidate
from webapp.core import challenges
from webapp.core.db import db
from webapp.core.errors import json_error
from webapp.core.errors_base import UserError
from webapp.core.forms import PageForm
from webapp.core.roles import Role
from webapp.core.views import flash_form_errors, run_operation
from webapp.estates.access import estate_view, in_estate
from webapp.estates.models import Estate
from webapp.owners.access import owner_required

bp = Blueprint("candidates", __name__)


class SelfForm(PageForm):
    statement = TextAreaField(
        _l("Your statement to the owners (who you are, what you will do)"),
        validators=[DataRequired(message=_l("Write a short statement.")), Length(max=4000)],
    )
    party_member = BooleanField(_l("I am a member of the Communist Party of China (shown to supervisors only, as information)"))


class OtherForm(PageForm):
    unit = StringField(_l("Their unit (e.g. 3-1201)"), validators=[DataRequired(message=_l("Give the unit.")), Length(max=80)])
    name = StringField(_l("Their name, as in the registry"), validators=[DataRequired(message=_l("Give the name.")), Length(max=100)])


class PaperForm(PageForm):
    unit = StringField(_l("Candidate's unit (e.g. 3-1201)"), validators=[DataRequired(message=_l("Give the unit.")), Length(max=80)])
    name = StringField(_l("Candidate's name, as in the registry"), validators=[DataRequired(message=_l("Give the name.")), Length(max=100)])
    statement = TextAreaField(_l("Statement"), validators=[Optional(), Length(max=4000)])
    party_member = BooleanField(_l("Declared a member of the Communist Party of China"))


class DecisionForm(PageForm):
    reason = StringField(
        _l("Written reason (the candidate will see it)"),
        validators=[DataRequired(message=_l("A written reason is required.")), Length(max=2000)],
    )


def _origin() -> str:
    return request.host_url.rstrip("/")


def _election(assembly: Assembly, item_id: int) -> AgendaItem:
    item = db.session.get(AgendaItem, item_id)
    if item is None or item.assembly_id != assembly.id or not kind_of(item.form).takes_nominations:
        abort(404)
    return item


# ---------------------------------------------------------------- staff


@bp.route("/e/<slug>/assemblies/<int:assembly_id>/candidates", methods=["GET"])
@estate_view(Role.organiser, Role.supervisor)
def manage(estate: Estate, assembly_id: int):
    assembly = load_assembly(estate, assembly_id)
    elections = [i for i in assembly.items if kind_of(i.form).takes_nominations]
    by_item = {
        i.id: list(db.session.scalars(select(Candidate).where(Candidate.item_id == i.id).order_by(Candidate.created_at))) for i in elections
    }
    role = current_user.role_in(estate.id)
    return render_template(
        "candidates/manage.html",
        estate=estate,
        assembly=assembly,
        elections=elections,
        by_item=by_item,
        supervisor=role is Role.supervisor,
        organiser=role is Role.organiser,
        decision=DecisionForm(prefix="d"),
        paper=PaperForm(prefix="p"),
        action=PageForm(),
        composition={i.id: ops.composition(i) for i in elections},
        ends={i.id: ops.publication_ends(i) for i in elections},
    )


@bp.post("/e/<slug>/assemblies/<int:assembly_id>/candidates/<int:candidate_id>/<any(approve,reject):decision>")
@estate_view(Role.supervisor, admin=False)
def decide(estate: Estate, assembly_id: int, candidate_id: int, decision: str):
    assembly = load_assembly(estate, assembly_id)
    candidate = in_estate(Candidate, candidate_id, estate)
    if candidate.assembly_id != assembly.id:
        abort(404)
    form = DecisionForm(prefix="d")
    if not form.validate_on_submit():
        flash(_("A written reason is required (the candidate will see it)."), "error")
    else:
        run_operation(
            lambda: ops.decide(
                candidate,
                actor=current_user,
                approve=decision == "approve",
                reason=form.reason.data,
                link=url_for("candidates.mine", candidate_id=candidate.id),
            ),
            _("Decision recorded."),
        )
    return redirect(url_for("candidates.manage", slug=estate.slug, assembly_id=assembly.id) + f"#c{candidate.id}")


@bp.post("/e/<slug>/assemblies/<int:assembly_id>/items/<int:item_id>/publish-candidates")
@estate_view(Role.supervisor, admin=False)
def publish(estate: Estate, assembly_id: int, item_id: int):
    assembly = load_assembly(estate, assembly_id)
    item = _election(assembly, item_id)
    if not PageForm().validate_on_submit():
        abort(400)
    run_operation(lambda: ops.publish_list(item, actor=current_user), _("The list of approved candidates is published."))
    return redirect(url_for("candidates.manage", slug=estate.slug, assembly_id=assembly.id))


@bp.post("/e/<slug>/assemblies/<int:assembly_id>/items/<int:item_id>/paper-nomination")
@estate_view(Role.organiser, admin=False)
def paper(estate: Estate, assembly_id: int, item_id: int):
    assembly = load_assembly(estate, assembly_id)
    item = _election(assembly, item_id)
    form = PaperForm(prefix="p")
    scan = request.files.get("scan")
    if not form.validate_on_submit():
        flash_form_errors(form)
    elif scan is None or not scan.filename:
        flash(_("Attach the scan of the signed nomination and commitment."), "error")
    else:
        run_operation(
            lambda: ops.paper_nomination(
                item,
                actor=current_user,
                unit_label=form.unit.data,
                name=form.name.data,
                statement=form.statement.data,
                party_member=form.party_member.data,
                scan=scan.read(),
                scan_name=scan.filename,
            ),
            _("Paper nomination entered."),
        )
    return redirect(url_for("candidates.manage", slug=estate.slug, assembly_id=assembly.id))


# ---------------------------------------------------------------- owners


def _own_assembly(assembly_id: int) -> Assembly:
    """An assembly of the owner's estate.  Nominations come before the notice (which lists the
    vetted candidates), so a draft is reachable here once its organisers have called for
    candidates (and not before: a draft is their working copy); it has no notice to show yet."""
    assembly = db.session.get(Assembly, assembly_id)
    if assembly is None or assembly.estate_id != current_user.estate_id:
        abort(404)
    if assembly.state == "draft" and assembly.nominations_opened_at is None:
        abort(404)

    if lifecycle.advance(assembly):
        db.session.commit()
    return assembly


@bp.route("/me/a/<int:assembly_id>/nominate", methods=["GET", "POST"])
@owner_required
def nominate(assembly_id: int):
    assembly = _own_assembly(assembly_id)
    elections = [i for i in assembly.items if kind_of(i.form).takes_nominations]
    if not elections:
        abort(404)
    self_form, other_form = SelfForm(prefix="s"), OtherForm(prefix="o")
    raw = request.form.get("item", "") if request.method == "POST" else ""
    item = next((i for i in elections if str(i.id) == raw), None)
    if request.method == "POST" and item is None:
        flash(_("Choose the election."), "error")
    elif self_form.submit_ok():
        done, candidate = run_operation(
            lambda: ops.nominate_self(item, current_user, statement=self_form.statement.data, party_member=self_form.party_member.data)
        )
        if done:
            return redirect(url_for("candidates.mine", candidate_id=candidate.id))
    elif other_form.submit_ok():
        done, candidate = run_operation(
            lambda: ops.nominate_other(item, current_user, unit_label=other_form.unit.data, name=other_form.name.data),
            _(
                "Nomination sent. %(name)s will be asked to accept it and sign the commitment on their own phone.",
                name=other_form.name.data,
            ),
        )
        if done:
            return redirect(url_for("portal.me"))
    elif request.method == "POST":
        for f in (self_form, other_form):
            for errors in f.errors.values():
                for error in errors:
                    flash(str(error), "error")
    mine = list(
        db.session.scalars(select(Candidate).where(Candidate.assembly_id == assembly.id, Candidate.registration_id == current_user.id))
    )
    return render_template(
        "candidates/nominate.html",
        assembly=assembly,
        estate=assembly.estate,
        elections=elections,
        self_form=self_form,
        other_form=other_form,
        mine=mine,
        rules=assembly.estate.eligibility_rules or [],
        commitment=(ops.COMMITMENT_ZH, ops.COMMITMENT_EN),
    )


def _my_candidacy(candidate_id: int) -> Candidate:
    candidate = db.session.get(Candidate, candidate_id)
    if candidate is None or candidate.registration_id != current_user.id:
        abort(404)
    return candidate


@bp.route("/me/candidacies/<int:candidate_id>", methods=["GET", "POST"])
@owner_required
def mine(candidate_id: int):
    candidate = _my_candidacy(candidate_id)
    form = SelfForm(prefix="s", statement=candidate.statement, party_member=candidate.party_member)
    if request.method == "POST" and candidate.state == "awaiting_consent":
        if "photo" in request.files and request.files["photo"].filename:
            photo = request.files["photo"]

            def upload():
                attachment = attach(
                    candidate.item.assembly,
                    actor=ops.owner_label(current_user),
                    kind="photo",
                    owner_id=candidate.id,
                    data=photo.read(),
                    filename=photo.filename,
                    images_only=True,
                )
                candidate.photo_id = attachment.id

            if PageForm().validate_on_submit():
                run_operation(upload, _("Photo saved."))
        elif form.submit_ok():

            def save():
                candidate.statement = form.statement.data.strip()[:4000]
                candidate.party_member = form.party_member.data

            run_operation(save, _("Saved. Now sign the commitment."))
        return redirect(url_for("candidates.mine", candidate_id=candidate.id))
    return render_template(
        "candidates/mine.html",
        candidate=candidate,
        estate=candidate.item.assembly.estate,
        form=form,
        action=PageForm(),
        commitment=(ops.COMMITMENT_ZH, ops.COMMITMENT_EN),
        rules=candidate.item.assembly.estate.eligibility_rules or [],
    )


@bp.get("/me/candidacies/<int:candidate_id>/commitment.json")
@owner_required
def commitment(candidate_id: int):
    candidate = _my_candidacy(candidate_id)
    issued = challenges.issue("commitment", _origin())
    document = ops.commitment_document(candidate, issued["challenge"], _origin())
    db.session.commit()

    return jsonify({"challenge": issued["challenge"], "message": canonical_json(document).decode(), "document": document})


@bp.post("/me/candidacies/<int:candidate_id>/commitment")
@owner_required
def sign(candidate_id: int):
    candidate = _my_candidacy(candidate_id)
    data = request.get_json(silent=True)
    if not isinstance(data, dict) or not all(isinstance(data.get(k), str) for k in ("kid", "signature", "challenge")):
        return json_error(ops.CandidateError("请求格式不正确", "malformed request"))
    try:
        ops.sign_commitment(
            candidate, current_user, kid=data["kid"], signature=data["signature"], challenge=data["challenge"], origin=_origin()
        )
    except (ops.CandidateError, challenges.ProofError) as exc:
        db.session.rollback()
        return json_error(exc)
    except Exception as exc:  # LifecycleError and the like: all UserErrors
        if not isinstance(exc, UserError):
            raise
        db.session.rollback()
        return json_error(exc)
    db.session.commit()
    return jsonify({"next": url_for("candidates.mine", candidate_id=candidate.id)})


@bp.post("/me/candidacies/<int:candidate_id>/<any(decline,withdraw):what>")
@owner_required
def leave(candidate_id: int, what: str):
    candidate = _my_candidacy(candidate_id)
    if not PageForm().validate_on_submit():
        abort(400)
    if what == "decline":
        run_operation(lambda: ops.decline(candidate, current_user), _("You declined the nomination."))
    else:
        run_operation(lambda: ops.withdraw(candidate, current_user), _("You withdrew your candidacy."))
    return redirect(url_for("candidates.mine", candidate_id=candidate.id))


# ---------------------------------------------------------------- public


@bp.get("/p/<slug>/a/<int:assembly_id>/candidates")
def public(slug: str, assembly_id: int):
    estate = public_estate(slug)
    assembly = load_assembly(estate, assembly_id)
    lists = []
    for item in assembly.items:
        if kind_of(item.form).takes_nominations and item.candidates_published:
            found = {c.id: c for c in db.session.scalars(select(Candidate).where(Candidate.id.in_(item.candidates_published)))}
            lists.append((item, [found[i] for i in item.candidates_published if i in found], ops.publication_ends(item)))
    if not lists:
        abort(404)
    return render_template("candidates/public.html", estate=estate, assembly=assembly, lists=lists)
