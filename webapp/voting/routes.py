"""Voting pages: the owner's ballot, casting, receipts and their check, turnout, paper ballots."""

from __future__ import annotations

import functools
import json
import unicodedata
from datetime import UTC, datetime, timedelta

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from crypto.errors import CryptoError
from crypto.treehead import tracking_code
from webapp.assemblies import lifecycle
from webapp.assemblies.files import files_by_sha
from webapp.assemblies.kinds import kind_of
from webapp.assemblies.loaders import load_assembly, public_estate
from webapp.assemblies.models import Assembly
from webapp.assemblies.operations import attach
from webapp.assemblies.presentation import verified
from webapp.audit.operations import record
from webapp.core import metrics, sessions
from webapp.core.db import db
from webapp.core.errors_base import UserError
from webapp.core.extensions import csrf, limiter
from webapp.core.forms import PageForm
from webapp.core.i18n import pick
from webapp.core.roles import Role, is_owner, is_staff
from webapp.core.serverkey import key_set
from webapp.core.views import run_operation
from webapp.estates.access import estate_view
from webapp.estates.models import Estate
from webapp.jobs.context import runner_mode
from webapp.jobs.operations import start_job
from webapp.jobs.runner import submit
from webapp.owners.access import owner_required
from webapp.printing.qr import qr_svg_data_uri
from webapp.registry.labels import listed_labels
from webapp.rolls.operations import request_supplements
from webapp.voting import log as ballot_log
from webapp.voting import paper as paper_ops
from webapp.voting import publication
from webapp.voting.casting import BallotRefused, ballot_choices, cast_fast, cast_online, counted, entry_of, signed_by, voted_members
from webapp.voting.models import Ballot, BallotInspection, PaperEntry, PaperSheet
from webapp.voting.receipts import NOTHING_TO_CHECK, ReceiptCheck, ballot_by_code, check_receipt
from webapp.voting.turnout import member_by_unit, member_for_unit, not_voted_by_building, unit_on_roll, units_by_member, voted_units
from webapp.voting.turnout import turnout as compute_turnout
from webapp.voting.voters import household_ballot, voter_member

bp = Blueprint("voting", __name__)


@bp.app_context_processor
def _helpers():

    return {"tracking_code_of": lambda leaf_hex: tracking_code(bytes.fromhex(leaf_hex)), "my_household_ballot": _my_household_ballot}


def _my_household_ballot(assembly) -> Ballot | None:
    """The ballot that counts for the signed-in owner's household, for pages below this package
    (the notice offers its receipt instead of "Vote now"); None for anyone else."""
    return household_ballot(assembly, current_user) if is_owner() else None


def qr_data_uri(text: str) -> str:
    return qr_svg_data_uri(text)


# ---------------------------------------------------------------- the owner's ballot


def _my_assembly(assembly_id: int) -> Assembly:
    assembly = db.session.get(Assembly, assembly_id)
    if assembly is None or assembly.estate_id != current_user.estate_id or assembly.current_notice is None:
        abort(404)
    if lifecycle.advance(assembly):
        db.session.commit()
    return assembly


@bp.get("/me/a/<int:assembly_id>/ballot")
@owner_required
def ballot(assembly_id: int):
    assembly = _my_assembly(assembly_id)
    member, role, why = voter_member(assembly, current_user)
    if member is not None and role == "owner":
        # A key made after the roll froze waits for a roll supplement (asked for here if the
        # owner's page has not yet): a ballot it signed would be refused, so none is offered.
        waiting = request_supplements(current_user)
        if waiting:
            db.session.commit()
        if any(s.assembly_id == assembly.id for s in waiting):
            member, why = None, "key-pending"
    mine = list(db.session.scalars(select(Ballot).where(Ballot.assembly_id == assembly.id, Ballot.member == member))) if member else []
    notice = verified(assembly.current_notice)
    return render_template(
        "voting/ballot.html",
        assembly=assembly,
        estate=assembly.estate,
        member=member,
        role=role,
        why=why,
        notice=notice,
        mine=mine,
        roll_root=assembly.roll.root if assembly.roll else "",
        files=files_by_sha(assembly),
    )


