"""Freezing the electoral roll and collecting the supervisors' browser-made signatures."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

from sqlalchemy import func, select, text

from crypto import bundle as bundle_mod
from crypto import roll as croll
from crypto.bundle import by_kid
from crypto.canonical import canonical_json
from crypto.errors import CryptoError
from crypto.keys import jwk_thumbprint, verify
from crypto.supplement import supplement_payload
from webapp.assemblies import hooks
from webapp.assemblies.models import Assembly
from webapp.audit.operations import record
from webapp.auth.models import StaffUser
from webapp.core.db import db, utcnow
from webapp.core.errors_base import UserError
from webapp.core.roles import Role
from webapp.devices.models import DeviceKey
from webapp.estates.models import Estate
from webapp.owners.models import Registration
from webapp.owners.operations import voting_keys_by_member
from webapp.registry.operations import estate_roster
from webapp.rolls.models import Roll, RollEntry, RollSignature, RollSupplement, RollSupplementSignature
from webapp.rolls.verification import supervisor_keys


class RollError(UserError):
    pass


def pseudonym_secret(pii_key: str) -> bytes:
    return hmac.new(pii_key.encode(), b"roll-pseudonym", hashlib.sha256).digest()


def roll_label(estate: Estate, seq: int) -> str:
    return f"{estate.slug}/roll-{seq}"


def freeze_roll(estate: Estate, *, actor: StaffUser, pii_key: str, now: datetime | None = None, assembly=None) -> Roll:
    """Every voting member with area, heads, a pseudonym and its registered voting keys; the
    Merkle root over them.  Frozen rows are never updated: a changed registry needs a new roll.

    Frozen for an assembly, it also carries the keys of that assembly's approved proxies, and the
    assembly votes on it."""
    if actor.role_in(estate.id) is not Role.supervisor:
        raise RollError("只有监督员可以冻结名册", "only a supervisor can freeze the roll")
    now = now or utcnow()
    seq = (db.session.scalar(select(func.max(Roll.seq)).where(Roll.estate_id == estate.id)) or 0) + 1
    roster, _owners = estate_roster(estate)
    if not roster.members:
        raise RollError("名册为空，请先导入房屋和业主", "the registry is empty: import it first")
    keys = voting_keys_by_member(estate)
    proxies: dict[str, list[dict]] = {}
    if assembly is not None:
        if assembly.estate_id != estate.id or assembly.state not in ("draft", "notice"):
            raise RollError(
                "只能为尚未开始投票的本小区会议冻结名册",
                "a roll can be frozen only for an assembly of this estate that has not started voting",
            )
        if assembly.roll_id is not None:
            raise RollError("这次会议已有冻结的名册", "this assembly already has a frozen roll")
        problems = hooks.roll_freeze_problems(assembly)
        if problems:
            raise RollError("；".join(zh for zh, _ in problems), "; ".join(en for _, en in problems))
        proxies = hooks.roll_extra_keys(assembly)
    secret = pseudonym_secret(pii_key)
    built = []
    for member in roster.members:
        pseudonym = croll.pseudonymous_member_id(secret, str(estate.id), str(seq), member.id)
        entry = croll.roll_entry(pseudonym, member.area_centi, member.heads, keys.get(member.id, []), proxies.get(member.id, []))
        built.append((pseudonym, member, entry))
    built.sort(key=lambda row: row[0])
    entries = [row[2] for row in built]
    root = croll.roll_root(entries)
    area, heads = croll.roll_totals(entries)
    payload = croll.roll_payload(
        str(estate.id),
        roll_label(estate, seq),
        root,
        len(entries),
        area,
        heads,
        int(now.timestamp() * 1000),
        estate.roll_signatures_required,
    )
    roll = Roll(
        estate_id=estate.id,
        seq=seq,
        frozen_at=now,
        frozen_by_id=actor.id,
        root=root.hex(),
        size=len(entries),
        total_area_centi=roster.total_area_centi,
        total_heads=roster.total_heads,
        required_signatures=estate.roll_signatures_required,
        payload=payload,
        state="signing",
    )
    roll.entries = [
        RollEntry(position=i, member=pseudonym, member_ref=member.id, area_centi=member.area_centi, heads=member.heads, entry=entry)
        for i, (pseudonym, member, entry) in enumerate(built)
    ]
    db.session.add(roll)
    db.session.flush()
    if assembly is not None:
        assembly.roll_id = roll.id
    record(
        "roll.freeze",
        actor=actor,
        estate_id=estate.id,
        obj=roll,
        seq=seq,
        root=roll.root,
        size=roll.size,
        keys=sum(len(e["keys"]) for e in entries),
        assembly=getattr(assembly, "id", None),
        proxy_keys=sum(len(v) for v in proxies.values()),
    )
    return roll


def signing_message(roll: Roll) -> bytes:
    return canonical_json(roll.payload)


def add_signature(roll: Roll, estate: Estate, *, actor: StaffUser, kid: str, sig: str) -> RollSignature:
    """A supervisor's signature, made in their browser with their own device key."""
    if actor.role_in(estate.id) is not Role.supervisor:
        raise RollError("只有本小区的监督员可以签署名册", "only a supervisor of this estate can sign its roll")
    key = db.session.scalar(select(DeviceKey).where(DeviceKey.kid == kid, DeviceKey.staff_user_id == actor.id, DeviceKey.state == "active"))
    if key is None:
        raise RollError("这不是您已登记的有效设备密钥", "that is not an active device key of yours")
    if any(s.staff_user_id == actor.id for s in roll.signatures):
        raise RollError("您已签署过这份名册", "you have already signed this roll")
    try:
        verify(key.jwk, signing_message(roll), sig)
    except (CryptoError, ValueError) as exc:
        raise RollError("签名无效", f"the signature does not verify: {exc}") from exc
    signature = RollSignature(roll_id=roll.id, staff_user_id=actor.id, kid=kid, jwk=key.jwk, sig=sig)
    roll.signatures.append(signature)
    db.session.flush()
    if len(roll.signatures) >= roll.required_signatures and roll.state != "certified":
        roll.state = "certified"
    record(
        "roll.sign",
        actor=actor,
        estate_id=estate.id,
        obj=roll,
        kid=kid,
        signatures=len(roll.signatures),
        certified=roll.state == "certified",
    )
    return signature


