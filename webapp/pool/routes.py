"""The district's pool of firms (优势资源库): the public list, the platform admins' pages (a
firm's contacts, its terms in the pool, its interests in estates without a firm), and an estate's
organisers' page for choosing among the pool's firms (two-way matching)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from webapp.core.db import db
from webapp.core.forms import PageForm
from webapp.core.roles import Role, admin_required
from webapp.core.views import flash_form_errors, run_operation
from webapp.estates.access import estate_view
from webapp.estates.models import Estate
from webapp.firms.models import Firm
from webapp.firms.operations import serving
from webapp.pool import hooks
from webapp.pool import operations as ops
from webapp.pool.forms import FirmInterestForm, ProfileForm, TermForm
from webapp.pool.models import PoolTerm

bp = Blueprint("pool", __name__)


def today():
    """Today in the district's zone (a day entered or left is a day there)."""
    zone = current_app.config.get("OWNERSVOTE_DISTRICT_TIMEZONE") or "Asia/Shanghai"
    return datetime.now(ZoneInfo(zone)).date()


def _firm(firm_id: int) -> Firm:
    return db.session.get(Firm, firm_id) or abort(404)


def _open_terms() -> dict[int, PoolTerm]:
    return {t.firm_id: t for t in db.session.scalars(select(PoolTerm).where(PoolTerm.left_on.is_(None)))}


# --- public ------------------------------------------------------------------------------------------


@bp.get("/pool")
def public():
    """The pool's firms with their contacts, the estates each serves and its latest ranking."""
    firms = ops.pool_firms()
    return render_template(
        "pool/public.html",
        firms=firms,
        terms=_open_terms(),
        served=ops.served_now(firms),
        standings=hooks.standings(firms),
    )


# --- platform admins ---------------------------------------------------------------------------------


@bp.get("/admin/pool")
@admin_required
def admin():
    firms = list(db.session.scalars(select(Firm).order_by(Firm.name)))
    return render_template(
        "pool/admin.html",
        firms=firms,
        terms=_open_terms(),
        without=ops.estates_without_firm(),
        pairings=ops.pairings(),
    )


@bp.route("/admin/pool/firms/<int:firm_id>", methods=["GET", "POST"])
@admin_required
def firm(firm_id: int):
    found = _firm(firm_id)
    profile = ProfileForm(prefix="pr")
    term = TermForm(prefix="t")
    interest = FirmInterestForm(prefix="fi")
    without = ops.estates_without_firm()
    interest.estate.choices = [(e.id, e.name) for e in without]
    if request.method == "GET":
        for name in ("contact_name", "contact_phone", "address", "qualifications", "notes"):
            getattr(profile, name).data = getattr(found, name)
    elif profile.submit_ok():
        fields = ops.Profile(
            contact_name=profile.contact_name.data,
            contact_phone=profile.contact_phone.data,
            address=profile.address.data,
            qualifications=profile.qualifications.data,
            notes=profile.notes.data,
        )
        run_operation(lambda: ops.update_profile(found, fields, actor=current_user), _("Saved."))
        return redirect(request.path)
    elif term.submit_ok():
        if ops.in_pool(found):
            run_operation(
                lambda: ops.leave_pool(found, on=term.on.data, reason=term.reason.data, today=today(), actor=current_user),
                _("The firm has left the pool."),
            )
        else:
            run_operation(
                lambda: ops.enter_pool(found, on=term.on.data, reason=term.reason.data, today=today(), actor=current_user),
                _("The firm is in the pool."),
            )
        return redirect(request.path)
    elif interest.submit_ok():
        estate = db.session.get(Estate, interest.estate.data) or abort(404)
        run_operation(lambda: ops.mark_firm_interest(found, estate, actor=current_user), _("The firm's interest is recorded."))
        return redirect(request.path)
    else:
        for form in (profile, term, interest):
            flash_form_errors(form)
    if request.method == "GET" and term.on.data is None:
        term.on.data = today()
    return render_template(
        "pool/firm.html",
        firm=found,
        profile=profile,
        term=term,
        interest=interest,
        current=ops.open_term(found),
        history=ops.history(found),
        without=without,
        pairings=ops.pairings(firm=found),
        action=PageForm(),
    )


@bp.post("/admin/pool/firms/<int:firm_id>/estates/<int:estate_id>/withdraw")
@admin_required
def withdraw_firm_interest(firm_id: int, estate_id: int):
    found = _firm(firm_id)
    estate = db.session.get(Estate, estate_id) or abort(404)
    recorded = ops.interest_of(estate, found, "firm") or abort(404)
    if not PageForm().validate_on_submit():
        abort(400)
    run_operation(lambda: ops.withdraw(recorded, actor=current_user), _("The firm's interest is withdrawn."))
    return redirect(url_for("pool.firm", firm_id=found.id))


# --- an estate's organisers ------------------------------------------------------------------------


@bp.get("/e/<slug>/pool")
@estate_view(Role.organiser)
def estate(estate: Estate):
    current = serving(estate)
    firms = ops.pool_firms() if current is None else []
    lines = {p.firm.id: p for p in ops.pairings(estate=estate)}
    return render_template(
        "pool/estate.html",
        estate=estate,
        current=current,
        firms=firms,
        lines=lines,
        served=ops.served_now(firms),
        standings=hooks.standings(firms),
        matches=[p for p in lines.values() if p.match],
        organiser=current_user.role_in(estate.id) is Role.organiser,
        action=PageForm(),
    )


@bp.post("/e/<slug>/pool/firms/<int:firm_id>/interest")
@estate_view(Role.organiser, admin=False)
def mark_interest(estate: Estate, firm_id: int):
    found = _firm(firm_id)
    if not PageForm().validate_on_submit():
        abort(400)
    run_operation(
        lambda: ops.mark_estate_interest(estate, found, actor=current_user),
        _("Your estate's interest in %(firm)s is recorded.", firm=found.name),
    )
    return redirect(url_for("pool.estate", slug=estate.slug))


@bp.post("/e/<slug>/pool/firms/<int:firm_id>/withdraw")
@estate_view(Role.organiser, admin=False)
def withdraw_interest(estate: Estate, firm_id: int):
    found = _firm(firm_id)
    recorded = ops.interest_of(estate, found, "estate") or abort(404)
    if not PageForm().validate_on_submit():
        abort(400)
    run_operation(lambda: ops.withdraw(recorded, actor=current_user), _("Your estate's interest is withdrawn."))
    return redirect(url_for("pool.estate", slug=estate.slug))