@functools.lru_cache(maxsize=1024)
def _receipt_prefix(script_root: str, slug: str, assembly_id: int) -> str:
    """The address of a receipt on this assembly, less its code (tracking codes need no quoting):
    building it with url_for for every ballot cost a fortieth of the fast path (bench/cast.py)."""
    return url_for("voting.receipt", slug=slug, assembly_id=assembly_id, code="-")[:-1]


@bp.post("/api/v1/a/<int:assembly_id>/ballots")
@csrf.exempt  # the body is a ballot signed by the voter's own key: no ambient authority to forge
@sessions.optional  # nor does it need the session store: Redis down, ballots are still cast
@limiter.direct(lambda: current_app.config.get("OWNERSVOTE_CAST_LIMIT", "120/minute"))
def cast(assembly_id: int):
    if is_staff():
        # Staff accounts hold no place on a roll; a supervisor or admin who is also an owner votes
        # from their own phone as that owner, never through the staff session.
        return jsonify(
            {
                "error": "工作人员账号不能投票：如果您也是业主，请退出工作人员账号，用登记时的手机以业主身份投票",
                "error_en": "staff accounts cannot cast ballots: if you are also an owner, sign out and vote on your registered phone as that owner",
            }
        ), 403
    too_large = request.content_length and request.content_length > 128 * 1024
    if not too_large:
        # The common case first, with the fewest round trips (see casting.cast_fast); anything
        # else, including every refusal and its reason, takes the full path below.
        fast = cast_fast(assembly_id, request.get_json(silent=True))
        if fast is not None:
            metrics.BALLOTS.labels("accepted", "").inc()
            return jsonify(
                {
                    "promise": fast.promise,
                    "code": fast.code,
                    "repeated": False,
                    "next": _receipt_prefix(request.script_root, fast.slug, assembly_id) + fast.code,
                }
            ), 201
        db.session.rollback()
    assembly = db.session.get(Assembly, assembly_id)
    if assembly is None:
        return jsonify({"error": "没有这次会议", "error_en": "no such assembly"}), 404
    if lifecycle.advance(assembly):
        db.session.commit()
    if too_large:
        return jsonify({"error": "提交的内容过大", "error_en": "the submission is too large"}), 413
    payload = request.get_json(silent=True)
    try:
        done = cast_online(assembly, payload)
    except BallotRefused as exc:
        db.session.rollback()
        metrics.BALLOTS.labels("refused", exc.reason).inc()
        # ``reason``: a fixed word the phone's script acts on ("closed": no ballot can be sent any more).
        return jsonify({"error": pick(exc), "error_en": exc.en, "reason": exc.reason}), exc.status
    metrics.BALLOTS.labels("repeated" if done.repeated else "accepted", "").inc()
    answer = {
        "promise": done.promise,
        "code": done.code,
        "repeated": done.repeated,
        "next": url_for("voting.receipt", slug=assembly.estate.slug, assembly_id=assembly.id, code=done.code),
    }
    if done.ballot.leaf_index is not None:  # a repeat of a ballot already in the log: its receipt too
        answer["receipt"] = ballot_log.receipt(done.ballot)
    return jsonify(answer), 200 if done.repeated else 201


# ---------------------------------------------------------------- receipts


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _jwk_at(kid: object, at: object) -> dict | None:
    """The public key of the installation's key set that ``kid`` names, if it was valid at ``at``
    (ms: the signed object's own time); None otherwise, and the page's check then fails."""
    try:
        return key_set().jwk_at(kid, at)
    except CryptoError:
        return None


