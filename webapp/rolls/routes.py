from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from webapp.assemblies.loaders import load_assembly
from webapp.assemblies.models import Assembly
from webapp.assemblies.operations import set_roll
from webapp.auth.models import StaffUser
from webapp.core.db import db
from webapp.core.errors import json_error
from webapp.core.extensions import limiter
from webapp.core.forms import PageForm
from webapp.core.roles import Role, is_owner, is_staff
from webapp.core.views import run_operation
from webapp.devices.models import DeviceKey
from webapp.estates.access import estate_view
from webapp.estates.models import Estate
from webapp.estates.operations import get_estate
from webapp.registry.counting import DEVELOPER_MEMBER_ID
from webapp.registry.models import Unit
from webapp.rolls.models import Roll, RollEntry, RollSupplement
from webapp.rolls.operations import (
    RollError,
    add_signature,
    add_supplement_signature,
    certified_supplements,
    freeze_roll,
    pending_supplements,
    roll_document,
)
from webapp.rolls.verification import check_roll

bp = Blueprint("rolls", __name__)


def _roll(estate: Estate, seq: int) -> Roll:
    roll = db.session.scalar(select(Roll).where(Roll.estate_id == estate.id, Roll.seq == seq))
    if roll is None:
        abort(404)
    return roll


@bp.route("/e/<slug>/roll", methods=["GET", "POST"])
@estate_view(Role.supervisor, Role.organiser)
def manage(estate: Estate):
    form = PageForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        key = current_app.config["OWNERSVOTE_PII_HMAC_KEY"]

        raw = request.form.get("assembly", "")
        assembly = db.session.get(Assembly, int(raw)) if raw.isdigit() and len(raw) < 10 else None
        if assembly is not None and assembly.estate_id != estate.id:
            abort(404)
        done, roll = run_operation(
            lambda: freeze_roll(estate, actor=current_user, pii_key=key, assembly=assembly),
            _("Roll frozen. It now needs the supervisors' signatures."),
        )
        if done:
            return redirect(url_for("rolls.sign", slug=estate.slug, seq=roll.seq))
    rolls = list(db.session.scalars(select(Roll).where(Roll.estate_id == estate.id).order_by(Roll.seq.desc())))

    open_assemblies = list(
        db.session.scalars(
            select(Assembly).where(Assembly.estate_id == estate.id, Assembly.state.in_(("draft", "notice")), Assembly.roll_id.is_(None))
        )
    )
    return render_template(
        "rolls/manage.html",
        estate=estate,
        rolls=rolls,
        form=form,
        role=current_user.role_in(estate.id),
        assemblies=open_assemblies,
        supplements_waiting=len(pending_supplements(estate)),
    )


@bp.get("/e/<slug>/roll/<int:seq>/sign")
@estate_view(Role.supervisor, admin=False)
def sign(estate: Estate, seq: int):
    roll = _roll(estate, seq)
    keys = list(db.session.scalars(select(DeviceKey).where(DeviceKey.staff_user_id == current_user.id, DeviceKey.state == "active")))
    signed = any(s.staff_user_id == current_user.id for s in roll.signatures)
    return render_template("rolls/sign.html", estate=estate, roll=roll, keys=keys, signed=signed)


@bp.post("/e/<slug>/roll/<int:seq>/signatures")
@estate_view(Role.supervisor, admin=False)
@limiter.limit("20/minute")
def add(estate: Estate, seq: int):
    roll = _roll(estate, seq)
    data = request.get_json(silent=True) or {}
    if not isinstance(data.get("kid"), str) or not isinstance(data.get("sig"), str):
        abort(400)
    try:
        add_signature(roll, estate, actor=current_user, kid=data["kid"], sig=data["sig"])
    except RollError as exc:
        db.session.rollback()
        return json_error(exc)
    db.session.commit()
    # The page the browser goes to next says what happened (a phone walk found no word of it).
    counts = {"seq": roll.seq, "n": len(roll.signatures), "req": roll.required_signatures}
    if roll.state == "certified":
        flash(_("You signed roll no. %(seq)d: %(n)d of %(req)d signatures. The roll is now in force.", **counts), "success")
    else:
        flash(_("You signed roll no. %(seq)d: %(n)d of %(req)d signatures.", **counts), "success")
    return jsonify({"next": url_for("rolls.public", slug=estate.slug, seq=roll.seq), "state": roll.state})


def _public_estate(slug: str) -> Estate:
    estate = get_estate(slug)
    if estate is None:
        abort(404)
    return estate


PAGE_SIZE = 100


