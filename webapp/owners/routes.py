"""The owner's path: scan the letter → confirm identity → (SMS) → make a device key → own page."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user
from sqlalchemy import select

from webapp.core import challenges, sessions
from webapp.core.db import db
from webapp.core.errors import json_error
from webapp.core.extensions import limiter
from webapp.core.i18n import pick
from webapp.core.identity import is_mobile, keyed_hash, normalize_phone
from webapp.core.roles import is_owner, is_staff
from webapp.core.views import posted_json
from webapp.devices import operations as device_ops
from webapp.devices.models import DeviceKey
from webapp.devices.names import in_app_browser
from webapp.devices.proof import origin, register_posted_key
from webapp.estates.models import Estate
from webapp.owners import hooks, sms_codes
from webapp.owners import operations as ops
from webapp.owners.access import owner_required
from webapp.owners.forms import CodeForm, IdentityForm, PhoneForm, ReviewForm, SmsCodeForm
from webapp.owners.models import Invitation, Registration
from webapp.owners.sms import SmsError, backend_from_env
from webapp.registry.models import OwnerHolder

bp = Blueprint("owners", __name__)


def _pii_key() -> str:
    return current_app.config["OWNERSVOTE_PII_HMAC_KEY"]


def _client_key() -> str:
    from flask_limiter.util import get_remote_address

    return get_remote_address()


def _letter_key() -> str:
    return f"letter:{session.get('join', {}).get('invitation', 'none')}"


def _joining() -> Invitation | None:
    state = session.get("join") or {}
    invitation = db.session.get(Invitation, state["invitation"]) if isinstance(state.get("invitation"), int) else None
    return ops.usable_invitation(invitation)


def _start(letter: ops.Letter) -> str:
    """Put the letter in the session; return where to go (its use, its answer, or why not)."""
    for key in ("join", "join_registration", "join_status", "letter_state", "letter_estate", "letter_used"):
        session.pop(key, None)
    invitation = letter.invitation
    state = ops.letter_state(invitation)
    if invitation is not None:  # whose help line the page gives, whatever the letter's state
        session["letter_estate"] = invitation.estate_id
    if state == "usable":
        session["join"] = {"invitation": invitation.id}
        return url_for("owners.join")
    waiting = ops.awaiting(letter)
    if waiting is not None:
        session["join_status"] = waiting.id
        return url_for("owners.join_status")
    session["letter_state"] = state
    if state == "used":  # to tell its owner, signed in on this phone, that nothing is wrong
        session["letter_used"] = invitation.id
    return url_for("owners.join")


def _count_failure(invitation: Invitation, *, counted: bool) -> bool:
    """Keep a wrong answer against the letter (``counted``: check_identity already did); true
    when that locked it."""
    if not counted:
        invitation.failed_checks += 1
    db.session.commit()
    if ops.usable_invitation(invitation) is None:
        session["letter_state"] = "locked"
        return True
    return False


def _unusable(status: int = 200):
    found = session.get("letter_estate")
    estate = db.session.get(Estate, found) if isinstance(found, int) else None
    state = session.get("letter_state", "unknown")
    seen_by = None
    if is_owner():
        used = session.get("letter_used")
        invitation = db.session.get(Invitation, used) if state == "used" and isinstance(used, int) else None
        seen_by = ops.used_letter_seen_by(invitation, current_user)
    return render_template("owners/letter_invalid.html", state=state, seen_by=seen_by, help_estate=estate), status


@bp.get("/r/<token>")
@limiter.limit("30/minute;300/hour")
def scan(token: str):
    # The token leaves the address bar at once and never reaches a later page, a log line or a
    # Referer; every token costs the same work (one hash, one indexed statement, one redirect),
    # whether it is unknown, used or too long to be one of ours (its hash matches nothing).
    letter = ops.letter_by_token(token)
    if in_app_browser(request.headers.get("User-Agent")):
        # WeChat, Alipay or QQ: the key must not be made in the app's own browser.  The letter
        # is left untouched and the address stays, so that the app's "open in browser" opens
        # this same letter in the phone's browser (the page itself does not show the token).
        invitation = letter.invitation
        return render_template("owners/in_app.html", help_estate=invitation.unit.estate if invitation else None)
    target = _start(letter)
    return redirect(target, code=303)


@bp.route("/r", methods=["GET", "POST"])
@limiter.limit("10/minute;60/hour", methods=["POST"])
def enter_code():
    form = CodeForm()
    if form.validate_on_submit():
        letter = ops.letter_by_code(form.code.data, _pii_key())
        if letter.invitation is not None:
            return redirect(_start(letter), code=303)
        flash(
            _(
                "This code cannot be used. Check it, or ask the owners' committee or the preparatory group (named at the foot of the letter) for a new letter."
            ),
            "error",
        )
    return render_template("owners/code.html", form=form)


def _steps(invitation: Invitation) -> int:
    return 3 if invitation.unit.estate.sms_required else 2


@bp.route("/join", methods=["GET", "POST"])
@limiter.limit("20/hour", methods=["POST"], key_func=_client_key)
@limiter.limit("10/hour", methods=["POST"], key_func=_letter_key)
def join():
    invitation = _joining()
    if invitation is None:
        return _unusable(410 if request.method == "POST" else 200)
    form = IdentityForm(prefix="id")
    review = ReviewForm(prefix="rv")
    mismatch = False
    if form.submit_ok() and invitation.proxy_id is not None:
        proxy = hooks.proxy_identity(invitation, form.name.data, form.id_tail.data, pii_key=_pii_key())
        if proxy is not None:
            return _register(lambda: ops.register_proxy(invitation, proxy))
        mismatch = True
        if _count_failure(invitation, counted=False):
            return _unusable(429)
    elif form.submit_ok():
        holder = ops.check_identity(invitation, form.name.data, form.id_tail.data, pii_key=_pii_key())
        if holder is not None:
            if invitation.unit.estate.sms_required:
                session["join"] = {"invitation": invitation.id, "holder": holder.id}
                db.session.commit()
                return redirect(url_for("owners.join_phone"))
            return _register(lambda: ops.register_matched(invitation, holder))
        mismatch = True
        if _count_failure(invitation, counted=True):
            return _unusable(429)
        review.name.data = form.name.data
    left = ops.MAX_FAILED_CHECKS - invitation.failed_checks
    return render_template(
        "owners/join.html",
        invitation=invitation,
        unit=invitation.unit,
        form=form,
        review=review,
        mismatch=mismatch,
        attempts_left=left,
        steps=_steps(invitation),
    )


@bp.post("/join/review")
@limiter.limit("10/hour", key_func=_client_key)
def join_review():
    invitation = _joining()
    if invitation is None:
        return _unusable(410)
    review = ReviewForm(prefix="rv")
    if not review.validate_on_submit():
        flash(_("Please fill in your name and a short explanation."), "error")
        return redirect(request.referrer if request.referrer and request.referrer.startswith(request.host_url) else url_for("owners.join"))
    holder_id = (session.get("join") or {}).get("holder")
    _invitation, holder = _sms_holder() if holder_id else (None, None)
    return _register(
        lambda: ops.register_for_review(
            invitation,
            review.name.data,
            tail_matched=holder is not None,
            holder=holder,
            note=review.note.data,
        )
    )


def _register(make_registration):
    """Create the registration and go on to the device step; a letter that was used meanwhile
    (another phone, a second tab) gets the same polite page as any unusable letter."""
    try:
        registration = make_registration()
    except ops.OnboardingError:
        db.session.rollback()
        session["letter_state"] = "used"
        return _unusable(410)
    db.session.commit()
    return _to_device(registration)


def _to_device(registration: Registration):
    for key in ("join", "join_status", "letter_state"):
        session.pop(key, None)
    session["join_registration"] = registration.id
    sessions.rotate()
    return redirect(url_for("owners.join_device"))


def _sms_holder():

    invitation = _joining()
    holder_id = (session.get("join") or {}).get("holder")
    holder = db.session.get(OwnerHolder, holder_id) if isinstance(holder_id, int) else None
    if invitation is None or holder is None or invitation.unit.owner_id != holder.owner_id:
        return None, None
    return invitation, holder


def _sms_backend():
    return current_app.extensions.setdefault("ownersvote_sms", backend_from_env())


@bp.route("/join/phone", methods=["GET", "POST"])
@limiter.limit("10/hour", methods=["POST"], key_func=_client_key)
@limiter.limit("6/hour", methods=["POST"], key_func=_letter_key)
def join_phone():
    """Step 2 (with the SMS check on): the number in the registry gets a code."""
    invitation, holder = _sms_holder()
    if invitation is None:
        return _unusable(410)
    phone_form = PhoneForm(prefix="ph")
    review = ReviewForm(prefix="rv", name=holder.name)
    mismatch = False
    if phone_form.submit_ok():
        phone = normalize_phone(phone_form.phone.data)
        import hmac

        if (
            is_mobile(phone)
            and holder.phone_hash
            and hmac.compare_digest(holder.phone_hash, keyed_hash(_pii_key(), phone, purpose="phone"))
        ):
            return _send_code(invitation, holder, phone)
        mismatch = True
        if _count_failure(invitation, counted=False):
            return _unusable(429)
    return render_template(
        "owners/phone.html",
        phone_form=phone_form,
        review=review,
        mismatch=mismatch,
        unit=invitation.unit,
        holder=holder,
        steps=_steps(invitation),
    )


def _send_code(invitation: Invitation, holder, phone: str):
    try:
        sent = sms_codes.new_code(invitation, holder.id, phone, pii_key=_pii_key())
        _sms_backend().send(phone, _("OwnersVote code: %(code)s (valid 10 minutes). Never tell anyone.", code=sent.code))
    except sms_codes.SmsCodeError as exc:
        db.session.rollback()
        flash(pick(exc), "error")
        return redirect(url_for("owners.join_code"))
    except SmsError:
        db.session.rollback()
        flash(_("The text message could not be sent. Please try again later, or ask the supervisors to check instead."), "error")
        return redirect(url_for("owners.join_phone"))
    db.session.commit()
    flash(_("A code was sent to %(phone)s.", phone=sent.record.phone_masked), "success")
    return redirect(url_for("owners.join_code"))


@bp.route("/join/code", methods=["GET", "POST"])
@limiter.limit("20/hour", methods=["POST"], key_func=_client_key)
def join_code():
    """Still step 2: type the code, send it again, or ask the supervisors when none arrives."""
    invitation, holder = _sms_holder()
    if invitation is None:
        return _unusable(410)
    record = sms_codes.current(invitation)
    if record is None:
        return redirect(url_for("owners.join_phone"))
    code_form = SmsCodeForm(prefix="sc")
    review = ReviewForm(prefix="rv", name=holder.name)
    if code_form.submit_ok():
        try:
            sms_codes.check(invitation, code_form.sms_code.data, pii_key=_pii_key())
        except sms_codes.SmsCodeError as exc:
            db.session.commit()  # the try is counted, on the server
            flash(pick(exc), "error")
        else:

            def verified():
                registration = ops.register_matched(invitation, holder)
                registration.phone_verified = True
                return registration

            return _register(verified)
    return render_template(
        "owners/code_sent.html",
        code_form=code_form,
        review=review,
        unit=invitation.unit,
        record=record,
        resend_at=sms_codes.resend_at(record),
        steps=_steps(invitation),
    )


@bp.get("/join/status")
def join_status():
    """What became of a registration the owner left (sent to the supervisors, or approved
    before a key was made): reached again with the same letter."""
    registration = db.session.get(Registration, session["join_status"]) if isinstance(session.get("join_status"), int) else None
    if registration is None:
        return redirect(url_for("owners.enter_code"))
    return render_template("owners/status.html", registration=registration)


@bp.post("/join/status/continue")
def join_status_continue():
    registration = db.session.get(Registration, session["join_status"]) if isinstance(session.get("join_status"), int) else None
    if (
        registration is None
        or ops.awaiting_owner(db.session.get(Invitation, registration.invitation_id)) is None
        or registration.state != "approved"
    ):
        abort(403)
    return _to_device(registration)


def _joining_registration() -> Registration | None:
    found = session.get("join_registration")
    return db.session.get(Registration, found) if isinstance(found, int) else None


@bp.get("/join/device")
def join_device():
    registration = _joining_registration()
    if registration is None:
        return redirect(url_for("owners.enter_code"))
    estate = registration.estate
    return render_template("owners/device.html", registration=registration, steps=3 if estate.sms_required else 2)


@bp.get("/device/challenge")
@limiter.limit("30/minute")
def challenge():
    purpose = request.args.get("purpose", "")
    if purpose == "register" and not session.get("join_registration"):
        abort(403)
    if purpose in ("staff-key", "certify") and not is_staff():
        abort(403)
    try:
        issued = challenges.issue(purpose, origin())
    except challenges.ProofError:
        abort(400)
    db.session.commit()
    return jsonify(issued)


@bp.post("/join/device")
@limiter.limit("10/minute")
def join_device_submit():
    registration = _joining_registration()
    if registration is None:
        return json_error(
            challenges.ProofError("这一步已完成或已过期，请重新扫描告知书", "this step is over or expired: scan your letter again"), 403
        )
    failed = register_posted_key("register", registration=registration)
    if failed:
        return failed
    session.pop("join_registration", None)
    login_user(registration)
    sessions.rotate()
    return jsonify({"next": url_for("portal.me")})


@bp.get("/signin")
def signin():
    return render_template("owners/signin.html")


@bp.post("/signin")
@limiter.limit("10/minute;100/hour")
def signin_submit():
    data = posted_json()
    kid, signature = data.get("kid"), data.get("signature")
    if not isinstance(kid, str) or not isinstance(signature, str):
        return json_error(challenges.ProofError("请求格式不正确", "malformed request"), 400)
    key = device_ops.active_key(kid[:100])
    try:
        if key is None or key.registration is None:
            raise challenges.ProofError(
                "这个设备没有有效的密钥，请用告知书重新登记", "this device has no valid key: register again with a letter"
            )
        challenges.verify_proof("signin", key.jwk, signature, origin(), data.get("challenge"))
    except challenges.ProofError as exc:
        db.session.rollback()
        return json_error(exc, 403)
    db.session.commit()
    login_user(key.registration)
    sessions.rotate()
    return jsonify({"next": url_for("portal.me")})


@bp.get("/me/keys.json")
@owner_required
def my_keys():
    keys = db.session.scalars(select(DeviceKey).where(DeviceKey.registration_id == current_user.id))
    return jsonify([{"kid": k.kid, "state": k.state} for k in keys])
