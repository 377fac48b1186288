"""What the owner's own page shows, gathered in one place (no request needed)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from sqlalchemy import or_, select

from webapp.assemblies.models import Assembly
from webapp.assemblies.operations import elections_of, nominations_open
from webapp.assemblies.presentation import estate_assemblies
from webapp.candidates.models import Candidate
from webapp.core.db import db, utcnow
from webapp.devices.models import DeviceKey
from webapp.evaluations.models import Evaluation, EvaluationIssue
from webapp.evaluations.operations import phase
from webapp.owners.models import Registration
from webapp.owners.notifications import recent
from webapp.petitions.operations import owner_petitions
from webapp.proxies.models import Proxy
from webapp.registry.models import Unit
from webapp.registry.operations import estate_roster
from webapp.rolls.models import Roll, RollEntry, RollSupplement
from webapp.rolls.operations import typical_signing_time
from webapp.voting.models import Ballot
from webapp.voting.voters import household_ballot


def owner_page_context(registration: Registration, waiting: list[RollSupplement] = ()) -> dict:
    """``waiting``: the supplements to the roll that the owner's new key waits for (no ballot is
    offered in those assemblies until they are signed)."""
    estate = registration.estate
    roster, _owners = estate_roster(estate)
    member = next((m for m in roster.members if m.id == registration.member_ref), None)
    units = []
    if registration.owner_id is not None:
        units = list(db.session.scalars(select(Unit).where(Unit.owner_id == registration.owner_id)))
    keys = list(
        db.session.scalars(
            select(DeviceKey)
            .join(Registration, DeviceKey.registration_id == Registration.id)
            .where(Registration.holder_id == registration.holder_id if registration.holder_id else Registration.id == registration.id)
            .order_by(DeviceKey.created_at)
        )
    )
    roll = db.session.scalar(select(Roll).where(Roll.estate_id == estate.id).order_by(Roll.seq.desc()).limit(1))
    entry = None
    if roll is not None and registration.member_ref:
        entry = db.session.scalar(select(RollEntry).where(RollEntry.roll_id == roll.id, RollEntry.member_ref == registration.member_ref))
    return {
        "notices": recent(registration),
        "assemblies": owner_assemblies(registration, waiting),
        "keys_waiting": waiting,
        "signing_hours": typical_signing_time(estate) if waiting else None,
        "candidacies": candidacies(registration),
        "evaluations": owner_evaluations(registration),
        "petitions": owner_petitions(registration),
        "proxy": _proxy_of(registration),
        "my_proxies": proxies_given(registration),
        "registration": registration,
        "estate": estate,
        "member": member,
        "units": units,
        "keys": keys,
        "roster": roster,
        "roll": roll,
        "roll_entry": entry,
        # A roll is frozen for an assembly: its number alone tells an owner nothing.
        "roll_for": []
        if roll is None
        else list(db.session.scalars(select(Assembly.title).where(Assembly.roll_id == roll.id).order_by(Assembly.id))),
    }


@dataclass(frozen=True)
class OwnerAssembly:
    """One assembly on the owner's page, with what the owner can do there now."""

    assembly: object
    nominate: bool
    vote: bool
    results: bool
    ballot: Ballot | None = None  # the household's ballot, once it has voted (open or closed)
    calling: bool = False  # a draft whose organisers call for candidates: shown as that call only
    elections: list[str] = field(default_factory=list)  # the elections that take nominations now


def _proxy_of(registration: Registration):
    if registration.proxy_id is None:
        return None

    return db.session.get(Proxy, registration.proxy_id)


def owner_assemblies(registration: Registration, waiting: list[RollSupplement] = ()) -> list[OwnerAssembly]:
    # A ballot whose key is not yet on the roll would be refused at signing: not offered.
    held = {s.assembly_id for s in waiting}
    return [replace(a, vote=False) if a.assembly.id in held else a for a in _owner_assemblies(registration)]


def _owner_assemblies(registration: Registration) -> list[OwnerAssembly]:
    """The estate's assemblies an owner can act on: those with a published notice, and drafts
    whose organisers have called for candidates, shown as that call alone (a draft itself is the
    organisers' working copy, never shown to owners).  A proxy sees only the assembly of their
    proxy."""

    if registration.state != "approved":
        return []
    now = utcnow()
    proxy = _proxy_of(registration)
    out = []
    for assembly in estate_assemblies(registration.estate):
        if proxy is not None and assembly.id != proxy.assembly_id:
            continue
        may_nominate = proxy is None and registration.holder_id is not None and nominations_open(assembly, now)
        if assembly.state == "draft" and not may_nominate:
            continue
        voted = household_ballot(assembly, registration) if assembly.state not in ("draft", "notice") else None
        may_vote = assembly.state == "voting" and (registration.can_vote or proxy is not None)
        out.append(
            OwnerAssembly(
                assembly,
                nominate=may_nominate,
                # Once the household has voted, the page says so (with the receipt) instead of
                # offering a ballot; where ballots may be replaced, it offers that, quietly.
                vote=may_vote and (voted is None or assembly.replace_allowed),
                results=assembly.state in ("tallied", "certified", "published", "archived"),
                ballot=voted,
                calling=assembly.state == "draft",
                elections=[i.title for i in elections_of(assembly)] if may_nominate else [],
            )
        )
    return out


def candidacies(registration: Registration) -> list:
    """The owner's own nominations, online or entered from paper: to accept and sign, or to read
    the supervisors' decision and its reason."""

    mine = Candidate.registration_id == registration.id
    if registration.holder_id is not None:
        mine = or_(mine, Candidate.holder_id == registration.holder_id)
    return list(db.session.scalars(select(Candidate).where(mine).order_by(Candidate.created_at.desc())))


def proxies_given(registration: Registration) -> list[tuple]:
    """The letters of proxy in force for the owner's household, with their assembly: the owner
    sees who votes for them, and may withdraw a letter until the roll is frozen."""

    if registration.owner_id is None or registration.state != "approved":
        return []
    found = db.session.scalars(
        select(Proxy)
        .where(Proxy.owner_id == registration.owner_id, Proxy.state.in_(("pending", "approved")))
        .order_by(Proxy.created_at.desc())
    )
    return [(proxy, db.session.get(Assembly, proxy.assembly_id)) for proxy in found]


@dataclass(frozen=True)
class OwnerEvaluation:
    """An evaluation of the firm on the owner's page: open to answer, or its result published."""

    evaluation: Evaluation
    phase: str
    answer: bool  # the household may still take its token and answer now
    taken: bool  # the household has taken its token (whether it answered is recorded nowhere)


def owner_evaluations(registration: Registration) -> list[OwnerEvaluation]:
    """The estate's evaluations that are open now or whose result is published (newest first)."""
    if registration.state != "approved":
        return []
    now = utcnow()
    taken: set[int] = set()
    if registration.member_ref:
        taken = set(db.session.scalars(select(EvaluationIssue.evaluation_id).where(EvaluationIssue.member_ref == registration.member_ref)))
    out = []
    for evaluation in db.session.scalars(
        select(Evaluation).where(Evaluation.estate_id == registration.estate_id).order_by(Evaluation.closes.desc())
    ):
        state = phase(evaluation, now)
        if state not in ("open", "published"):
            continue
        mine = evaluation.id in taken
        out.append(OwnerEvaluation(evaluation, state, answer=state == "open" and registration.can_vote and not mine, taken=mine))
    return out