@bp.get("/p/<slug>/a/<int:assembly_id>/receipt/<code>")
def receipt(slug: str, assembly_id: int, code: str):
    estate = public_estate(slug)
    assembly = load_assembly(estate, assembly_id)
    found = ballot_by_code(assembly, code)
    if found is None or (found.leaf_index is None and found.promise is None):
        # A receipt's address typed by hand, one character wrong: the check says what to do.
        return redirect(url_for("voting.check", slug=estate.slug, assembly_id=assembly.id, code=code))
    # Accepted, not yet in the log: the promise now, the proof once the sequencer's batch is in
    # (the page asks for it and checks both in the browser).
    doc = ballot_log.receipt(found) if found.leaf_index is not None else None
    signer = "proxy" if found.signer == "proxy" else ("paper" if found.channel == "paper" else "owner")
    tracking = tracking_code(bytes.fromhex(found.leaf_hash))
    mine = is_owner() and signed_by(found, current_user.id)
    check_url = url_for("voting.check", slug=estate.slug, assembly_id=assembly.id, code=tracking, _external=True)
    return render_template(
        "voting/receipt.html",
        estate=estate,
        assembly=assembly,
        receipt=doc,
        promise=found.promise,
        promise_deadline=None if found.promise is None else EPOCH + timedelta(milliseconds=found.promise["deadline"]),
        code=tracking,
        accepted=found.received_at,
        ballot=found,
        signer=signer,
        # The keys the tree head and the promise name, each valid at its object's time (a key
        # rotated out since, for an early ballot; the promise may predate a rotation its head follows).
        server_jwk=json.dumps(None if doc is None else _jwk_at(doc["sth"]["kid"], doc["sth"]["timestamp"])),
        promise_jwk=json.dumps(None if found.promise is None else _jwk_at(found.promise["kid"], found.promise["accepted"])),
        qr=qr_data_uri(check_url),
        check_url=check_url,
        mine=mine,
        choices=ballot_choices(found) if mine else None,
        notice=verified(assembly.current_notice).document,
    )


@bp.get("/p/<slug>/a/<int:assembly_id>/receipt/<code>.json")
def receipt_json(slug: str, assembly_id: int, code: str):
    estate = public_estate(slug)
    assembly = load_assembly(estate, assembly_id)
    found = ballot_by_code(assembly, code)
    if found is None or (found.leaf_index is None and found.promise is None):
        abort(404)
    if found.leaf_index is None:  # accepted and promised, waiting for the sequencer's next batch
        response = jsonify({"pending": True, "promise": found.promise})
        response.status_code = 202
        response.headers["Retry-After"] = "1"
        response.headers["Cache-Control"] = "no-store"
        return response
    response = jsonify(ballot_log.receipt(found))
    response.headers["Content-Disposition"] = f'attachment; filename="receipt-{estate.slug}-{assembly.id}-{found.leaf_index}.json"'
    return response


@bp.route("/p/<slug>/a/<int:assembly_id>/check", methods=["GET", "POST"])
@limiter.limit("60/minute", methods=["POST"])
def check(slug: str, assembly_id: int):
    """Check a receipt: by its tracking code or its JSON, against the newest signed tree head."""

    estate = public_estate(slug)
    assembly = load_assembly(estate, assembly_id)
    form = PageForm()
    result = None
    code = request.values.get("code", "").strip()
    pasted = request.form.get("receipt", "").strip() if request.method == "POST" else ""
    upload = request.files.get("file") if request.method == "POST" else None
    if request.method == "POST" and not form.validate_on_submit():
        abort(400)
    if upload is not None and upload.filename:
        pasted = upload.read(256 * 1024).decode("utf-8", "replace")
    if pasted or code:
        result = check_receipt(assembly, code=code or None, document=pasted or None)
    elif request.method == "POST":  # pressed with nothing to check
        result = ReceiptCheck(hint=NOTHING_TO_CHECK)
    return render_template("voting/check.html", estate=estate, assembly=assembly, form=form, result=result, code=code)


@bp.get("/p/<slug>/a/<int:assembly_id>/log/heads.json")
def heads_json(slug: str, assembly_id: int):
    estate = public_estate(slug)
    assembly = load_assembly(estate, assembly_id)
    # While voting is open, only the heads published batch by batch (webapp.voting.publication).
    return jsonify([h.document for h in publication.public_heads(assembly)])


