"""The owner's path: scan the letter → confirm identity → make a device key → own page."""
from __future__ import annotations

import hashlib
import hmac
import secrets
import time

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user
from sqlalchemy import select

from webapp.core import challenges
from webapp.core.access import is_staff, owner_required
from webapp.core.db import db
from webapp.core.extensions import limiter
from webapp.core.errors import json_error
from webapp.owners import operations as ops
from webapp.owners.forms import CodeForm, IdentityForm, PhoneForm, ReviewForm, SmsCodeForm
from webapp.owners.models import DeviceKey, Invitation, Registration
from webapp.owners.sms import SmsError, backend_from_env
from webapp.owners.views import owner_page_context
from webapp.registry.identity import is_mobile, keyed_hash, normalize_phone

bp = Blueprint("owners", __name__)

SMS_TTL = 600
SMS_ATTEMPTS = 5


def _pii_key() -> str:
    return current_app.config["OWNERSVOTE_PII_HMAC_KEY"]


def origin() -> str:
    return request.host_url.rstrip("/")


def _client_key() -> str:
    from flask_limiter.util import get_remote_address

    return get_remote_address()


def _letter_key() -> str:
    return f"letter:{session.get('join', {}).get('invitation', 'none')}"


def _joining() -> Invitation | None:
    state = session.get("join") or {}
    invitation = db.session.get(Invitation, state.get("invitation", 0)) if state.get("invitation") else None
    return ops.usable_invitation(invitation)


def _start(invitation: Invitation | None) -> None:
    session.pop("join", None)
    session.pop("join_registration", None)
    if invitation is not None:
        session["join"] = {"invitation": invitation.id}


@bp.get("/r/<token>")
@limiter.limit("30/minute;300/hour")
def scan(token: str):
    # Unknown, used, void, expired and locked letters are answered alike: the same redirect
    # after the same work, so the answer tells a guesser nothing.  The token leaves the address
    # bar at once and never reaches a later page, a log line or a Referer.
    _start(ops.invitation_by_token(token) if len(token) <= 64 else None)
    return redirect(url_for("owners.join"), code=303)


@bp.route("/r", methods=["GET", "POST"])
@limiter.limit("10/minute;60/hour", methods=["POST"])
def enter_code():
    form = CodeForm()
    if form.validate_on_submit():
        invitation = ops.invitation_by_code(form.code.data, _pii_key())
        if invitation is not None:
            _start(invitation)
            return redirect(url_for("owners.join"), code=303)
        flash(_("This code cannot be used. Check it, or ask for a new letter."), "error")
    return render_template("owners/code.html", form=form)


@bp.route("/join", methods=["GET", "POST"])
@limiter.limit("20/hour", methods=["POST"], key_func=_client_key)
@limiter.limit("10/hour", methods=["POST"], key_func=_letter_key)
def join():
    invitation = _joining()
    if invitation is None:
        return render_template("owners/letter_invalid.html"), 410 if request.method == "POST" else 200
    form = IdentityForm(prefix="id")
    review = ReviewForm(prefix="rv")
    mismatch = False
    if form.submit_ok():
        holder = ops.check_identity(invitation, form.name.data, form.id_tail.data, pii_key=_pii_key())
        if holder is not None:
            if invitation.unit.estate.sms_required:
                session["join"] = {"invitation": invitation.id, "holder": holder.id}
                db.session.commit()
                return redirect(url_for("owners.join_phone"))
            return _register(lambda: ops.register_matched(invitation, holder))
        db.session.commit()
        mismatch = True
        if ops.usable_invitation(invitation) is None:
            return render_template("owners/letter_invalid.html", locked=True), 429
        review.name.data = form.name.data
    left = ops.MAX_FAILED_CHECKS - invitation.failed_checks
    return render_template("owners/join.html", invitation=invitation, unit=invitation.unit, form=form, review=review, mismatch=mismatch, attempts_left=left)


@bp.post("/join/review")
@limiter.limit("10/hour", key_func=_client_key)
def join_review():
    invitation = _joining()
    if invitation is None:
        return render_template("owners/letter_invalid.html"), 410
    review = ReviewForm(prefix="rv")
    if not review.validate_on_submit():
        flash(_("Please fill in your name and a short explanation."), "error")
        return redirect(url_for("owners.join"))
    return _register(lambda: ops.register_for_review(invitation, review.name.data, tail_matched=False, note=review.note.data))


def _register(make_registration):
    """Create the registration and go on to the device step; a letter that was used meanwhile
    (another phone, a second tab) gets the same polite page as any unusable letter."""
    try:
        registration = make_registration()
    except ops.OnboardingError:
        db.session.rollback()
        return render_template("owners/letter_invalid.html"), 410
    return _to_device(registration)


def _to_device(registration: Registration):
    db.session.commit()
    session.pop("join", None)
    session["join_registration"] = registration.id
    return redirect(url_for("owners.join_device"))


def _sms_holder():
    from webapp.registry.models import OwnerHolder

    invitation = _joining()
    holder_id = (session.get("join") or {}).get("holder")
    holder = db.session.get(OwnerHolder, holder_id) if holder_id else None
    if invitation is None or holder is None or invitation.unit.owner_id != holder.owner_id:
        return None, None
    return invitation, holder


