"""Open accounts: the organisers publish (fees, complaint channels, statements), staff read them
and attach a statement to an agenda item; everyone reads them on the estate's public pages, from
the signed bytes after checking them, and downloads each version as its signed JSON."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from crypto import disclosure as fmt
from webapp.assemblies.loaders import public_estate
from webapp.bodies.operations import organiser_name
from webapp.core import db as database
from webapp.core.db import db
from webapp.core.extensions import limiter
from webapp.core.roles import Role
from webapp.core.serverkey import signing_key
from webapp.core.views import flash_form_errors, run_operation
from webapp.disclosures import operations as ops
from webapp.disclosures.forms import AttachForm, DisclosureForm
from webapp.disclosures.models import Disclosure
from webapp.estates.access import estate_view, in_estate
from webapp.estates.models import Estate
from webapp.estates.operations import get_estate
from webapp.firms.access import firm_required
from webapp.firms.operations import serving

bp = Blueprint("disclosures", __name__)


def _is_organiser(estate: Estate) -> bool:
    return current_user.role_in(estate.id) is Role.organiser


def _rows(estate: Estate) -> list[tuple[Disclosure, ops.Verified]]:
    return [(d, ops.verified(d.latest)) for d in ops.estate_disclosures(estate) if d.latest is not None]


@bp.get("/e/<slug>/accounts")
@estate_view(Role.organiser, Role.supervisor)
def manage(estate: Estate):
    return render_template(
        "disclosures/manage.html", estate=estate, rows=_rows(estate), organiser=_is_organiser(estate), kinds=ops.KIND_WORDS
    )


def _prefill(form: DisclosureForm, document: dict) -> None:
    def text_of(lines: list[dict]) -> str:
        out = []
        for line in lines:
            parts = [line["name"]]
            if "fen" in line:
                parts.append(fmt.yuan(line["fen"]).replace(",", ""))
            if line.get("note"):
                parts.append(line["note"])
            out.append(" ".join(parts))
        return "\n".join(out)

    form.title.data = document["title"]
    form.text.data = document["text"] or ""
    form.lines.data = text_of(document["lines"])
    if document["accounts"]:
        form.income.data = text_of(document["accounts"]["income"])
        form.expense.data = text_of(document["accounts"]["expense"])
        form.total_income.data = fmt.yuan(document["accounts"]["totals"]["income"]).replace(",", "")
        form.total_expense.data = fmt.yuan(document["accounts"]["totals"]["expense"]).replace(",", "")
    if document["period"]:
        form.period_from.data = date.fromisoformat(document["period"]["from"])
        form.period_until.data = date.fromisoformat(document["period"]["until"])


def _publish_page(estate: Estate, kind: str, done_url, *, publisher_name: str, firm_page: bool = False):
    """The publishing form for the estate's organisers and for the firm serving it: the same
    form, the same operation (which decides who may publish, and in whose name)."""
    if kind not in fmt.KINDS:
        abort(404)
    form = DisclosureForm()
    if request.method == "GET":
        form.kind.data = kind
        source = request.args.get("from", "")
        if source.isdigit() and len(source) < 10:
            disclosure = in_estate(Disclosure, int(source), estate)
            shown = ops.verified(disclosure.latest)
            if shown.intact and shown.document["kind"] == kind:
                _prefill(form, shown.document)
    elif form.validate_on_submit():
        entry = ops.Entry(
            kind=form.kind.data or "",
            title=form.title.data or "",
            period_from=form.period_from.data,
            period_until=form.period_until.data,
            text=form.text.data or "",
            lines=form.lines.data or "",
            income=form.income.data or "",
            expense=form.expense.data or "",
            total_income=form.total_income.data or "",
            total_expense=form.total_expense.data or "",
        )

        def run():
            now = database.db_now()
            return ops.publish(estate, entry, actor=current_user, signer=signing_key(now), now=now)

        done, version = run_operation(run, _("Published and signed. Owners can read it now."))
        if done:
            return redirect(done_url(version))
    else:
        flash_form_errors(form)
    return render_template(
        "disclosures/publish.html",
        estate=estate,
        form=form,
        kind=kind,
        words=ops.KIND_WORDS[kind],
        publisher_name=publisher_name,
        firm_page=firm_page,
    )


@bp.route("/e/<slug>/accounts/new/<kind>", methods=["GET", "POST"])
@estate_view(Role.organiser, admin=False)
def publish(estate: Estate, kind: str):
    return _publish_page(
        estate,
        kind,
        lambda v: url_for("disclosures.staff_view", slug=estate.slug, disclosure_id=v.disclosure_id),
        publisher_name=organiser_name(estate),
    )


@bp.route("/firm/accounts/<slug>/new/<kind>", methods=["GET", "POST"])
@firm_required
def firm_publish(slug: str, kind: str):
    """The firm serving the estate publishes in its own name (三公开); another firm gets 404."""
    estate = get_estate(slug)
    service = serving(estate) if estate is not None else None
    if service is None or service.firm_id != current_user.firm_id:
        abort(404)
    return _publish_page(
        estate,
        kind,
        lambda v: url_for("disclosures.public_view", slug=estate.slug, disclosure_id=v.disclosure_id),
        publisher_name=service.firm.name,
        firm_page=True,
    )


@bp.route("/e/<slug>/accounts/<int:disclosure_id>", methods=["GET", "POST"])
@estate_view(Role.organiser, Role.supervisor)
def staff_view(estate: Estate, disclosure_id: int):
    disclosure = in_estate(Disclosure, disclosure_id, estate)
    organiser = _is_organiser(estate)
    items = ops.open_items(estate) if organiser else []
    form = AttachForm()
    form.item.choices = [(i.id, f"{i.assembly.title} · {i.title}") for i in items]
    if request.method == "POST":
        if not organiser:
            abort(403)
        if form.validate_on_submit():
            item = next((i for i in items if i.id == form.item.data), None)
            if item is None:
                abort(404)
            done, _attachment = run_operation(
                lambda: ops.attach_to_item(disclosure.latest, item, actor=current_user),
                _("Attached. The item's notice lists it by name and SHA-256 from its next version."),
            )
            return redirect(request.path)
        flash_form_errors(form)
    return render_template(
        "disclosures/staff_view.html",
        estate=estate,
        disclosure=disclosure,
        shown=ops.verified(disclosure.latest),
        versions=disclosure.versions,
        organiser=organiser,
        form=form,
        items=items,
    )


# ---------------------------------------------------------------- public


@bp.get("/p/<slug>/accounts")
def public_list(slug: str):
    estate = public_estate(slug)
    return render_template("disclosures/public_list.html", estate=estate, rows=_rows(estate), kinds=ops.KIND_WORDS)


def _public(slug: str, disclosure_id: int) -> tuple[Estate, Disclosure]:
    estate = public_estate(slug)
    disclosure = db.session.get(Disclosure, disclosure_id)
    if disclosure is None or disclosure.estate_id != estate.id or disclosure.latest is None:
        abort(404)
    return estate, disclosure


@bp.get("/p/<slug>/accounts/<int:disclosure_id>")
def public_view(slug: str, disclosure_id: int):
    estate, disclosure = _public(slug, disclosure_id)
    version = ops.version_of(disclosure, request.args.get("v"))
    if version is None:
        abort(404)
    return render_template(
        "disclosures/public_view.html",
        estate=estate,
        disclosure=disclosure,
        shown=ops.verified(version),
        versions=disclosure.versions,
        kinds=ops.KIND_WORDS,
    )


@bp.get("/p/<slug>/accounts/<int:disclosure_id>/v<int:number>.json")
@limiter.limit("60/minute")
def document(slug: str, disclosure_id: int, number: int):
    estate, disclosure = _public(slug, disclosure_id)
    version = ops.version_of(disclosure, number)
    if version is None:
        abort(404)
    response = current_app.response_class(version.document, mimetype="application/json")
    response.headers.set("Content-Disposition", "attachment", filename=f"accounts-{estate.slug}-{disclosure.id}-v{version.version}.json")
    response.headers["X-Content-SHA256"] = version.sha256
    return response