def roll_document(roll: Roll, estate: Estate) -> dict:
    """The public roll, in the verifier's roll format (the audit bundle's ``supervisors`` and
    ``roll`` sections): ``ownersvote verify`` checks it offline.  Only what a signature covers."""

    payload = roll.payload
    trusted = supervisor_keys(estate.id)
    supervisors, seen = [], set()
    for signature in roll.signatures:
        if signature.kid in seen:
            continue
        seen.add(signature.kid)
        supervisors.append({"kid": signature.kid, "jwk": trusted.get(signature.kid, signature.jwk)})
    return {
        "format": "ownersvote-roll",
        "version": 2,
        "estate": {"id": payload["estate"]},
        "supervisors": bundle_mod.by_kid(supervisors),
        "roll": {
            "id": payload["roll"],
            "frozen_at": payload["frozen_at"],
            "root": payload["root"],
            "size": payload["size"],
            "area": payload["area"],
            "heads": payload["heads"],
            "required_signatures": payload["required_signatures"],
            "signatures": bundle_mod.by_kid({"kid": s.kid, "sig": s.sig} for s in roll.signatures),
            # The column alone, in order (loading 20,000 entry objects cost about 2 s).
            "entries": list(db.session.scalars(select(RollEntry.entry).where(RollEntry.roll_id == roll.id).order_by(RollEntry.position))),
        },
    }


# ---------------------------------------------------------------- roll supplements
#
# A key made after the roll froze (a late registration, a replaced phone) is on no roll, so its
# ballot would be refused.  The server drafts a supplement for the assembly's roll that adds the
# member's new key and revokes the old one (crypto.supplement); the estate's supervisors sign it
# in their browsers, k of n as the roll; from its last required signature, casting and both
# verifiers take the member's keys from the roll together with its certified supplements.

SUPPLEMENT_STATES = ("draft", "notice", "voting")  # until the close


def _member_entry(assembly, member_ref: str) -> RollEntry | None:
    return db.session.scalar(select(RollEntry).where(RollEntry.roll_id == assembly.roll_id, RollEntry.member_ref == member_ref))


def certified_supplements(assembly_id: int, member: str | None = None) -> list[RollSupplement]:
    """The assembly's certified supplements in the order they took effect."""
    query = select(RollSupplement).where(RollSupplement.assembly_id == assembly_id, RollSupplement.state == "certified")
    if member is not None:
        query = query.where(RollSupplement.member == member)
    return list(db.session.scalars(query.order_by(RollSupplement.log_from, RollSupplement.certified_at, RollSupplement.id)))