@bp.get("/p/<slug>/a/<int:assembly_id>/log/consistency.json")
def consistency_json(slug: str, assembly_id: int):
    """An RFC 6962 consistency proof between two tree sizes of the log (``?first=&second=``)."""
    estate = public_estate(slug)
    assembly = load_assembly(estate, assembly_id)
    public = publication.public_heads(assembly)
    latest = public[-1] if public else None
    try:
        first = int(request.args.get("first", "0"))
        second = int(request.args.get("second", str(latest.size if latest else 0)))
    except ValueError:
        abort(400)
    sizes = {h.size for h in public}
    if first not in sizes or second not in sizes or first > second:
        return jsonify(
            {
                "error": "两个大小都必须是已签名树头的大小，且前者不大于后者",
                "error_en": "both sizes must be signed tree heads' sizes, first ≤ second",
            }
        ), 400
    proof = ballot_log.consistency(assembly.id, first, second)
    return jsonify({"first": first, "second": second, "proof": [h.hex() for h in proof]})


# ---------------------------------------------------------------- turnout


@bp.get("/e/<slug>/assemblies/<int:assembly_id>/turnout")
@estate_view(Role.organiser, Role.supervisor)
def turnout(estate: Estate, assembly_id: int):
    assembly = load_assembly(estate, assembly_id)
    if assembly.roll_id is None:
        flash(_("There is no roll for this assembly yet, so no turnout."), "error")
        return redirect(url_for("assemblies.detail", slug=estate.slug, assembly_id=assembly.id))
    role = current_user.role_in(estate.id)
    pub = publication.shown(assembly)  # (read once: each reads every tree head of the log)
    voted = publication.voted_members(assembly, pub)
    return render_template(
        "voting/turnout.html",
        estate=estate,
        assembly=assembly,
        t=compute_turnout(assembly, voted),
        missing=not_voted_by_building(assembly, voted) if role is Role.organiser else None,
        supervisor=role is Role.supervisor,
        pub=pub,
        form=PageForm(),
    )


