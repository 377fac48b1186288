"""Staff side of onboarding: printing letters, the supervisors' queue, revoking keys, and the
staff's own device keys (for signing rolls and tallies in their browser)."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload
from wtforms.fields.choices import SelectChoice

from webapp.core.db import db
from webapp.core.errors_base import UserError
from webapp.core.i18n import pick
from webapp.core.roles import Role
from webapp.core.views import run_operation
from webapp.devices import operations as device_ops
from webapp.devices.forms import RevokeForm
from webapp.devices.models import DeviceKey
from webapp.estates.access import estate_view, in_estate
from webapp.estates.models import Estate
from webapp.jobs.context import runner_mode
from webapp.jobs.kinds import get_kind
from webapp.jobs.operations import jobs_of, start_job
from webapp.jobs.routes import status_doc
from webapp.jobs.runner import submit
from webapp.owners import operations as ops
from webapp.owners.forms import DecisionForm, IssueLettersForm, ReissueForm, RepresentativeForm
from webapp.owners.models import Invitation, Registration
from webapp.registry.counting import natural_key
from webapp.registry.labels import listed_labels
from webapp.registry.models import Building, Unit

bp = Blueprint("onboarding", __name__)


def _origin() -> str:
    return (current_app.config.get("OWNERSVOTE_BASE_URL") or request.host_url).rstrip("/")


def _units_by_label(estate: Estate, labels: str) -> tuple[list[Unit], list[str]]:
    """The estate's units listed by label, and the labels that name none: one statement for the
    whole list (at most ``MAX_LISTED_UNITS`` of them; more is a UserError)."""
    wanted = listed_labels(labels)
    units = db.session.scalars(select(Unit).join(Building).where(Unit.estate_id == estate.id).options(selectinload(Unit.building)))
    by_label = {u.label: u for u in units}
    return [by_label[w] for w in wanted if w in by_label], [w for w in wanted if w not in by_label]


def _letter_counts(estate: Estate) -> dict[str, int]:
    counts = dict(
        db.session.execute(select(Invitation.state, func.count()).where(Invitation.estate_id == estate.id).group_by(Invitation.state)).all()
    )
    return {state: counts.get(state, 0) for state in ("active", "used", "void")}


@bp.route("/e/<slug>/letters", methods=["GET", "POST"])
@estate_view(Role.organiser, Role.supervisor)
def letters(estate: Estate):
    buildings = sorted(db.session.scalars(select(Building).where(Building.estate_id == estate.id)), key=lambda b: natural_key(b.name))
    unit_count = db.session.scalar(select(func.count(Unit.id)).where(Unit.estate_id == estate.id)) or 0
    form = IssueLettersForm()
    form.building.choices = [SelectChoice("", _("— choose —")), SelectChoice("all", _("The whole estate (%(n)d units)", n=unit_count))] + [
        SelectChoice(str(b.id), b.name) for b in buildings
    ]
    reissue = ReissueForm(prefix="re")
    if request.method == "POST" and form.submit_ok():
        if current_user.role_in(estate.id) is not Role.organiser:
            abort(403)  # organisers post letters; supervisors re-issue single ones with a reason
        params: dict = {"base_url": _origin()}
        if form.units.data:
            try:
                units, unknown = _units_by_label(estate, form.units.data)
            except UserError as exc:
                flash(pick(exc), "error")
                return redirect(url_for("onboarding.letters", slug=estate.slug))
            if unknown:
                flash(_("Unknown units: %(units)s", units=", ".join(unknown)), "error")
                return redirect(url_for("onboarding.letters", slug=estate.slug))
            units = list({u.id: u for u in units}.values())
            params.update(scope="units", unit_ids=[u.id for u in units], unit_labels=[u.label for u in units])
            count = len(units)
        elif form.building.data == "all":
            params.update(scope="estate")
            count = unit_count
        elif form.building.data:
            building = next((b for b in buildings if str(b.id) == form.building.data), None)
            if building is None:
                abort(404)
            params.update(scope="building", building_id=building.id, building_name=building.name)
            count = len(building.units)
        else:
            count = 0
        if not count:
            flash(_("Choose a building or list the units."), "error")
            return redirect(url_for("onboarding.letters", slug=estate.slug))
        done, job = run_operation(lambda: start_job(estate, "letters", params, actor=current_user, runner=runner_mode(current_app)))
        if not done:
            return redirect(url_for("onboarding.letters", slug=estate.slug))
        submit(job)  # after the commit: the job's runner must see it
        return redirect(url_for("jobs.job", slug=estate.slug, job_id=job.id), code=303)
    recent = []
    role = current_user.role_in(estate.id)
    if role is Role.organiser:
        recent, _total = jobs_of(estate, ["letters"], limit=3)
    elif role is Role.supervisor:
        recent, _total = jobs_of(estate, ["reissue"], limit=5)
    return render_template(
        "owners/letters.html",
        estate=estate,
        form=form,
        reissue=reissue,
        counts=_letter_counts(estate),
        recent=[(job, status_doc(job, kind, estate), kind.label(job.params)) for job in recent for kind in [get_kind(job.kind)]],
    )


@bp.get("/e/<slug>/letters/counts")
@estate_view(Role.organiser, Role.supervisor)
def letter_counts(estate: Estate):
    response = jsonify(_letter_counts(estate))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/e/<slug>/letters/reissue")
@estate_view(Role.supervisor, admin=False)
def reissue_letter(estate: Estate):
    """A new letter for one unit, made in the background: the job's page says it was issued and
    that the old letter no longer works, and offers the PDF.  A second press within minutes is
    shown the re-issue already made, and issues another only when asked again."""
    form = ReissueForm(prefix="re")
    if not form.validate_on_submit():
        flash(_("Give the unit and a reason."), "error")
        return redirect(url_for("onboarding.letters", slug=estate.slug))
    try:
        units, unknown = _units_by_label(estate, form.unit.data)
    except UserError as exc:
        flash(pick(exc), "error")
        return redirect(url_for("onboarding.letters", slug=estate.slug))
    if unknown or len(units) != 1:
        flash(_("Unknown units: %(units)s", units=form.unit.data), "error")
        return redirect(url_for("onboarding.letters", slug=estate.slug))
    unit = units[0]
    done, answer = run_operation(
        lambda: ops.reissue(
            estate,
            unit,
            actor=current_user,
            reason=form.reason.data,
            base_url=_origin(),
            runner=runner_mode(current_app),
            again=request.form.get("again") == "yes",
        )
    )
    if not done:
        return redirect(url_for("onboarding.letters", slug=estate.slug))
    job, started = answer
    if not started:
        return render_template("owners/reissue_recent.html", estate=estate, unit=unit, job=job, form=form)
    submit(job)  # after the commit: the job's runner must see it
    return redirect(url_for("jobs.job", slug=estate.slug, job_id=job.id), code=303)


@bp.get("/e/<slug>/registrations")
@estate_view(Role.supervisor, admin=False)
def queue(estate: Estate):
    pending = ops.pending_registrations(estate)
    forms = {}
    for registration in pending:
        form = DecisionForm(prefix=f"r{registration.id}")
        holders = registration.unit.owner.holders if registration.unit.owner else []
        form.holder.choices = [SelectChoice("", _("— choose —"))] + [SelectChoice(str(h.id), f"{h.name} ({h.id_masked})") for h in holders]
        if registration.holder_id:
            form.holder.data = str(registration.holder_id)
        forms[registration.id] = form
    recent = list(
        db.session.scalars(
            select(Registration)
            .where(Registration.estate_id == estate.id, Registration.state != "pending")
            .order_by(Registration.decided_at.desc())
            .limit(30)
        )
    )
    return render_template("owners/queue.html", estate=estate, pending=pending, forms=forms, recent=recent)


@bp.post("/e/<slug>/registrations/<int:registration_id>/<any(approve,reject):decision>")
@estate_view(Role.supervisor, admin=False)
def decide(estate: Estate, registration_id: int, decision: str):
    registration = in_estate(Registration, registration_id, estate)
    form = DecisionForm(prefix=f"r{registration.id}")
    holders = registration.unit.owner.holders if registration.unit.owner else []
    form.holder.choices = [SelectChoice("", "")] + [SelectChoice(str(h.id), h.name) for h in holders]
    if not form.validate_on_submit():
        flash(_("A written reason is required."), "error")
        return redirect(url_for("onboarding.queue", slug=estate.slug))
    if decision == "approve":
        holder_id = int(form.holder.data) if form.holder.data else None
        run_operation(
            lambda: ops.approve(
                registration, actor=current_user, holder_id=holder_id, as_developer=form.as_developer.data, reason=form.reason.data
            ),
            _("Decision recorded."),
        )
    else:
        run_operation(lambda: ops.reject(registration, actor=current_user, reason=form.reason.data), _("Decision recorded."))
    return redirect(url_for("onboarding.queue", slug=estate.slug))


@bp.get("/e/<slug>/units/find")
@estate_view(Role.supervisor, admin=False)
def find_unit(estate: Estate):
    try:
        units, unknown = _units_by_label(estate, request.args.get("unit", ""))
    except UserError as exc:
        flash(pick(exc), "error")
        return redirect(url_for("onboarding.queue", slug=estate.slug))
    if len(units) != 1:
        flash(_("Unknown units: %(units)s", units=request.args.get("unit", "")), "error")
        return redirect(url_for("onboarding.queue", slug=estate.slug))
    return redirect(url_for("onboarding.unit_detail", slug=estate.slug, unit_id=units[0].id))


@bp.get("/e/<slug>/units/<int:unit_id>")
@estate_view(Role.supervisor, admin=False)
def unit_detail(estate: Estate, unit_id: int):
    unit = in_estate(Unit, unit_id, estate)
    registrations = list(db.session.scalars(select(Registration).where(Registration.unit_id == unit.id).order_by(Registration.created_at)))
    invitations = list(db.session.scalars(select(Invitation).where(Invitation.unit_id == unit.id).order_by(Invitation.issued_at)))
    return render_template(
        "owners/unit.html",
        estate=estate,
        unit=unit,
        registrations=registrations,
        invitations=invitations,
        letter_states={i.id: ops.letter_state(i) for i in invitations},
        revoke=RevokeForm(),
        representative=_representative_form(unit),
    )


def _representative_form(unit: Unit) -> RepresentativeForm | None:
    if unit.owner is None or len(unit.owner.holders) < 2:
        return None
    form = RepresentativeForm(prefix="rep")
    form.holder.choices = [SelectChoice(str(h.id), h.name) for h in unit.owner.holders]
    if form.holder.data is None and unit.owner.representative:
        form.holder.data = str(unit.owner.representative.id)
    return form


@bp.post("/e/<slug>/units/<int:unit_id>/representative")
@estate_view(Role.supervisor, admin=False)
def representative(estate: Estate, unit_id: int):
    unit = in_estate(Unit, unit_id, estate)
    form = _representative_form(unit)
    if form is None:
        abort(404)
    if not form.validate_on_submit():
        flash(_("A written reason is required."), "error")
    else:
        holder = next((h for h in unit.owner.holders if str(h.id) == form.holder.data), None)
        if holder is None:
            abort(400)
        run_operation(
            lambda: ops.set_representative(unit.owner, holder, actor=current_user, reason=form.reason.data), _("Decision recorded.")
        )
    return redirect(url_for("onboarding.unit_detail", slug=estate.slug, unit_id=unit.id))


@bp.post("/e/<slug>/keys/<int:key_id>/revoke")
@estate_view(Role.supervisor, admin=False)
def revoke(estate: Estate, key_id: int):
    key = in_estate(DeviceKey, key_id, estate)
    if key.registration is None:
        abort(404)
    form = RevokeForm()
    if not form.validate_on_submit():
        flash(_("A written reason is required."), "error")
    else:
        device_ops.revoke_key(key, actor=current_user, reason=form.reason.data)
        db.session.commit()
        flash(_("Key revoked."), "success")
    return redirect(url_for("onboarding.unit_detail", slug=estate.slug, unit_id=key.registration.unit_id))