def keys_in_force(assembly, member: str, entry: dict | None = None) -> tuple[dict[str, tuple[dict, str]], set[str]]:
    """(kid → (jwk, use) of the member's keys in force now, kids revoked by a supplement): the
    frozen roll's entry with the certified supplements applied in order."""
    if entry is None:
        entry = db.session.scalar(select(RollEntry.entry).where(RollEntry.roll_id == assembly.roll_id, RollEntry.member == member))
    if entry is None:
        return {}, set()
    keys = {jwk_thumbprint(k["jwk"]): (k["jwk"], k["use"]) for k in entry["keys"]}
    revoked: set[str] = set()
    found = certified_supplements(assembly.id, member)
    trusted = supervisor_keys(assembly.estate_id) if found else {}
    for supplement in found:
        if not supplement_intact(supplement, assembly, trusted):
            continue  # a state no signatures bear out counts for nothing (and the integrity check names it)
        for key in supplement.payload["add"]:
            keys[jwk_thumbprint(key["jwk"])] = (key["jwk"], key["use"])
        for kid in supplement.payload["revoke"]:
            keys.pop(kid, None)
            revoked.add(kid)
    return keys, revoked


def supplement_intact(supplement: RollSupplement, assembly, trusted: dict[str, dict]) -> bool:
    """Do the stored signatures bear out the supplement: its payload names this assembly and its
    roll, and enough of the estate's supervisors signed exactly those bytes?"""
    payload = supplement.payload
    roll = db.session.get(Roll, assembly.roll_id)
    if payload.get("assembly") != assembly.log_id or payload.get("roll_root") != roll.root or supplement.log_from is None:
        return False
    valid, _problems = croll.check_signatures(payload, [{"kid": x.kid, "sig": x.sig} for x in supplement.signatures], trusted)
    return len(valid) >= roll.required_signatures


def pending_supplement(assembly_id: int, member_ref: str) -> RollSupplement | None:
    return db.session.scalar(
        select(RollSupplement).where(
            RollSupplement.assembly_id == assembly_id, RollSupplement.member_ref == member_ref, RollSupplement.state == "signing"
        )
    )


def _active_voting_keys(estate_id: int, member_ref: str) -> list[dict]:

    return list(
        db.session.scalars(
            select(DeviceKey.jwk)
            .join(Registration, DeviceKey.registration_id == Registration.id)
            .where(
                Registration.estate_id == estate_id,
                Registration.member_ref == member_ref,
                Registration.state == "approved",
                Registration.can_vote.is_(True),
                DeviceKey.state == "active",
            )
        )
    )


def request_supplements(registration, *, now: datetime | None = None) -> list[RollSupplement]:
    """For each assembly whose roll is frozen and that has not closed, make sure the member's
    active voting keys are on the roll or asked for: draft a supplement (and void an older draft
    that asked for something else).  Returns the supplements waiting for signatures."""
    if registration.state != "approved" or not registration.can_vote or not registration.member_ref:
        return []
    estate = registration.estate
    wanted = {jwk_thumbprint(jwk): jwk for jwk in _active_voting_keys(estate.id, registration.member_ref)}
    if not wanted:
        return []

    waiting = []
    assemblies = db.session.scalars(
        select(Assembly).where(Assembly.estate_id == estate.id, Assembly.roll_id.is_not(None), Assembly.state.in_(SUPPLEMENT_STATES))
    )
    for assembly in assemblies:
        row = _member_entry(assembly, registration.member_ref)
        if row is None:
            continue
        in_force, _revoked = keys_in_force(assembly, row.member, row.entry)
        voting = {kid for kid, (_jwk, use) in in_force.items() if use == croll.VOTE}
        add = sorted(set(wanted) - voting)
        if not add:
            continue
        revoke = sorted(voting - set(wanted))
        pending = pending_supplement(assembly.id, registration.member_ref)
        if pending is not None:
            if [jwk_thumbprint(k["jwk"]) for k in pending.payload["add"]] == add and pending.payload["revoke"] == revoke:
                waiting.append(pending)
                continue
            pending.state = "void"
        waiting.append(_draft_supplement(assembly, row, [wanted[k] for k in add], revoke, now=now))
    return waiting


def _draft_supplement(assembly, row: RollEntry, add: list[dict], revoke: list[str], *, now: datetime | None) -> RollSupplement:
    roll = db.session.get(Roll, assembly.roll_id)
    seq = (db.session.scalar(select(func.max(RollSupplement.seq)).where(RollSupplement.assembly_id == assembly.id)) or 0) + 1
    payload = supplement_payload(
        estate=roll.payload["estate"],
        roll=roll.payload["roll"],
        roll_root=roll.payload["root"],
        assembly=assembly.log_id,
        seq=seq,
        member=row.member,
        add=add,
        revoke=revoke,
        made_at=int((now or utcnow()).timestamp() * 1000),
        required_signatures=roll.required_signatures,
    )
    supplement = RollSupplement(
        roll_id=roll.id,
        assembly_id=assembly.id,
        seq=seq,
        member=row.member,
        member_ref=row.member_ref,
        required_signatures=roll.required_signatures,
        payload=payload,
        state="signing",
    )
    db.session.add(supplement)
    db.session.flush()
    record(
        "roll.supplement",
        estate_id=assembly.estate_id,
        obj=supplement,
        assembly=assembly.id,
        member=row.member,
        keys_added=len(add),
        keys_revoked=len(revoke),
    )
    return supplement


