"""Organisers draft assemblies and publish notices; everyone reads the notice."""

from __future__ import annotations

from datetime import UTC

from flask import Blueprint, Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from webapp.assemblies import hooks, lifecycle
from webapp.assemblies import operations as ops
from webapp.assemblies.api import assembly_document
from webapp.assemblies.files import files_by_sha
from webapp.assemblies.forms import AssemblyForm, BidderForm, ItemForm, PlanForm, PoolBidderForm, category_choices
from webapp.assemblies.kinds import KINDS, kind_of
from webapp.assemblies.loaders import load_assembly, load_item, public_assembly, public_estate
from webapp.assemblies.models import AgendaItem, Assembly, Bidder, PlanOption
from webapp.assemblies.notify import notify_call_for_candidates, notify_owners
from webapp.assemblies.pdf import render_notice
from webapp.assemblies.presentation import (
    category_name,
    convener,
    estate_assemblies,
    public_assemblies,
    rules_text,
    threshold_line,
    verified,
)
from webapp.assemblies.states import state_label
from webapp.attachments.access import may_read
from webapp.attachments.labels import file_label
from webapp.attachments.models import Attachment
from webapp.attachments.storage import AttachmentError, StoreUnavailable, read
from webapp.core.db import db
from webapp.core.errors import forbid
from webapp.core.forms import PageForm
from webapp.core.i18n import is_chinese, pick
from webapp.core.roles import Role
from webapp.core.timefmt import zone
from webapp.core.views import local_target, run_operation
from webapp.estates.access import estate_view
from webapp.estates.models import Estate
from webapp.estates.thresholds import ARTICLE_278_EN, ARTICLE_278_ZH, CATEGORIES, thresholds_for
from webapp.firms.models import Firm
from webapp.pool.operations import pool_firms

bp = Blueprint("assemblies", __name__)


@bp.app_context_processor
def _helpers():
    from datetime import datetime

    return {
        "rules_text": rules_text,
        "threshold_line": threshold_line,
        "category_name": category_name,
        "state_label": lambda state: state_label(state, is_chinese()),
        "from_ms": lambda ms: datetime.fromtimestamp(ms / 1000, UTC),
        "item_kind": kind_of,
        "file_label": file_label,
    }


def _assemblies_now(estate: Estate) -> list[Assembly]:
    """The estate's assemblies with every transition that is due made first (one commit)."""
    if lifecycle.advance_estate(estate):
        db.session.commit()
    return estate_assemblies(estate)


def _is_organiser(estate: Estate) -> bool:
    return current_user.role_in(estate.id) is Role.organiser


def _organisers_only(estate: Estate) -> None:
    """Supervisors and platform admins read these pages; a change from them is refused, saying why."""
    if not _is_organiser(estate):
        forbid(*ops.ORGANISERS_ONLY)


@bp.route("/e/<slug>/assemblies", methods=["GET", "POST"])
@estate_view(Role.organiser, Role.supervisor)
def index(estate: Estate):
    form = AssemblyForm(prefix="a")
    if request.method == "GET":
        form.publication_days.data = estate.results_publication_days
    if request.method == "POST":
        _organisers_only(estate)
    refusals: list[str] = []
    if form.submit_ok():
        # A refusal is said at the form, far below the list, where the page then opens (not in the
        # banner at the top, which a phone shows a thousand pixels away from it).
        done, assembly = run_operation(
            lambda: ops.create_assembly(estate, form.fields(estate), actor=current_user),
            _("Assembly created. Now add its agenda items."),
            refused=refusals.append,
        )
        if done:
            return redirect(url_for("assemblies.detail", slug=estate.slug, assembly_id=assembly.id))
    return render_template(
        "assemblies/index.html",
        estate=estate,
        assemblies=_assemblies_now(estate),
        form=form,
        organiser=_is_organiser(estate),
        refusal=refusals[0] if refusals else None,
    )


