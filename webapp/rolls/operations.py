"""Freezing the electoral roll and collecting the supervisors' browser-made signatures."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

from sqlalchemy import func, select

from crypto import bundle as bundle_mod
from crypto import roll as croll
from crypto.canonical import canonical_json
from crypto.errors import CryptoError
from crypto.keys import verify
from webapp.assemblies import hooks
from webapp.audit.operations import record
from webapp.auth.models import StaffUser
from webapp.core.db import db, utcnow
from webapp.core.errors_base import UserError
from webapp.core.roles import Role
from webapp.devices.models import DeviceKey
from webapp.estates.models import Estate
from webapp.owners.operations import voting_keys_by_member
from webapp.registry.operations import estate_roster
from webapp.rolls.models import Roll, RollEntry, RollSignature
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