def add_supplement_signature(
    supplement: RollSupplement, estate: Estate, *, actor: StaffUser, kid: str, sig: str
) -> RollSupplementSignature:
    """A supervisor's signature on a supplement, made in their browser; the last one required
    puts it in force from the ballot log's present size."""
    if actor.role_in(estate.id) is not Role.supervisor:
        raise RollError("只有本小区的监督员可以签署名册补充", "only a supervisor of this estate can sign its roll supplements")
    if supplement.state != "signing":
        raise RollError("这份名册补充已不再等待签名", "this roll supplement is no longer waiting for signatures")

    assembly = db.session.get(Assembly, supplement.assembly_id)
    if assembly.state not in SUPPLEMENT_STATES:
        raise RollError("投票已截止，名册补充不能再签署", "voting has closed: the supplement can no longer be signed")
    key = db.session.scalar(select(DeviceKey).where(DeviceKey.kid == kid, DeviceKey.staff_user_id == actor.id, DeviceKey.state == "active"))
    if key is None:
        raise RollError("这不是您已登记的有效设备密钥", "that is not an active device key of yours")
    if any(s.staff_user_id == actor.id for s in supplement.signatures):
        raise RollError("您已签署过这份名册补充", "you have already signed this roll supplement")
    try:
        verify(key.jwk, canonical_json(supplement.payload), sig)
    except (CryptoError, ValueError) as exc:
        raise RollError("签名无效", f"the signature does not verify: {exc}") from exc
    signature = RollSupplementSignature(supplement_id=supplement.id, staff_user_id=actor.id, kid=kid, jwk=key.jwk, sig=sig)
    supplement.signatures.append(signature)
    db.session.flush()
    if len(supplement.signatures) >= supplement.required_signatures:
        _put_in_force(supplement, assembly)
    record(
        "roll.supplement_sign",
        actor=actor,
        estate_id=estate.id,
        obj=supplement,
        kid=kid,
        signatures=len(supplement.signatures),
        in_force=supplement.state == "certified",
    )
    return signature


def _put_in_force(supplement: RollSupplement, assembly) -> None:
    """From the ballot log's present size: every ballot stored before is integrated before any
    later one (in id order), and ballots wait for this lock on the assembly row."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT 1 FROM assemblies WHERE id = :id FOR UPDATE"), {"id": assembly.id})
    # The ballots table belongs to webapp.voting, a floor above: counted by name.
    supplement.log_from = db.session.scalar(text("SELECT count(*) FROM ballots WHERE assembly_id = :id"), {"id": assembly.id}) or 0
    supplement.state = "certified"
    supplement.certified_at = utcnow()


def pending_supplements(estate: Estate) -> list[RollSupplement]:
    """Supplements of the estate's open assemblies waiting for supervisors' signatures."""

    return list(
        db.session.scalars(
            select(RollSupplement)
            .join(Assembly, Assembly.id == RollSupplement.assembly_id)
            .where(Assembly.estate_id == estate.id, Assembly.state.in_(SUPPLEMENT_STATES), RollSupplement.state == "signing")
            .order_by(RollSupplement.created_at)
        )
    )


def supplement_records(assembly_id: int) -> list[dict]:
    """The bundle's ``supplements``: the certified ones as signed, in the order they took effect."""
    return [
        {"payload": s.payload, "signatures": by_kid({"kid": x.kid, "sig": x.sig} for x in s.signatures), "from": s.log_from}
        for s in certified_supplements(assembly_id)
    ]


def supplement_signatures(assembly_id: int) -> list[RollSupplementSignature]:
    """Every signature on the assembly's certified supplements (their keys join the bundle's supervisors)."""
    return [signature for supplement in certified_supplements(assembly_id) for signature in supplement.signatures]


def typical_signing_time(estate: Estate) -> int | None:
    """Hours the estate's supervisors took (the median) to put a supplement in force, or None
    before the first one: what the owner's page says to expect."""
    rows = db.session.execute(
        select(RollSupplement.created_at, RollSupplement.certified_at)
        .join(Roll, Roll.id == RollSupplement.roll_id)
        .where(Roll.estate_id == estate.id, RollSupplement.state == "certified")
    ).all()
    if not rows:
        return None
    hours = sorted(max(1, round((certified - created).total_seconds() / 3600)) for created, certified in rows)
    return hours[len(hours) // 2]