@bp.route("/e/<slug>/assemblies/<int:assembly_id>", methods=["GET", "POST"])
@estate_view(Role.organiser, Role.supervisor)
def detail(estate: Estate, assembly_id: int):
    assembly = load_assembly(estate, assembly_id)
    form = AssemblyForm(prefix="a", obj=None)
    item_form = ItemForm(prefix="i")
    item_form.category.choices = category_choices(is_chinese())
    if request.method == "POST":
        _organisers_only(estate)
    if request.method == "GET":
        tz = zone(estate)
        form.title.data, form.kind.data, form.description.data = assembly.title, assembly.kind, assembly.description
        form.opens_at.data = assembly.opens_at.astimezone(tz).replace(tzinfo=None)
        form.closes_at.data = assembly.closes_at.astimezone(tz).replace(tzinfo=None)
        if assembly.nomination_deadline:
            form.nomination_deadline.data = assembly.nomination_deadline.astimezone(tz).replace(tzinfo=None)
        form.replace_allowed.data, form.publication_days.data = assembly.replace_allowed, assembly.publication_days
    elif form.submit_ok():
        run_operation(
            lambda: ops.update_assembly(
                assembly,
                form.fields(estate),
                actor=current_user,
            ),
            _("Saved."),
        )
        return redirect(url_for("assemblies.detail", slug=estate.slug, assembly_id=assembly.id))
    elif item_form.submit_ok():
        done, item = run_operation(
            lambda: ops.add_item(
                assembly,
                item_form.form.data,
                item_form.fields(),
                actor=current_user,
            ),
            _("Item added."),
        )
        if done:
            return redirect(url_for("assemblies.item", slug=estate.slug, assembly_id=assembly.id, item_id=item.id))
    else:
        for f in (form, item_form):
            for field_errors in f.errors.values():
                for error in field_errors:
                    flash(str(error), "error")
    from datetime import datetime

    now = datetime.now(UTC)
    problems = lifecycle.notice_problems(assembly, now) if assembly.state in ("draft", "notice") else []
    unchanged = lifecycle.UNCHANGED in problems
    problems = [p for p in problems if p != lifecycle.UNCHANGED]
    return render_template(
        "assemblies/detail.html",
        estate=estate,
        assembly=assembly,
        form=form,
        item_form=item_form,
        problems=problems,
        unchanged=unchanged,
        organiser=_is_organiser(estate),
        supervisor=current_user.role_in(estate.id) is Role.supervisor,
        **hooks.detail_context(assembly),
        blockers=lifecycle.opening_blockers(assembly) if assembly.state == "notice" else [],
        action=PageForm(),
        categories=CATEGORIES,
        seat_kinds=[kind.name for kind in KINDS.values() if kind.has_seats],
        article_zh=ARTICLE_278_ZH,
        article_en=ARTICLE_278_EN,
    )


@bp.post("/e/<slug>/assemblies/<int:assembly_id>/publish")
@estate_view(Role.organiser, admin=False)
def publish(estate: Estate, assembly_id: int):

    assembly = load_assembly(estate, assembly_id)
    if not PageForm().validate_on_submit():
        abort(400)
    done, notice = run_operation(lambda: lifecycle.publish_notice(assembly, actor=current_user))
    if done:
        flash(_("Notice version %(n)d published. Owners can read it now.", n=notice.version), "success")

        notify_owners(assembly, notice)
    return redirect(url_for("assemblies.detail", slug=estate.slug, assembly_id=assembly.id))


@bp.post("/e/<slug>/assemblies/<int:assembly_id>/nominations")
@estate_view(Role.organiser, admin=False)
def open_nominations(estate: Estate, assembly_id: int):
    """The organisers' call for candidates: owners see the elections from now, and nominate."""
    assembly = load_assembly(estate, assembly_id)
    if not PageForm().validate_on_submit():
        abort(400)

    def call() -> None:
        ops.open_nominations(assembly, actor=current_user)
        notify_call_for_candidates(assembly)

    run_operation(call, _("Candidates called for: owners see the elections on their page and can nominate now."))
    return redirect(url_for("assemblies.detail", slug=estate.slug, assembly_id=assembly.id))


