"""Owner onboarding: issuing letters, using them, the identity check, registrations, device
keys and the supervisors' decisions.  No request in sight: callers pass what they know."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from webapp.audit.operations import record
from webapp.core.db import db, utcnow
from webapp.core.errors_base import UserError
from webapp.devices.models import DeviceKey
from webapp.estates.models import Estate
from webapp.jobs.models import Job
from webapp.jobs.operations import start_job
from webapp.owners import tokens
from webapp.owners.matching import HolderFacts, match_holder
from webapp.owners.models import Invitation, Registration
from webapp.registry.counting import DEVELOPER_MEMBER_ID
from webapp.registry.models import Owner, OwnerHolder, OwnerKind, Unit, UnitStatus

MAX_FAILED_CHECKS = 5


class OnboardingError(UserError):
    pass


@dataclass(frozen=True)
class IssuedLetter:
    invitation: Invitation
    unit: Unit
    token: str
    code: str


# ---------------------------------------------------------------- letters


def letter_secrets(count: int) -> list[tuple[str, str]]:
    """(token, typed code) for ``count`` new letters: made before the PDF, stored as hashes by
    :func:`issue_letters`."""
    return [(tokens.new_token(), tokens.new_code()) for _ in range(count)]


def issue_letters(
    estate: Estate,
    units: list[Unit],
    *,
    actor,
    pii_key: str,
    reason: str | None = None,
    now: datetime | None = None,
    secrets: list[tuple[str, str]] | None = None,
    job_id: int | None = None,
) -> list[IssuedLetter]:
    """A fresh letter for each unit; any letter still active for those units becomes void.

    ``secrets`` are the letters' (token, code) pairs when they were made beforehand (a job draws
    the PDF first and stores the letters at its end, so that a failed job changes nothing)."""
    now = now or utcnow()
    expires = now + timedelta(days=estate.letter_valid_days)
    unit_ids = [u.id for u in units]
    if any(u.estate_id != estate.id for u in units):
        raise OnboardingError("房屋不属于本小区", "a unit does not belong to this estate")
    if secrets is not None and len(secrets) != len(units):
        raise ValueError("one (token, code) pair per unit")
    voided = []
    for start in range(0, len(unit_ids), 500):  # bounded IN lists, whatever the estate's size
        chunk = unit_ids[start : start + 500]
        voided += db.session.scalars(select(Invitation).where(Invitation.unit_id.in_(chunk), Invitation.state == "active"))
    for old in voided:
        old.state, old.void_reason = "void", reason or "reissued"
    issued = []
    for n, unit in enumerate(units):
        token, code = secrets[n] if secrets is not None else (tokens.new_token(), tokens.new_code())
        invitation = Invitation(
            estate_id=estate.id,
            unit_id=unit.id,
            token_hash=tokens.token_hash(token),
            code_hash=tokens.code_hash(pii_key, code),
            issued_by_id=getattr(actor, "id", None),
            issued_at=now,
            expires_at=expires,
            state="active",
        )
        db.session.add(invitation)
        issued.append(IssuedLetter(invitation, unit, token, code))
    db.session.flush()
    if voided:
        record(
            "letter.void",
            actor=actor,
            estate_id=estate.id,
            count=len(voided),
            units=sorted({v.unit.label for v in voided}),
            reason=reason or "reissued",
        )
    extra = {"job": job_id} if job_id is not None else {}
    record(
        "letter.issue", actor=actor, estate_id=estate.id, count=len(issued), units=[u.label for u in units][:2000], reason=reason, **extra
    )
    return issued


# A second press of "re-issue" within this time (a double tap, a reload, a colleague at the same
# moment) is shown the re-issue already made instead of voiding it with yet another letter.
REISSUE_REPEAT_WINDOW = timedelta(minutes=10)


def reissue(
    estate: Estate, unit: Unit, *, actor, reason: str, base_url: str, runner: str, again: bool = False, now: datetime | None = None
) -> tuple[Job, bool]:
    """Start a new letter for one unit (the ``reissue`` job, which voids the older letters when it
    has drawn the new one): (the job, True).  When a re-issue of the unit was started in the last
    ``REISSUE_REPEAT_WINDOW`` and has not failed, and ``again`` is not said: (that job, False),
    and nothing new is started."""
    reason = (reason or "").strip()
    if not reason:
        raise OnboardingError("请写明补发理由", "give the reason for the new letter")
    if unit.estate_id != estate.id:
        raise OnboardingError("房屋不属于本小区", "a unit does not belong to this estate")
    # One re-issue at a time per unit: a concurrent second press waits here (PostgreSQL) and
    # then finds the first one's job.
    db.session.execute(select(Unit.id).where(Unit.id == unit.id).with_for_update())
    if not again:
        recent = recent_reissue(estate, unit, now=now)
        if recent is not None:
            return recent, False
    params = {"base_url": base_url, "scope": "units", "unit_ids": [unit.id], "unit_labels": [unit.label], "reason": reason[:500]}
    return start_job(estate, "reissue", params, actor=actor, runner=runner), True


def recent_reissue(estate: Estate, unit: Unit, now: datetime | None = None) -> Job | None:
    """The newest re-issue of the unit's letter started within ``REISSUE_REPEAT_WINDOW`` that has
    not failed (queued, running or done), or None."""
    since = (now or utcnow()) - REISSUE_REPEAT_WINDOW
    jobs = db.session.scalars(
        select(Job)
        .where(Job.estate_id == estate.id, Job.kind == "reissue", Job.created_at >= since, Job.state != "failed")
        .order_by(Job.created_at.desc(), Job.id.desc())
    )
    return next((job for job in jobs if (job.params or {}).get("unit_ids") == [unit.id]), None)


def usable_invitation(invitation: Invitation | None, now: datetime | None = None) -> Invitation | None:
    now = now or utcnow()
    if invitation is None or invitation.state != "active" or invitation.expires_at <= now:
        return None
    if invitation.failed_checks >= MAX_FAILED_CHECKS:
        return None
    return invitation


@dataclass(frozen=True)
class Letter:
    """What a scanned token or a typed code leads to, found by one statement: the invitation (None
    if unknown), the registration made with it, and whether that registration holds a key."""

    invitation: Invitation | None
    registration: Registration | None = None
    has_key: bool = False


def _letter(condition) -> Letter:
    """One statement for every letter, known or not, used or not: the answer to a guessed token
    and to a spent one cost the same work (no second query for the used letter's registration)."""
    has_key = select(DeviceKey.id).where(DeviceKey.registration_id == Registration.id, DeviceKey.state.in_(("active", "pending"))).exists()
    row = db.session.execute(
        select(Invitation, Registration, has_key).outerjoin(Registration, Registration.invitation_id == Invitation.id).where(condition)
    ).first()
    return Letter(row[0], row[1], bool(row[2])) if row is not None else Letter(None)


def letter_by_token(token: str) -> Letter:
    """The letter behind a scanned token, whatever its state, after the same work for every
    token: one hash, one indexed statement."""
    return _letter(Invitation.token_hash == tokens.token_hash(token))


def letter_by_code(code: str, pii_key: str) -> Letter:
    return _letter(Invitation.code_hash == tokens.code_hash(pii_key, code))


def letter_state(invitation: Invitation | None, now: datetime | None = None) -> str:
    """Why a letter can or cannot be used: ``usable``, ``used``, ``void`` (replaced by a newer
    letter), ``expired``, ``locked`` (too many wrong answers) or ``unknown``.  Told only to
    whoever holds the letter's token or code."""
    now = now or utcnow()
    if invitation is None:
        return "unknown"
    if invitation.state == "used":
        return "used"
    if invitation.state == "void":
        return "void"
    if invitation.expires_at <= now:
        return "expired"
    if invitation.failed_checks >= MAX_FAILED_CHECKS:
        return "locked"
    return "usable"


def awaiting(letter: Letter) -> Registration | None:
    """The registration a used letter still leads to: one the supervisors are deciding or have
    decided, or one approved before its owner made a key.  The owner comes back with the same
    letter to read the answer and, if approved, to make the key."""
    invitation, registration = letter.invitation, letter.registration
    if invitation is None or invitation.state != "used" or registration is None:
        return None
    if registration.state in ("pending", "rejected"):
        return registration
    if registration.state == "approved" and not letter.has_key:
        return registration
    return None


def awaiting_owner(invitation: Invitation | None) -> Registration | None:
    return awaiting(_letter(Invitation.id == invitation.id)) if invitation is not None else None


def used_letter_seen_by(invitation: Invitation | None, signed_in: Registration | None) -> str | None:
    """What a used letter is to the owner signed in on the phone that brought it back: ``"yours"``
    (the registration it made, holding a valid key), ``"unit"`` (another registration of the same
    unit holding a valid key: a co-owner, or a newer letter), ``"other"`` (any other owner), or
    None (nobody signed in as an owner, or the letter's own registration whose key is no longer
    valid: this phone then holds no key for it).  Told only to whoever holds the letter's token or
    code and is signed in: it names nobody."""
    if signed_in is None:
        return None
    if invitation is None or invitation.state != "used":
        return "other"
    mine = signed_in.invitation_id == invitation.id
    if signed_in.unit_id == invitation.unit_id and signed_in.state == "approved":
        has_key = db.session.scalar(
            select(DeviceKey.id).where(DeviceKey.registration_id == signed_in.id, DeviceKey.state == "active").limit(1)
        )
        if has_key is not None:
            return "yours" if mine else "unit"
    return None if mine else "other"


# ---------------------------------------------------------------- registration


def holders_of(unit: Unit) -> list[OwnerHolder]:
    return list(unit.owner.holders) if unit.owner is not None else []


def member_ref_for(owner: Owner | None) -> str | None:
    """The voting member an owner of record speaks for: itself, if it holds a delivered unit."""
    if owner is None:
        return None
    delivered = db.session.scalar(select(Unit.id).where(Unit.owner_id == owner.id, Unit.status == UnitStatus.delivered).limit(1))
    return f"owner:{owner.id}" if delivered is not None else None


def check_identity(invitation: Invitation, name: str, id_tail: str, *, pii_key: str) -> OwnerHolder | None:
    """Match the person against the unit's holders; count a failure against the letter."""
    unit = invitation.unit
    facts = [HolderFacts(h.id, h.name, h.id_tail_hash) for h in holders_of(unit)]
    matched = match_holder(facts, name, id_tail, pii_key)
    if matched is None:
        invitation.failed_checks += 1
        db.session.flush()
        if invitation.failed_checks >= MAX_FAILED_CHECKS:
            record("letter.locked", actor="owner", estate_id=invitation.estate_id, obj=invitation, unit=unit.label)
        return None
    return db.session.get(OwnerHolder, matched.holder_id)


def needs_review(holder: OwnerHolder) -> bool:
    """Organisations are always checked by a person: a company's name and code prove nothing
    about who is holding the phone."""
    return holder.owner.kind is OwnerKind.organisation


def _supersede_earlier(registration: Registration, actor) -> None:
    if registration.holder_id is None:
        return
    earlier = db.session.scalars(
        select(Registration).where(
            Registration.holder_id == registration.holder_id,
            Registration.id != registration.id,
            Registration.state == "approved",
        )
    )
    for old in earlier:
        old.state, old.can_vote = "superseded", False
        for key in old.keys:
            if key.state != "revoked":
                key.state, key.revoked_at, key.revoked_reason = "revoked", utcnow(), "replaced by a new registration"
        record("registration.superseded", actor=actor, estate_id=old.estate_id, obj=old, by=registration.id)


def register_matched(invitation: Invitation, holder: OwnerHolder) -> Registration:
    """The identity check matched: approve at once (or queue an organisation)."""
    if needs_review(holder):
        return register_for_review(invitation, holder.name, tail_matched=True, holder=holder, note=None)
    owner = holder.owner
    member = member_ref_for(owner)
    registration = Registration(
        estate_id=invitation.estate_id,
        invitation_id=invitation.id,
        unit_id=invitation.unit_id,
        owner_id=owner.id,
        holder_id=holder.id,
        member_ref=member,
        entered_name=holder.name,
        tail_matched=True,
        state="approved",
        can_vote=bool(member and holder.is_representative),
        decided_at=utcnow(),
        decision_reason="automatic identity check",
    )
    _use(invitation)
    db.session.add(registration)
    db.session.flush()
    _supersede_earlier(registration, "owner")
    record(
        "registration.approved",
        actor="automatic check",
        estate_id=invitation.estate_id,
        obj=registration,
        unit=invitation.unit.label,
        can_vote=registration.can_vote,
    )
    return registration


def register_proxy(invitation: Invitation, proxy) -> Registration:
    """An approved proxy's letter was used by the proxy (name and ID tail matched): the
    registration votes for the owner's member in that one assembly, with its own key."""
    registration = Registration(
        estate_id=invitation.estate_id,
        invitation_id=invitation.id,
        unit_id=invitation.unit_id,
        owner_id=None,
        holder_id=None,
        member_ref=proxy.member_ref,
        entered_name=proxy.proxy_name,
        tail_matched=True,
        state="approved",
        can_vote=False,
        decided_at=utcnow(),
        decision_reason="proxy identity check",
        proxy_id=proxy.id,
    )
    _use(invitation)
    db.session.add(registration)
    db.session.flush()
    record(
        "registration.proxy",
        actor="automatic check",
        estate_id=invitation.estate_id,
        obj=registration,
        proxy=proxy.id,
        unit=invitation.unit.label,
    )
    return registration


def register_for_review(
    invitation: Invitation, name: str, *, tail_matched: bool, holder: OwnerHolder | None = None, note: str | None
) -> Registration:
    registration = Registration(
        estate_id=invitation.estate_id,
        invitation_id=invitation.id,
        unit_id=invitation.unit_id,
        owner_id=holder.owner_id if holder else None,
        holder_id=holder.id if holder else None,
        entered_name=name.strip()[:200],
        tail_matched=tail_matched,
        note=(note or "").strip()[:2000] or None,
        state="pending",
        can_vote=False,
    )
    _use(invitation)
    db.session.add(registration)
    db.session.flush()
    record("registration.submitted", actor="owner", estate_id=invitation.estate_id, obj=registration, unit=invitation.unit.label)
    return registration


def _use(invitation: Invitation) -> None:
    # Two phones using one letter at the same moment: the row lock makes the second wait and
    # then see the letter used (SQLite has a single writer already).
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.refresh(invitation, with_for_update=True)
    if usable_invitation(invitation) is None:
        raise OnboardingError("这封告知书已不能使用", "this letter can no longer be used")
    invitation.state, invitation.used_at = "used", utcnow()


def pending_registrations(estate: Estate) -> list[Registration]:
    return list(
        db.session.scalars(
            select(Registration)
            .where(Registration.estate_id == estate.id, Registration.state == "pending")
            .options(selectinload(Registration.unit).selectinload(Unit.owner).selectinload(Owner.holders))
            .order_by(Registration.created_at)
        )
    )


def approve(registration: Registration, *, actor, holder_id: int | None, as_developer: bool, reason: str) -> Registration:
    """A supervisor's approval: binds the registration to a holder of the unit's owner of record,
    or (for a unit the developer still holds) to the developer's member."""
    if registration.state != "pending":
        raise OnboardingError("这条登记已处理过", "this registration was already decided")
    if not reason.strip():
        raise OnboardingError("请写明理由", "a written reason is required")
    unit = registration.unit
    if as_developer:
        if unit.status is UnitStatus.delivered:
            raise OnboardingError("已交付的房屋不属于开发建设单位", "a delivered unit is not the developer's")
        registration.owner_id, registration.holder_id = None, None
        registration.member_ref, registration.can_vote = DEVELOPER_MEMBER_ID, True
    else:
        holder = db.session.get(OwnerHolder, holder_id) if holder_id else None
        if holder is None or unit.owner is None or holder.owner_id != unit.owner_id:
            raise OnboardingError("请选择这套房屋的一位业主", "choose one of this unit's owners")
        registration.owner_id, registration.holder_id = holder.owner_id, holder.id
        registration.member_ref = member_ref_for(holder.owner)
        registration.can_vote = bool(registration.member_ref and holder.is_representative)
    registration.state = "approved"
    registration.decided_by_id, registration.decided_at, registration.decision_reason = actor.id, utcnow(), reason.strip()
    for key in registration.keys:
        if key.state == "pending":
            key.state = "active"
    db.session.flush()
    _supersede_earlier(registration, actor)
    record(
        "registration.approved",
        actor=actor,
        estate_id=registration.estate_id,
        obj=registration,
        reason=reason.strip(),
        can_vote=registration.can_vote,
    )
    return registration


def reject(registration: Registration, *, actor, reason: str) -> Registration:
    if registration.state != "pending":
        raise OnboardingError("这条登记已处理过", "this registration was already decided")
    if not reason.strip():
        raise OnboardingError("请写明理由", "a written reason is required")
    registration.state = "rejected"
    registration.decided_by_id, registration.decided_at, registration.decision_reason = actor.id, utcnow(), reason.strip()
    for key in registration.keys:
        if key.state != "revoked":
            key.state, key.revoked_at, key.revoked_reason = "revoked", utcnow(), "registration rejected"
    db.session.flush()
    record("registration.rejected", actor=actor, estate_id=registration.estate_id, obj=registration, reason=reason.strip())
    return registration


def set_representative(owner: Owner, holder: OwnerHolder, *, actor, reason: str) -> None:
    """Co-owners name the one of them who votes (Ningbo 2021 Art. 18; docs/tally-format.md); a supervisor records their choice.
    Only that holder's approved registrations may vote from now on; a roll already frozen keeps
    the keys it was frozen with."""
    if holder.owner_id != owner.id:
        raise OnboardingError("此人不是这位业主的共有人", "that person is not one of this owner's holders")
    if not reason.strip():
        raise OnboardingError("请写明理由", "a written reason is required")
    previous = owner.representative
    for h in owner.holders:
        h.is_representative = h.id == holder.id
    member = member_ref_for(owner)
    registrations = db.session.scalars(select(Registration).where(Registration.owner_id == owner.id, Registration.state == "approved"))
    for registration in registrations:
        registration.can_vote = bool(member and registration.holder_id == holder.id)
    db.session.flush()
    record(
        "owner.representative",
        actor=actor,
        estate_id=owner.estate_id,
        obj=owner,
        previous=previous.name if previous else None,
        now=holder.name,
        reason=reason.strip(),
    )


def voting_keys_by_member(estate: Estate) -> dict[str, list[dict]]:
    """The active keys of every approved voting representative, by voting member."""
    rows = db.session.execute(
        select(Registration.member_ref, DeviceKey.jwk)
        .join(DeviceKey, DeviceKey.registration_id == Registration.id)
        .where(
            Registration.estate_id == estate.id,
            Registration.state == "approved",
            Registration.can_vote.is_(True),
            DeviceKey.state == "active",
        )
    )
    found: dict[str, list[dict]] = {}
    for member_ref, jwk in rows:
        found.setdefault(member_ref, []).append(jwk)
    return found
