"""Nominations, written commitments, vetting and the published list of candidates.

Candidates (docs/architecture.md, webapp/candidates): are nominated by themselves or by owners (with their consent), or on
paper by organisers; each signs a written commitment that they meet the conditions; supervisors
vet each one against the estate's eligibility rules with a written reason the candidate sees; a
candidate can withdraw; the approved list is published (公示) for the estate's period before it
can go on a ballot.  The committee's composition against the estate's policy targets is shown to
supervisors as information only: it never filters or orders anyone.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from crypto.canonical import canonical_json
from crypto.errors import CryptoError
from crypto.keys import verify
from webapp.assemblies.kinds import kind_of
from webapp.assemblies.models import AgendaItem
from webapp.assemblies.operations import attach, require_organiser
from webapp.assemblies.states import LifecycleError, touch
from webapp.audit.operations import record
from webapp.candidates.models import Candidate
from webapp.core.challenges import spend
from webapp.core.db import db, utcnow
from webapp.core.errors_base import UserError
from webapp.core.roles import Role
from webapp.core.timefmt import local
from webapp.devices.models import DeviceKey
from webapp.owners.matching import normalize_name
from webapp.owners.models import Registration
from webapp.owners.notifications import notify_people
from webapp.registry.counting import natural_key
from webapp.registry.models import Building, Unit

COMMITMENT_ZH = (
    "本人承诺：本人是本小区业主，具有完全民事行为能力，符合本小区业主委员会委员候选人的全部条件；"
    "所填信息真实。如有不实，愿意承担相应责任，并接受取消候选人资格。"
)
COMMITMENT_EN = (
    "I declare that I own a unit in this estate, have full civil capacity and meet every condition this estate sets "
    "for candidates to the owners' committee, and that what I state is true. If it is not, I accept the consequences "
    "and the loss of my candidacy."
)


class CandidateError(UserError):
    pass


def owner_label(registration) -> str:
    return f"owner:{registration.id}"


def _open_for_nominations(item: AgendaItem, now: datetime, *, online: bool = True) -> None:
    """``online``: an owner's nomination, which needs the organisers' call for candidates (or the
    published notice); organisers enter paper nominations into their draft at any time before."""
    assembly = item.assembly
    if not kind_of(item.form).takes_nominations:
        raise CandidateError("这个事项不是选举，不接受提名", "this item is not an election: it takes no nominations")
    if assembly.state not in ("draft", "notice"):
        raise LifecycleError("投票已经开始，不再接受提名", "voting has started: nominations are closed")
    if online and assembly.state == "draft" and assembly.nominations_opened_at is None:
        raise CandidateError("组织者尚未开始征集候选人", "the organisers have not called for candidates yet")
    if assembly.nomination_deadline is not None and now > assembly.nomination_deadline:
        raise CandidateError(
            f"提名已于 {local(assembly.nomination_deadline, assembly.estate)} 截止",
            f"nominations closed on {local(assembly.nomination_deadline, assembly.estate)}",
        )


def _holder_units(holder) -> str:

    labels = sorted((u.label for u in db.session.scalars(select(Unit).where(Unit.owner_id == holder.owner_id))), key=natural_key)
    return "、".join(labels[:6]) + ("…" if len(labels) > 6 else "")


def _must_be_owner(registration) -> None:
    if registration is None or registration.state != "approved" or registration.holder_id is None or not registration.member_ref:
        raise CandidateError("只有已登记的业主可以提名或被提名", "only registered owners can nominate or be nominated")


def _new(item: AgendaItem, holder, **fields) -> Candidate:
    if db.session.scalar(select(Candidate.id).where(Candidate.item_id == item.id, Candidate.holder_id == holder.id)) is not None:
        raise CandidateError(f"{holder.name} 已被提名参加这次选举", f"{holder.name} has already been nominated for this election")
    candidate = Candidate(
        estate_id=item.assembly.estate_id,
        assembly_id=item.assembly_id,
        item_id=item.id,
        holder_id=holder.id,
        name=holder.name,
        units=_holder_units(holder),
        **fields,
    )
    db.session.add(candidate)
    db.session.flush()
    return candidate


def nominate_self(item: AgendaItem, registration, *, statement: str, party_member: bool, now: datetime | None = None) -> Candidate:
    now = now or utcnow()
    _open_for_nominations(item, now)
    _must_be_owner(registration)
    if registration.estate_id != item.assembly.estate_id:
        raise CandidateError("您不是本小区的业主", "you are not an owner of this estate")
    candidate = _new(
        item,
        registration.holder,
        registration_id=registration.id,
        statement=(statement or "").strip()[:4000] or None,
        party_member=party_member,
        nominated_by="self",
        nominator_registration_id=registration.id,
        state="awaiting_consent",
        created_at=now,
    )
    record(
        "candidate.nominate",
        actor=owner_label(registration),
        estate_id=candidate.estate_id,
        obj=candidate,
        item=item.id,
        name=candidate.name,
        by="self",
    )
    return candidate


def find_owner(estate_id: int, unit_label: str, name: str):
    """The holder named ``name`` among the owners of unit ``unit_label`` (building-number)."""

    building, _, number = (unit_label or "").strip().partition("-")
    unit = db.session.scalar(
        select(Unit).join(Building).where(Unit.estate_id == estate_id, Building.name == building.strip(), Unit.number == number.strip())
    )
    if unit is None or unit.owner is None:
        raise CandidateError(f"没有找到房屋 {unit_label} 或它没有登记业主", f"no unit {unit_label}, or it has no owner of record")
    wanted = normalize_name(name or "")
    holder = next((h for h in unit.owner.holders if normalize_name(h.name) == wanted), None)
    if holder is None:
        raise CandidateError(f"{unit_label} 的业主中没有“{name}”", f"no owner named '{name}' holds {unit_label}")
    return holder


def nominate_other(item: AgendaItem, nominator, *, unit_label: str, name: str, now: datetime | None = None) -> Candidate:
    """An owner nominates another owner, who must consent (and commit) on their own phone."""

    now = now or utcnow()
    _open_for_nominations(item, now)
    _must_be_owner(nominator)
    holder = find_owner(item.assembly.estate_id, unit_label, name)
    if holder.id == nominator.holder_id:
        raise CandidateError("提名自己请使用“自荐”", "to nominate yourself, use self-nomination")
    nominee = db.session.scalar(
        select(Registration)
        .where(Registration.holder_id == holder.id, Registration.state == "approved")
        .order_by(Registration.id.desc())
        .limit(1)
    )
    if nominee is None:
        raise CandidateError(
            f"{holder.name} 还没有在线登记，无法在线确认提名；可请组织者录入纸质提名",
            f"{holder.name} has not registered online and cannot consent online; organisers can enter a paper nomination",
        )
    candidate = _new(
        item,
        holder,
        registration_id=nominee.id,
        nominated_by="owner",
        nominator_registration_id=nominator.id,
        state="awaiting_consent",
        created_at=now,
    )
    record(
        "candidate.nominate",
        actor=owner_label(nominator),
        estate_id=candidate.estate_id,
        obj=candidate,
        item=item.id,
        name=candidate.name,
        by="owner",
    )
    return candidate


def commitment_document(candidate: Candidate, challenge: str, origin: str) -> dict:
    """What the candidate's phone signs: the commitment's text (by hash), who, for which election."""
    text = COMMITMENT_ZH + "\n" + COMMITMENT_EN
    return {
        "type": "ownersvote-commitment",
        "v": 1,
        "origin": origin,
        "challenge": challenge,
        "assembly": candidate.item.assembly.log_id,
        "item": candidate.item.ballot_id,
        "candidate": candidate.name,
        "units": candidate.units,
        "statement_sha256": hashlib.sha256((candidate.statement or "").encode()).hexdigest(),
        "text_sha256": hashlib.sha256(text.encode()).hexdigest(),
    }


def sign_commitment(
    candidate: Candidate,
    registration,
    *,
    kid: str,
    signature: str,
    challenge: str,
    origin: str,
    statement: str | None = None,
    party_member: bool | None = None,
    now: datetime | None = None,
) -> None:
    """The candidate consents and commits, signing on their own registered phone."""

    now = now or utcnow()
    if candidate.registration_id != registration.id:
        raise CandidateError("只有候选人本人可以签署承诺", "only the candidate can sign the commitment")
    if candidate.state != "awaiting_consent":
        raise CandidateError("这份承诺已经签署过或提名已结束", "the commitment was already signed or the nomination is over")
    _open_for_nominations(candidate.item, now)
    if statement is not None:
        candidate.statement = statement.strip()[:4000] or None
    if party_member is not None:
        candidate.party_member = party_member
    key = db.session.scalar(
        select(DeviceKey).where(DeviceKey.kid == kid, DeviceKey.registration_id == registration.id, DeviceKey.state == "active")
    )
    if key is None:
        raise CandidateError(
            "这台设备的密钥无效，请在登记时使用的手机上签署", "this device's key is not valid: sign on the phone you registered"
        )
    spend("commitment", challenge)
    document = commitment_document(candidate, challenge, origin)
    try:
        verify(key.jwk, canonical_json(document), signature)
    except (CryptoError, ValueError) as exc:
        raise CandidateError("签名无效", f"the signature does not verify: {exc}") from exc
    candidate.commitment_sha256 = hashlib.sha256(canonical_json(document)).hexdigest()
    candidate.commitment_kid, candidate.commitment_sig, candidate.committed_at = kid, signature, now
    candidate.state = "submitted"
    db.session.flush()
    record(
        "candidate.commit",
        actor=owner_label(registration),
        estate_id=candidate.estate_id,
        obj=candidate,
        kid=kid,
        sha256=candidate.commitment_sha256,
    )


def decline(candidate: Candidate, registration) -> None:
    if candidate.registration_id != registration.id or candidate.state != "awaiting_consent":
        raise CandidateError("不能拒绝这项提名", "this nomination cannot be declined")
    candidate.state = "declined"
    db.session.flush()
    record("candidate.decline", actor=owner_label(registration), estate_id=candidate.estate_id, obj=candidate)


def paper_nomination(
    item: AgendaItem,
    *,
    actor,
    unit_label: str,
    name: str,
    statement: str,
    party_member: bool,
    scan: bytes,
    scan_name: str,
    now: datetime | None = None,
) -> Candidate:
    """An organiser enters a nomination made on paper, with the scan of the signed commitment."""

    now = now or utcnow()
    require_organiser(actor, item.assembly.estate_id)
    _open_for_nominations(item, now, online=False)
    holder = find_owner(item.assembly.estate_id, unit_label, name)
    candidate = _new(
        item,
        holder,
        statement=(statement or "").strip()[:4000] or None,
        party_member=party_member,
        nominated_by="paper",
        entered_by_id=actor.id,
        state="submitted",
        committed_at=now,
        created_at=now,
    )
    attachment = attach(item.assembly, actor=actor, kind="nomination", owner_id=candidate.id, data=scan, filename=scan_name)
    candidate.commitment_scan_id = attachment.id
    candidate.commitment_sha256 = attachment.sha256
    db.session.flush()
    record(
        "candidate.nominate",
        actor=actor,
        estate_id=candidate.estate_id,
        obj=candidate,
        item=item.id,
        name=candidate.name,
        by="paper",
        scan_sha256=attachment.sha256,
    )
    return candidate


def withdraw(candidate: Candidate, registration, now: datetime | None = None) -> None:
    now = now or utcnow()
    if candidate.registration_id != registration.id:
        raise CandidateError("只有候选人本人可以退出", "only the candidate can withdraw")
    if candidate.state in ("withdrawn", "declined", "rejected"):
        raise CandidateError("这项提名已经结束", "this nomination is already over")
    if candidate.item.assembly.state not in ("draft", "notice"):
        raise LifecycleError("投票已经开始，选票已定，不能再退出", "voting has started and the ballot is fixed: it is too late to withdraw")
    was_listed = candidate.id in (candidate.item.candidates_published or [])
    candidate.state = "withdrawn"
    if was_listed:
        touch(candidate.item.assembly)
    db.session.flush()
    record("candidate.withdraw", actor=owner_label(registration), estate_id=candidate.estate_id, obj=candidate, listed=was_listed)


def _require_supervisor(actor, estate_id: int) -> None:

    if not hasattr(actor, "role_in") or actor.role_in(estate_id) is not Role.supervisor:
        raise CandidateError("只有本小区的监督员可以进行资格审查", "only a supervisor of this estate vets candidates")


def decide(candidate: Candidate, *, actor, approve: bool, reason: str, now: datetime | None = None, link: str | None = None) -> None:
    """A supervisor's vetting decision, with the written reason the candidate reads; the
    candidate is told on their page (``link``: where the notice leads, their candidacy)."""
    now = now or utcnow()
    _require_supervisor(actor, candidate.estate_id)
    if not (reason or "").strip():
        raise CandidateError("请写明理由（候选人会看到）", "a written reason is required (the candidate will see it)")
    if candidate.state not in ("submitted", "approved", "rejected"):
        raise CandidateError("候选人尚未签署承诺，或已退出", "the candidate has not signed the commitment yet, or withdrew")
    if candidate.item.assembly.state not in ("draft", "notice"):
        raise LifecycleError("投票已经开始，不能再改变审查结果", "voting has started: vetting can no longer change")
    before = candidate.state
    candidate.state = "approved" if approve else "rejected"
    candidate.decision_reason, candidate.decided_by_id, candidate.decided_at = reason.strip()[:2000], actor.id, now
    if before == "approved" and not approve and candidate.id in (candidate.item.candidates_published or []):
        touch(candidate.item.assembly)
    db.session.flush()
    record(
        "candidate.vet",
        actor=actor,
        estate_id=candidate.estate_id,
        obj=candidate,
        name=candidate.name,
        decision=candidate.state,
        reason=candidate.decision_reason,
    )
    _tell_the_candidate(candidate, link)


def nominee_registrations(candidate: Candidate) -> list[int]:
    """The registrations of the person nominated: theirs if they were nominated online, else any
    approved registration of the same person (a paper nominee who registered a phone)."""
    if candidate.registration_id is not None:
        return [candidate.registration_id]
    return list(
        db.session.scalars(select(Registration.id).where(Registration.holder_id == candidate.holder_id, Registration.state == "approved"))
    )


def _tell_the_candidate(candidate: Candidate, link: str | None) -> None:
    item = candidate.item
    if candidate.state == "approved":
        zh = f"资格审查通过：您是“{item.title}”的候选人（{item.assembly.title}）。监督员写道：{candidate.decision_reason}"
        en = f"Vetting passed: you are a candidate in '{item.title}' ({item.assembly.title}). The supervisors wrote: {candidate.decision_reason}"
    else:
        zh = f"资格审查未通过：“{item.title}”（{item.assembly.title}）。监督员写道：{candidate.decision_reason}"
        en = f"Vetting not passed: '{item.title}' ({item.assembly.title}). The supervisors wrote: {candidate.decision_reason}"
    notify_people(
        nominee_registrations(candidate),
        candidate.estate_id,
        kind="vetting",
        zh=zh[:1000],
        en=en[:1000],
        url=link if candidate.registration_id is not None else None,
        assembly_id=candidate.assembly_id,
    )


def approved(item: AgendaItem) -> list[Candidate]:
    return list(
        db.session.scalars(
            select(Candidate).where(Candidate.item_id == item.id, Candidate.state == "approved").order_by(Candidate.name, Candidate.id)
        )
    )


def approved_ids(item: AgendaItem) -> list[int]:
    return [c.id for c in approved(item)]


def publish_list(item: AgendaItem, *, actor, now: datetime | None = None) -> list[int]:
    """Publish (公示) the approved candidates; the estate's period runs from now.  The list is
    in a neutral order (by name), never by any merit or policy measure."""
    now = now or utcnow()
    _require_supervisor(actor, item.assembly.estate_id)
    if not kind_of(item.form).takes_nominations:
        raise CandidateError("这个事项不是选举", "this item is not an election")
    if item.assembly.state not in ("draft", "notice"):
        raise LifecycleError("投票已经开始", "voting has started")
    pending = db.session.scalar(select(Candidate.id).where(Candidate.item_id == item.id, Candidate.state == "submitted").limit(1))
    if pending is not None:
        raise CandidateError("还有候选人未审查，请先完成资格审查", "some candidates are not vetted yet: finish vetting first")
    ids = approved_ids(item)
    if not ids:
        raise CandidateError("没有审查通过的候选人", "no candidate has been approved")
    item.candidates_published, item.candidates_published_at = ids, now
    touch(item.assembly)
    db.session.flush()
    record("candidates.publish", actor=actor, estate_id=item.assembly.estate_id, obj=item, candidates=ids, at=now.isoformat())
    return ids


def publication_ends(item: AgendaItem) -> datetime | None:
    if item.candidates_published_at is None:
        return None
    return item.candidates_published_at + timedelta(days=item.assembly.estate.candidate_publication_days)


def list_problems(item: AgendaItem, now: datetime) -> list[tuple[str, str]]:
    """What stops this election from going on a ballot now."""
    estate = item.assembly.estate
    ends = publication_ends(item)
    if ends is None:
        problems = [(f"“{item.title}”：候选人名单尚未公示", f"'{item.title}': the candidates' list has not been published")]
        if missing := shortfall(item):
            problems.append(missing)
        return problems
    problems = []
    if now < ends:
        problems.append(
            (
                f"“{item.title}”：候选人名单的公示期（{estate.candidate_publication_days} 天）要到 {local(ends, estate)} 才结束",
                f"'{item.title}': the candidates' list is on public display until {local(ends, estate)} "
                f"({estate.candidate_publication_days} days)",
            )
        )
    if missing := shortfall(item):
        problems.append(missing)
    return problems


def shortfall(item: AgendaItem) -> tuple[str, str] | None:
    """An election with fewer approved candidates than seats (on its list, once published): which
    one, and how many candidates it lacks; None if it has enough."""
    approved_now = approved_ids(item)
    if item.candidates_published is not None:
        approved_now = sorted(set(item.candidates_published) & set(approved_now))
    seats = item.seats or 0
    if len(approved_now) >= seats:
        return None
    missing = seats - len(approved_now)
    return (
        f"“{item.title}”：应选 {seats} 名，审查通过的候选人只有 {len(approved_now)} 名，还差 {missing} 名",
        f"'{item.title}': {seats} seat(s) to fill but only {len(approved_now)} approved candidate(s): {missing} more needed",
    )


@dataclass(frozen=True)
class Composition:
    candidates: int
    party_members: int
    target_percent: int | None

    @property
    def percent(self) -> int | None:
        return None if not self.candidates else (self.party_members * 100) // self.candidates

    @property
    def meets_target(self) -> bool | None:
        if self.target_percent is None or not self.candidates:
            return None
        return self.party_members * 100 >= self.target_percent * self.candidates


def composition(item: AgendaItem) -> Composition:
    """The approved list against the estate's policy target: information for supervisors only."""
    listed = approved(item)
    return Composition(len(listed), sum(c.party_member for c in listed), item.assembly.estate.party_target_percent)