@bp.route("/e/<slug>/assemblies/<int:assembly_id>/items/<int:item_id>", methods=["GET", "POST"])
@estate_view(Role.organiser, Role.supervisor)
def item(estate: Estate, assembly_id: int, item_id: int):
    assembly = load_assembly(estate, assembly_id)
    agenda_item = load_item(assembly, item_id)
    form = ItemForm(prefix="i")
    form.category.choices = category_choices(is_chinese())
    bidder_form = BidderForm(prefix="b")
    pool_form = PoolBidderForm(prefix="pb")
    pool = pool_firms() if agenda_item.form == "selection" else []
    pool_form.firm.choices = [(f.id, f"{f.name}（{f.uscc}）") for f in pool]
    plan_form = PlanForm(prefix="p")
    if request.method == "POST":
        _organisers_only(estate)
    if request.method == "GET":
        form.form.data, form.category.data, form.title.data = agenda_item.form, str(agenda_item.category), agenda_item.title
        form.text.data, form.seats.data, form.by_election.data = agenda_item.text, agenda_item.seats, agenda_item.by_election
    elif form.submit_ok():
        run_operation(
            lambda: ops.update_item(
                agenda_item,
                form.fields(),
                actor=current_user,
            ),
            _("Saved."),
        )
        return redirect(request.path)
    elif bidder_form.submit_ok():
        run_operation(
            lambda: ops.add_bidder(
                agenda_item,
                actor=current_user,
                name=bidder_form.name.data,
                uscc=bidder_form.uscc.data,
                fee=bidder_form.fee.data,
                plan=bidder_form.plan.data,
            ),
            _("Bidder added."),
        )
        return redirect(request.path)
    elif pool_form.submit_ok():
        firm = (db.session.get(Firm, pool_form.firm.data) if pool_form.firm.data else None) or abort(404)
        run_operation(
            lambda: ops.add_pool_bidder(agenda_item, firm, actor=current_user, fee=pool_form.fee.data, plan=pool_form.plan.data),
            _("Bidder added from the district's pool."),
        )
        return redirect(request.path)
    elif plan_form.submit_ok():
        upload = request.files.get("p-file")
        attached = (upload.read(), upload.filename) if upload is not None and upload.filename else None
        run_operation(
            lambda: ops.add_plan(agenda_item, actor=current_user, name=plan_form.name.data, text=plan_form.text.data, file=attached),
            _("Plan added."),
        )
        return redirect(request.path)
    elif "upload" in request.form:
        _upload(assembly, agenda_item)
        return redirect(request.path)
    else:
        for f in (form, bidder_form, pool_form, plan_form):
            for field_errors in f.errors.values():
                for error in field_errors:
                    flash(str(error), "error")

    files = {
        ("item", agenda_item.id): list(
            db.session.scalars(select(Attachment).where(Attachment.kind == "item", Attachment.owner_id == agenda_item.id))
        ),
    }
    for bidder in agenda_item.bidders:
        files[("bidder", bidder.id)] = list(
            db.session.scalars(select(Attachment).where(Attachment.kind == "bidder", Attachment.owner_id == bidder.id))
        )
    return render_template(
        "assemblies/item.html",
        estate=estate,
        assembly=assembly,
        item=agenda_item,
        form=form,
        bidder_form=bidder_form,
        pool_form=pool_form,
        pool=pool,
        plan_form=plan_form,
        organiser=_is_organiser(estate),
        files=files,
        action=PageForm(),
        thresholds=thresholds_for(agenda_item.category, (assembly.rules_snapshot or {}).get("thresholds") or estate.thresholds),
    )