@bp.route("/join/phone", methods=["GET", "POST"])
@limiter.limit("10/hour", methods=["POST"], key_func=_client_key)
def join_phone():
    invitation, holder = _sms_holder()
    if invitation is None:
        return render_template("owners/letter_invalid.html"), 410
    phone_form, code_form = PhoneForm(prefix="ph"), SmsCodeForm(prefix="sc")
    state = session.get("join", {})
    if phone_form.submit_ok():
        phone = normalize_phone(phone_form.phone.data)
        if is_mobile(phone) and holder.phone_hash and hmac.compare_digest(holder.phone_hash, keyed_hash(_pii_key(), phone, purpose="phone")):
            code = f"{secrets.randbelow(10**6):06d}"
            try:
                current_app.extensions.setdefault("ownersvote_sms", backend_from_env()).send(phone, _("OwnersVote code: %(code)s (valid 10 minutes). Never tell anyone.", code=code))
            except SmsError:
                flash(_("The text message could not be sent. Please try again later."), "error")
            else:
                state.update(sms=hashlib.sha256(code.encode()).hexdigest(), sms_exp=int(time.time()) + SMS_TTL, sms_tries=0)
                session["join"] = state
        else:
            invitation.failed_checks += 1
            db.session.commit()
            flash(_("This number is not the one in the registry. If it changed, choose 'my details differ' on the previous page."), "error")
    elif code_form.submit_ok() and state.get("sms"):
        state["sms_tries"] = state.get("sms_tries", 0) + 1
        session["join"] = state
        good = hmac.compare_digest(state["sms"], hashlib.sha256(code_form.sms_code.data.strip().encode()).hexdigest())
        if good and state.get("sms_exp", 0) >= time.time() and state["sms_tries"] <= SMS_ATTEMPTS:
            def verified():
                registration = ops.register_matched(invitation, holder)
                registration.phone_verified = True
                return registration

            return _register(verified)
        flash(_("The code is wrong or has expired."), "error")
    return render_template("owners/phone.html", phone_form=phone_form, code_form=code_form, sent=bool(state.get("sms")), unit=invitation.unit)


@bp.get("/join/device")
def join_device():
    registration = db.session.get(Registration, session.get("join_registration", 0)) if session.get("join_registration") else None
    if registration is None:
        return redirect(url_for("owners.enter_code"))
    return render_template("owners/device.html", registration=registration)


@bp.get("/device/challenge")
@limiter.limit("30/minute")
def challenge():
    purpose = request.args.get("purpose", "")
    if purpose == "register" and not session.get("join_registration"):
        abort(403)
    if purpose == "staff-key" and not is_staff():
        abort(403)
    try:
        return jsonify(challenges.issue(purpose, origin()))
    except challenges.ProofError:
        abort(400)


def register_posted_key(purpose: str, **holder):
    """Verify the posted proof of possession and store the key for ``holder`` (a registration
    or a staff member).  Returns an error response, or None when the key was added."""
    data = request.get_json(silent=True) or {}
    jwk, signature = data.get("jwk"), data.get("signature")
    if not isinstance(jwk, dict) or not isinstance(signature, str):
        abort(400)
    try:
        challenges.verify_proof(purpose, jwk, signature, origin())
        ops.add_device_key(jwk=jwk, label=(data.get("label") or "")[:200] or None, **holder)
    except (challenges.ProofError, ops.OnboardingError) as exc:
        db.session.rollback()
        return json_error(exc)
    db.session.commit()
    return None


@bp.post("/join/device")
@limiter.limit("10/minute")
def join_device_submit():
    registration = db.session.get(Registration, session.get("join_registration", 0)) if session.get("join_registration") else None
    if registration is None:
        abort(403)
    failed = register_posted_key("register", registration=registration)
    if failed:
        return failed
    session.pop("join_registration", None)
    login_user(registration)
    return jsonify({"next": url_for("owners.me")})


@bp.get("/signin")
def signin():
    return render_template("owners/signin.html")


@bp.post("/signin")
@limiter.limit("10/minute;100/hour")
def signin_submit():
    data = request.get_json(silent=True) or {}
    kid, signature = data.get("kid"), data.get("signature")
    if not isinstance(kid, str) or not isinstance(signature, str):
        abort(400)
    key = ops.active_key(kid)
    try:
        if key is None or key.registration is None:
            raise challenges.ProofError("这个设备没有有效的密钥，请用告知书重新登记", "this device has no valid key: register again with a letter")
        challenges.verify_proof("signin", key.jwk, signature, origin())
    except challenges.ProofError as exc:
        return json_error(exc, 403)
    login_user(key.registration)
    return jsonify({"next": url_for("owners.me")})


@bp.get("/me")
@owner_required
def me():
    return render_template("owners/me.html", **owner_page_context(current_user))


@bp.get("/me/keys.json")
@owner_required
def my_keys():
    keys = db.session.scalars(select(DeviceKey).where(DeviceKey.registration_id == current_user.id))
    return jsonify([{"kid": k.kid, "state": k.state} for k in keys])