@bp.get("/p/<slug>/roll/<int:seq>")
def public(slug: str, seq: int):

    estate = _public_estate(slug)
    roll = _roll(estate, seq)
    check = check_roll(roll)
    position_of = {e["member"]: i for i, e in enumerate(check.entries)}
    mine = None
    if is_owner() and current_user.estate_id == estate.id and current_user.member_ref:
        row = next((e for e in roll.entries if e.member_ref == current_user.member_ref), None)
        mine = row.entry if row is not None else None
    show_refs = is_staff() and (current_user.is_platform_admin or current_user.role_in(estate.id) is Role.supervisor)
    pages = max(1, -(-len(check.entries) // PAGE_SIZE))
    if request.args.get("mine") and mine is not None:
        page = position_of.get(mine["member"], 0) // PAGE_SIZE + 1
    else:
        page = request.args.get("page", "1")
        page = min(pages, max(1, int(page))) if page.isdigit() and len(page) < 7 else 1
    shown = check.entries[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    units = _units_by_member(roll, [e["member"] for e in shown]) if show_refs else {}
    return render_template(
        "rolls/public.html",
        estate=estate,
        roll=roll,
        check=check,
        shown=shown,
        mine=mine,
        show_refs=show_refs,
        units=units,
        page=page,
        pages=pages,
        signers=_signers(roll, check),
    )


def _units_by_member(roll: Roll, members: list[str]) -> dict[str, str]:
    """Supervisors see which units stand behind each pseudonym (never the public)."""

    refs = dict(
        db.session.execute(
            select(RollEntry.member, RollEntry.member_ref).where(RollEntry.roll_id == roll.id, RollEntry.member.in_(members))
        ).all()
    )
    owner_ids = {int(ref.split(":", 1)[1]) for ref in refs.values() if ref.startswith("owner:")}
    labels: dict[int, list[str]] = {}
    if owner_ids:
        for unit in db.session.scalars(select(Unit).where(Unit.owner_id.in_(owner_ids))):
            labels.setdefault(unit.owner_id, []).append(unit.label)
    out = {}
    for member, ref in refs.items():
        if ref == DEVELOPER_MEMBER_ID:
            out[member] = _("developer's unsold and undelivered units")
        else:
            found = sorted(labels.get(int(ref.split(":", 1)[1]), []))
            out[member] = ", ".join(found[:4]) + (f" …(+{len(found) - 4})" if len(found) > 4 else "")
    return out


def _signers(roll: Roll, check) -> list[dict]:

    out = []
    for signature in roll.signatures:
        user = db.session.get(StaffUser, signature.staff_user_id)
        out.append(
            {
                "name": user.display_name if user else "?",
                "kid": signature.kid,
                "at": signature.signed_at,
                "valid": signature.kid in check.signers,
            }
        )
    return out


@bp.get("/p/<slug>/roll/<int:seq>.json")
def public_json(slug: str, seq: int):
    estate = _public_estate(slug)
    response = jsonify(roll_document(_roll(estate, seq), estate))
    response.headers["Content-Disposition"] = f'inline; filename="roll-{estate.slug}-{seq}.json"'
    return response


@bp.post("/e/<slug>/assemblies/<int:assembly_id>/roll")
@estate_view(Role.supervisor, admin=False)
def choose_roll(estate: Estate, assembly_id: int):
    assembly = load_assembly(estate, assembly_id)
    if not PageForm().validate_on_submit():
        abort(400)
    raw = request.form.get("roll", "")
    roll = db.session.get(Roll, int(raw)) if raw.isdigit() and len(raw) < 10 else None
    if roll is None or roll.estate_id != estate.id:
        flash(_("Choose one of this estate's rolls."), "error")
    else:
        run_operation(lambda: set_roll(assembly, roll, actor=current_user), _("This assembly now votes on roll no. %(seq)d.", seq=roll.seq))
    return redirect(url_for("assemblies.detail", slug=estate.slug, assembly_id=assembly.id))


def rolls_to_choose(assembly) -> dict:
    """For the assembly's page: the estate's rolls, newest first, for its supervisors to choose."""
    rolls = db.session.scalars(select(Roll).where(Roll.estate_id == assembly.estate_id).order_by(Roll.seq.desc()))
    return {"rolls": list(rolls)}


# ---------------------------------------------------------------- roll supplements


def _supplement(estate: Estate, supplement_id: int) -> RollSupplement:
    supplement = db.session.get(RollSupplement, supplement_id)
    if supplement is None or db.session.get(Roll, supplement.roll_id).estate_id != estate.id:
        abort(404)
    return supplement


@bp.get("/e/<slug>/roll/supplements")
@estate_view(Role.supervisor, Role.organiser)
def supplements(estate: Estate):
    """Keys made after a roll froze, waiting for the supervisors to add them to it."""
    pending = pending_supplements(estate)
    units: dict[str, str] = {}
    for supplement in pending:
        units.update(_units_by_member(db.session.get(Roll, supplement.roll_id), [supplement.member]))
    keys = list(db.session.scalars(select(DeviceKey).where(DeviceKey.staff_user_id == current_user.id, DeviceKey.state == "active")))
    return render_template(
        "rolls/supplements.html",
        estate=estate,
        pending=pending,
        units=units,
        assemblies={s.assembly_id: db.session.get(Assembly, s.assembly_id) for s in pending},
        rolls={s.roll_id: db.session.get(Roll, s.roll_id) for s in pending},
        keys=keys,
        role=current_user.role_in(estate.id),
    )


@bp.get("/e/<slug>/roll/supplements/<int:supplement_id>.json")
@estate_view(Role.supervisor, admin=False)
def supplement_json(estate: Estate, supplement_id: int):
    """What the supervisor's browser checks against the roll before it builds the payload itself."""
    supplement = _supplement(estate, supplement_id)
    payload = supplement.payload
    return jsonify(
        {
            "assembly": payload["assembly"],
            "seq": payload["seq"],
            "member": payload["member"],
            "add": payload["add"],
            "revoke": payload["revoke"],
            "made_at": payload["made_at"],
            "earlier": [s.payload for s in certified_supplements(supplement.assembly_id)],
        }
    )


@bp.post("/e/<slug>/roll/supplements/<int:supplement_id>/signatures")
@estate_view(Role.supervisor, admin=False)
@limiter.limit("20/minute")
def supplement_sign(estate: Estate, supplement_id: int):
    supplement = _supplement(estate, supplement_id)
    data = request.get_json(silent=True) or {}
    if not isinstance(data.get("kid"), str) or not isinstance(data.get("sig"), str):
        abort(400)
    try:
        add_supplement_signature(supplement, estate, actor=current_user, kid=data["kid"], sig=data["sig"])
    except RollError as exc:
        db.session.rollback()
        return json_error(exc)
    db.session.commit()
    return jsonify({"next": url_for("rolls.supplements", slug=estate.slug), "state": supplement.state})