def _upload(assembly: Assembly, agenda_item: AgendaItem) -> None:
    if not PageForm().validate_on_submit():
        abort(400)
    upload = request.files.get("file")
    owner_kind, owner_id = "item", agenda_item.id
    bidder_id = request.form.get("bidder", "")
    if bidder_id:
        bidder = db.session.get(Bidder, int(bidder_id)) if bidder_id.isdigit() and len(bidder_id) < 10 else None
        if bidder is None or bidder.item_id != agenda_item.id:
            abort(404)
        owner_kind, owner_id = "bidder", bidder.id
    if upload is None or not upload.filename:
        flash(_("Choose a file to attach."), "error")
        return
    ops.require_organiser(current_user, assembly.estate_id)
    run_operation(
        lambda: (
            ops.require_editable(assembly),
            ops.attach(assembly, actor=current_user, kind=owner_kind, owner_id=owner_id, data=upload.read(), filename=upload.filename),
        )[1],
        _("File attached."),
    )


@bp.post("/e/<slug>/assemblies/<int:assembly_id>/items/<int:item_id>/remove")
@estate_view(Role.organiser, admin=False)
def remove_item(estate: Estate, assembly_id: int, item_id: int):
    assembly = load_assembly(estate, assembly_id)
    agenda_item = load_item(assembly, item_id)
    if not PageForm().validate_on_submit():
        abort(400)
    run_operation(lambda: ops.remove_item(agenda_item, actor=current_user), _("Item removed."))
    return redirect(url_for("assemblies.detail", slug=estate.slug, assembly_id=assembly.id))


@bp.post("/e/<slug>/assemblies/<int:assembly_id>/items/<int:item_id>/bidders/<int:bidder_id>/remove")
@estate_view(Role.organiser, admin=False)
def remove_bidder(estate: Estate, assembly_id: int, item_id: int, bidder_id: int):
    assembly = load_assembly(estate, assembly_id)
    agenda_item = load_item(assembly, item_id)
    bidder = db.session.get(Bidder, bidder_id)
    if bidder is None or bidder.item_id != agenda_item.id or not PageForm().validate_on_submit():
        abort(404)
    run_operation(lambda: ops.remove_bidder(bidder, agenda_item, actor=current_user), _("Bidder removed."))
    return redirect(url_for("assemblies.item", slug=estate.slug, assembly_id=assembly.id, item_id=agenda_item.id))


@bp.post("/e/<slug>/assemblies/<int:assembly_id>/items/<int:item_id>/plans/<int:plan_id>/remove")
@estate_view(Role.organiser, admin=False)
def remove_plan(estate: Estate, assembly_id: int, item_id: int, plan_id: int):
    assembly = load_assembly(estate, assembly_id)
    agenda_item = load_item(assembly, item_id)
    plan = db.session.get(PlanOption, plan_id)
    if plan is None or plan.item_id != agenda_item.id or not PageForm().validate_on_submit():
        abort(404)
    run_operation(lambda: ops.remove_plan(plan, agenda_item, actor=current_user), _("Plan removed."))
    return redirect(url_for("assemblies.item", slug=estate.slug, assembly_id=assembly.id, item_id=agenda_item.id))


@bp.post("/e/<slug>/assemblies/<int:assembly_id>/files/<int:file_id>/remove")
@estate_view(Role.organiser, admin=False)
def remove_file(estate: Estate, assembly_id: int, file_id: int):

    assembly = load_assembly(estate, assembly_id)
    attachment = db.session.get(Attachment, file_id)
    if attachment is None or attachment.assembly_id != assembly.id or not PageForm().validate_on_submit():
        abort(404)
    run_operation(lambda: ops.detach(attachment, assembly, actor=current_user), _("File removed."))
    return redirect(local_target(request.form.get("next"), url_for("assemblies.detail", slug=estate.slug, assembly_id=assembly.id)))


# ---------------------------------------------------------------- public


@bp.get("/p/<slug>/assemblies")
def public_list(slug: str):
    estate = public_estate(slug)
    _assemblies_now(estate)
    return render_template("assemblies/public_list.html", estate=estate, assemblies=public_assemblies(estate))