@bp.get("/p/<slug>/a/<int:assembly_id>/turnout")
def public_turnout(slug: str, assembly_id: int):
    estate = public_estate(slug)
    assembly = load_assembly(estate, assembly_id)
    if assembly.roll_id is None or assembly.state in ("draft", "notice"):
        abort(404)
    pub = publication.shown(assembly)  # (read once: each reads every tree head of the log)
    voted = publication.voted_members(assembly, pub)
    on_roll = units_by_member(assembly)  # (read once: the voted units and a search both need it)
    units = voted_units(voted, on_roll)
    per_page = 200
    pages = max(1, -(-len(units) // per_page))
    raw = request.args.get("page", "1")
    page = min(pages, max(1, int(raw))) if raw.isdigit() and len(raw) < 6 else 1
    # An owner looks for their own unit among hundreds, on a phone: typed as on the letter, with
    # or without spaces, in half- or full-width characters.
    sought = unicodedata.normalize("NFKC", request.args.get("unit", "")).replace(" ", "").upper()[:32]
    found = None if not sought else sought in {u.upper() for u in units}
    if found is False and not unit_on_roll(on_roll, sought):
        found = "no such unit"  # a typo, not a vote still to show: said as such
    show_numbers = estate.turnout_public or assembly.state not in ("voting",)
    return render_template(
        "voting/public_turnout.html",
        estate=estate,
        assembly=assembly,
        units=units[(page - 1) * per_page : page * per_page],
        count=len(units),
        page=page,
        pages=pages,
        t=compute_turnout(assembly, voted) if show_numbers else None,
        pub=pub,
        sought=sought,
        found=found,
    )


@bp.post("/e/<slug>/assemblies/<int:assembly_id>/inspect")
@estate_view(Role.supervisor, admin=False)
def inspect(estate: Estate, assembly_id: int):
    """A supervisor looks at one member's ballot: with a reason, and in the audit log."""

    assembly = load_assembly(estate, assembly_id)
    if not PageForm().validate_on_submit():
        abort(400)
    unit, reason = request.form.get("unit", "").strip(), request.form.get("reason", "").strip()
    member = member_for_unit(assembly, unit) if unit else None
    if not reason or member is None:
        flash(_("Give a unit of this estate and a written reason."), "error")
        return redirect(url_for("voting.turnout", slug=estate.slug, assembly_id=assembly.id))
    found = list(db.session.scalars(select(Ballot).where(Ballot.assembly_id == assembly.id, Ballot.member == member).order_by(Ballot.id)))
    db.session.add(BallotInspection(assembly_id=assembly.id, member=member, staff_user_id=current_user.id, reason=reason[:1000]))
    record(
        "ballot.inspect",
        actor=current_user,
        estate_id=estate.id,
        obj=assembly,
        unit=unit,
        member=member,
        reason=reason[:1000],
        ballots=len(found),
    )
    db.session.commit()
    notice = verified(assembly.current_notice).document
    return render_template(
        "voting/inspect.html",
        estate=estate,
        assembly=assembly,
        unit=unit,
        member=member,
        reason=reason,
        ballots=[(b, entry_of(b), ballot_choices(b)) for b in found],
        notice=notice,
        counted={b.id for b in counted(assembly.id, replace_allowed=assembly.replace_allowed).values()},
    )


# ---------------------------------------------------------------- paper ballots


def _marks_from_form(notice: dict) -> dict:
    marks: dict = {}
    for item in notice["items"]:
        marks[item["id"]] = kind_of(item["kind"]).mark_from_form(item, request.form)
    return marks


@bp.route("/e/<slug>/assemblies/<int:assembly_id>/paper", methods=["GET", "POST"])
@estate_view(Role.organiser, Role.supervisor)
def paper(estate: Estate, assembly_id: int):
    assembly = load_assembly(estate, assembly_id)
    role = current_user.role_in(estate.id)
    notice = verified(assembly.current_notice).document if assembly.current_notice else None
    form = PageForm()
    if request.method == "POST":
        if role is not Role.organiser or not form.validate_on_submit():
            abort(403)
        scan = request.files.get("scan")
        serial = request.form.get("serial", "")

        def enter():

            sheet = paper_ops.sheet_by_serial(assembly, serial)
            if scan is None or not scan.filename:
                raise paper_ops.PaperError("请上传这张表决票的扫描件", "attach the scan of the sheet")
            choices = paper_ops.choices_from_marks(notice["items"], _marks_from_form(notice))
            attachment = attach(assembly, actor=current_user, kind="paper", owner_id=sheet.id, data=scan.read(), filename=scan.filename)
            cast = paper_ops.enter(
                assembly, sheet, actor=current_user, choices=choices, scan_id=attachment.id, scan_sha256=attachment.sha256
            )
            return cast, sheet.state

        done, outcome = run_operation(enter)
        if done:
            cast, state = outcome
            if cast:
                flash(_("Ballot counted: tracking code %(code)s.", code=cast.code), "success")
            elif state == "disputed":
                flash(_("Entry saved. It differs from the first entry of this sheet: a supervisor will decide from the scan."), "info")
            else:
                flash(_("Entry saved. Another organiser must enter the same sheet independently."), "success")
        return redirect(url_for("voting.paper", slug=estate.slug, assembly_id=assembly.id))
    return _paper_page(estate, assembly, notice, form)


def _paper_page(estate: Estate, assembly: Assembly, notice: dict | None, form, *, ruling: dict | None = None, status: int = 200):
    """The paper ballots page; ``ruling`` is a supervisor's ruling form that came back with an
    error ({"sheet": id, "marks": {item id: marks}, "reason": text}), shown as it was entered."""

    role = current_user.role_in(estate.id)
    sheets = list(
        db.session.scalars(select(PaperSheet).where(PaperSheet.assembly_id == assembly.id).order_by(PaperSheet.id.desc()).limit(300))
    )
    disputed = [s for s in sheets if s.state == "disputed"]
    entries = {}
    if role is Role.supervisor:
        for sheet in disputed:
            entries[sheet.id] = list(db.session.scalars(select(PaperEntry).where(PaperEntry.sheet_id == sheet.id).order_by(PaperEntry.id)))
    return (
        render_template(
            "voting/paper.html",
            estate=estate,
            assembly=assembly,
            notice=notice,
            sheets=sheets,
            disputed=disputed,
            entries=entries,
            organiser=role is Role.organiser,
            supervisor=role is Role.supervisor,
            form=form,
            ruling=ruling or {},
        ),
        status,
    )


@bp.post("/e/<slug>/assemblies/<int:assembly_id>/paper/sheets")
@estate_view(Role.organiser, admin=False)
def print_sheets(estate: Estate, assembly_id: int):
    """Ballot sheets for the members who asked (by unit) or for every member without a ballot."""

    assembly = load_assembly(estate, assembly_id)
    if not PageForm().validate_on_submit() or assembly.roll_id is None or assembly.state not in ("notice", "voting"):
        flash(_("Sheets can be printed once the notice is out and the roll is set, until voting closes."), "error")
        return redirect(url_for("voting.paper", slug=estate.slug, assembly_id=assembly.id))
    units = units_by_member(assembly)  # once per request, whatever the length of the list
    try:
        wanted = listed_labels(request.form.get("units"))
    except UserError as exc:
        flash(pick(exc), "error")
        return redirect(url_for("voting.paper", slug=estate.slug, assembly_id=assembly.id))
    if wanted:
        by_unit = member_by_unit(units)
        unknown = [label for label in wanted if label not in by_unit]
        if unknown:
            flash(_("Unknown units: %(units)s", units="、".join(unknown[:20]) + ("…" if len(unknown) > 20 else "")), "error")
            return redirect(url_for("voting.paper", slug=estate.slug, assembly_id=assembly.id))
        members = [by_unit[label] for label in wanted]
    else:
        voted = voted_members(assembly.id)
        members = [m for m in units if m not in voted]

    job = start_job(
        estate,
        "ballot-sheets",
        {"assembly_id": assembly.id, "title": assembly.title, "members": list(dict.fromkeys(members))},
        actor=current_user,
        runner=runner_mode(current_app),
    )
    db.session.commit()
    submit(job)
    return redirect(url_for("jobs.job", slug=estate.slug, job_id=job.id))


@bp.post("/e/<slug>/assemblies/<int:assembly_id>/paper/<int:sheet_id>/resolve")
@estate_view(Role.supervisor, admin=False)
def resolve(estate: Estate, assembly_id: int, sheet_id: int):
    assembly = load_assembly(estate, assembly_id)
    sheet = db.session.get(PaperSheet, sheet_id)
    if sheet is None or sheet.assembly_id != assembly.id or not PageForm().validate_on_submit():
        abort(404)
    notice = verified(assembly.current_notice).document
    decision = request.form.get("decision", "count")
    marks = {item["id"]: kind_of(item["kind"]).mark_from_form(item, request.form) for item in notice["items"]}
    if decision != "refuse":  # a resolution the supervisor did not mark is not an abstention
        marks.update(
            {item["id"]: None for item in notice["items"] if item["kind"] == "resolution" and f"m-{item['id']}" not in request.form}
        )
    reason = request.form.get("reason", "")

    def decide():
        choices = None if decision == "refuse" else paper_ops.ruling_choices(notice["items"], marks)
        return paper_ops.resolve(assembly, sheet, actor=current_user, choices=choices, reason=reason)

    done, _result = run_operation(decide, _("Decision recorded."))
    if not done:  # the form comes back as it was entered, with the refusal flashed above it
        ruling = {"sheet": sheet.id, "marks": marks, "reason": reason}
        return _paper_page(estate, assembly, notice, PageForm(), ruling=ruling, status=422)
    return redirect(url_for("voting.paper", slug=estate.slug, assembly_id=assembly.id))