@bp.get("/p/<slug>/a/<int:assembly_id>")
def notice(slug: str, assembly_id: int):
    estate, assembly = public_assembly(slug, assembly_id)
    versions = [verified(v) for v in assembly.notices]
    wanted = request.args.get("v", "")
    shown = next((v for v in versions if str(v.version.version) == wanted), versions[-1])
    return render_template(
        "assemblies/notice.html",
        estate=estate,
        assembly=assembly,
        shown=shown,
        versions=versions,
        latest=versions[-1],
        files=files_by_sha(assembly),
        article_zh=ARTICLE_278_ZH,
        article_en=ARTICLE_278_EN,
    )


@bp.get("/p/<slug>/a/<int:assembly_id>/notice.json")
def notice_json(slug: str, assembly_id: int):
    estate, assembly = public_assembly(slug, assembly_id)
    wanted = request.args.get("v", "")
    version = next((v for v in assembly.notices if str(v.version) == wanted), assembly.current_notice)
    response = jsonify(version.document)
    response.headers["Content-Disposition"] = f'inline; filename="notice-{estate.slug}-{assembly.id}-v{version.version}.json"'
    return response


@bp.get("/p/<slug>/a/<int:assembly_id>/notice.pdf")
def notice_pdf(slug: str, assembly_id: int):

    estate, assembly = public_assembly(slug, assembly_id)
    shown = verified(assembly.current_notice)
    if not shown.intact:
        abort(409)
    page_url = url_for("assemblies.notice", slug=estate.slug, assembly_id=assembly.id, _external=True)
    pdf = render_notice(shown.document, estate=estate, page_url=page_url, sha256=shown.version.sha256, convener=convener(assembly))
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="notice-{estate.slug}-{assembly.id}-v{shown.version.version}.pdf"'
    return response


@bp.get("/files/<int:file_id>")
def download(file_id: int):

    attachment = db.session.get(Attachment, file_id)
    if attachment is None or not may_read(attachment):
        abort(404)
    try:
        data = read(attachment.sha256)
    except StoreUnavailable as exc:  # this server cannot see the store: not "missing"
        flash(pick(exc), "error")
        abort(503)
    except (OSError, AttachmentError) as exc:
        flash(pick(exc) if isinstance(exc, AttachmentError) else _("The file is missing from the store."), "error")
        abort(410)
    from urllib.parse import quote

    response = Response(data, mimetype=attachment.content_type)
    # Images show in the page; a PDF opens in the phone's own viewer when asked to (``?view=1``,
    # the ballot's "read the attachment"), and is saved as a file otherwise.
    viewable = attachment.content_type.startswith("image/") or (
        attachment.content_type == "application/pdf" and request.args.get("view") == "1"
    )
    disposition = "inline" if viewable else "attachment"
    ascii_name = "".join(c if c.isascii() and c.isalnum() or c in ".-_" else "_" for c in attachment.filename)
    response.headers["Content-Disposition"] = f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(attachment.filename)}"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["X-Content-SHA256"] = attachment.sha256
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


# ---------------------------------------------------------------- public read API


@bp.get("/api/v1/e/<slug>/assemblies")
def api_list(slug: str):
    estate = public_estate(slug)
    _assemblies_now(estate)
    return jsonify(
        {
            "estate": {"slug": estate.slug, "name": estate.name},
            "assemblies": [
                {
                    "id": a.id,
                    "title": a.title,
                    "state": a.state,
                    "opens": a.opens_at.isoformat(),
                    "closes": a.closes_at.isoformat(),
                    "url": url_for("assemblies.api_one", slug=estate.slug, assembly_id=a.id, _external=True),
                }
                for a in public_assemblies(estate)
            ],
        }
    )


@bp.get("/api/v1/e/<slug>/assemblies/<int:assembly_id>")
def api_one(slug: str, assembly_id: int):

    estate, assembly = public_assembly(slug, assembly_id)
    return jsonify(assembly_document(estate, assembly, files_by_sha(assembly)))
