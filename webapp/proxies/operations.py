"""Proxies (docs/architecture.md, webapp/proxies): an owner authorises one person in writing to vote for them in one
named assembly.  The organiser uploads the scanned letter (its SHA-256 kept); a supervisor
approves or rejects it with a reason before the roll for that assembly freezes; the approved
proxy gets a letter of their own and registers a device key, which goes on the roll as the
member's proxy key.  The owner can withdraw until the roll freezes.  One person represents at
most as many owners as the estate allows (3 by default)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from webapp.audit.operations import record
from webapp.core.db import db, utcnow
from webapp.core.errors_base import UserError
from webapp.core.identity import keyed_hash, normalize_id
from webapp.core.roles import Role
from webapp.devices.models import DeviceKey
from webapp.owners import tokens
from webapp.owners.matching import normalize_name
from webapp.owners.models import Invitation, Registration
from webapp.owners.operations import IssuedLetter, member_ref_for
from webapp.proxies.models import Proxy
from webapp.registry.models import Building, Unit


class ProxyError(UserError):
    pass


def _before_freeze(assembly) -> None:
    if assembly.state not in ("draft", "notice"):
        raise ProxyError("投票已经开始，不能再办理委托", "voting has started: proxies can no longer change")
    if assembly.roll_id is not None:
        raise ProxyError(
            "本次会议的表决名册已冻结：委托须在冻结前办理", "this assembly's roll is frozen: proxies must be settled before the freeze"
        )


def _role(actor, estate_id, role_value: str) -> None:

    if not hasattr(actor, "role_in") or actor.role_in(estate_id) is not Role(role_value):
        raise ProxyError("您没有办理这一步的权限", "you may not do this step")


def create(
    assembly,
    *,
    actor,
    unit_label: str,
    proxy_name: str,
    proxy_id_tail: str,
    scope: str,
    signed_on: date,
    scan_id: int,
    scan_sha256: str,
    pii_key: str,
) -> Proxy:

    _role(actor, assembly.estate_id, "organiser")
    _before_freeze(assembly)
    building, _, number = (unit_label or "").strip().partition("-")
    unit = db.session.scalar(
        select(Unit)
        .join(Building)
        .where(Unit.estate_id == assembly.estate_id, Building.name == building.strip(), Unit.number == number.strip())
    )
    if unit is None or unit.owner is None:
        raise ProxyError(f"没有找到房屋 {unit_label}，或它没有登记业主", f"no unit {unit_label}, or it has no owner of record")
    member = member_ref_for(unit.owner)
    if member is None:
        raise ProxyError("这套房屋尚未交付，由开发建设单位投票", "this unit is not delivered: the developer votes for it")
    tail = normalize_id(proxy_id_tail or "")
    if len(tail) != 6:
        raise ProxyError("请填写受托人身份证号的后六位", "give the last six characters of the proxy's identity number")
    if not (proxy_name or "").strip():
        raise ProxyError("请填写受托人姓名", "give the proxy's name")
    if not (scope or "").strip():
        raise ProxyError("请写明委托范围", "state the scope of the authorisation")
    if (
        db.session.scalar(
            select(Proxy.id).where(Proxy.assembly_id == assembly.id, Proxy.member_ref == member, Proxy.state.in_(("pending", "approved")))
        )
        is not None
    ):
        raise ProxyError(
            "这位业主在本次会议已有一份有效或待审的委托书", "this owner already has a proxy, pending or approved, for this assembly"
        )
    proxy = Proxy(
        estate_id=assembly.estate_id,
        assembly_id=assembly.id,
        owner_id=unit.owner_id,
        member_ref=member,
        unit_id=unit.id,
        proxy_name=proxy_name.strip()[:200],
        proxy_tail_hash=keyed_hash(pii_key, tail, purpose="id-tail"),
        proxy_tail_masked="****" + tail[-2:],
        scope=scope.strip()[:2000],
        signed_on=signed_on,
        scan_id=scan_id,
        scan_sha256=scan_sha256,
        state="pending",
        created_by_id=actor.id,
    )
    db.session.add(proxy)
    db.session.flush()
    record(
        "proxy.submit",
        actor=actor,
        estate_id=assembly.estate_id,
        obj=proxy,
        unit=unit.label,
        proxy=proxy.proxy_name,
        scan_sha256=scan_sha256,
    )
    return proxy


def decide(proxy: Proxy, assembly, *, actor, approve: bool, reason: str) -> None:
    _role(actor, assembly.estate_id, "supervisor")
    _before_freeze(assembly)
    if proxy.state != "pending":
        raise ProxyError("这份委托书已处理过", "this letter of proxy was already decided")
    if not (reason or "").strip():
        raise ProxyError("请写明理由", "a written reason is required")
    if approve:
        held = db.session.scalar(
            select(func.count(Proxy.id)).where(
                Proxy.assembly_id == assembly.id, Proxy.state == "approved", Proxy.proxy_tail_hash == proxy.proxy_tail_hash
            )
        )
        same_person = [
            p
            for p in db.session.scalars(
                select(Proxy).where(
                    Proxy.assembly_id == assembly.id, Proxy.state == "approved", Proxy.proxy_tail_hash == proxy.proxy_tail_hash
                )
            )
            if normalize_name(p.proxy_name) == normalize_name(proxy.proxy_name)
        ]
        cap = assembly.estate.proxy_cap
        if len(same_person) >= cap:
            raise ProxyError(
                f"{proxy.proxy_name} 已代理 {held} 位业主，达到本小区上限（{cap} 位）",
                f"{proxy.proxy_name} already represents {held} owners, the estate's limit ({cap})",
            )
    proxy.state = "approved" if approve else "rejected"
    proxy.decided_by_id, proxy.decided_at, proxy.reason = actor.id, utcnow(), reason.strip()[:2000]
    db.session.flush()
    record("proxy.decide", actor=actor, estate_id=assembly.estate_id, obj=proxy, decision=proxy.state, reason=proxy.reason)


def withdraw(proxy: Proxy, assembly, *, by, reason: str = "") -> None:
    """The owner (on their page) or an organiser (with the owner's written withdrawal)."""
    _before_freeze(assembly)
    if proxy.state not in ("pending", "approved"):
        raise ProxyError("这份委托书已不再有效", "this proxy is no longer in force")
    proxy.state, proxy.reason = "withdrawn", (reason or "withdrawn by the owner").strip()[:2000]
    db.session.flush()

    for registration in db.session.scalars(select(Registration).where(Registration.proxy_id == proxy.id)):
        registration.can_vote = False
        for key in registration.keys:
            if key.state != "revoked":
                key.state, key.revoked_at, key.revoked_reason = "revoked", utcnow(), "proxy withdrawn"
    record("proxy.withdraw", actor=by, estate_id=assembly.estate_id, obj=proxy, reason=proxy.reason)


def issue_letter(proxy: Proxy, assembly, *, actor, pii_key: str):
    """The approved proxy's own QR letter (its registration checks the proxy's name and ID tail)."""

    _role(actor, assembly.estate_id, "organiser")
    if proxy.state != "approved":
        raise ProxyError("委托书获批后才能为受托人打印告知书", "the proxy's letter can be printed once the proxy is approved")
    _before_freeze(assembly)
    from datetime import timedelta

    now = utcnow()
    for old in db.session.scalars(select(Invitation).where(Invitation.proxy_id == proxy.id, Invitation.state == "active")):
        old.state, old.void_reason = "void", "reissued"
    token, code = tokens.new_token(), tokens.new_code()
    invitation = Invitation(
        estate_id=assembly.estate_id,
        unit_id=proxy.unit_id,
        token_hash=tokens.token_hash(token),
        code_hash=tokens.code_hash(pii_key, code),
        issued_by_id=actor.id,
        issued_at=now,
        expires_at=now + timedelta(days=assembly.estate.letter_valid_days),
        state="active",
        proxy_id=proxy.id,
    )
    db.session.add(invitation)
    db.session.flush()
    record("proxy.letter", actor=actor, estate_id=assembly.estate_id, obj=proxy, invitation=invitation.id)
    return IssuedLetter(invitation, proxy.unit, token, code)


def check_proxy_identity(invitation, name: str, id_tail: str, *, pii_key: str) -> Proxy | None:
    import hmac

    proxy = db.session.get(Proxy, invitation.proxy_id)
    tail = normalize_id(id_tail or "")
    if proxy is None or proxy.state != "approved" or len(tail) != 6:
        return None
    ok = hmac.compare_digest(proxy.proxy_tail_hash, keyed_hash(pii_key, tail, purpose="id-tail"))
    return proxy if ok and normalize_name(name) == normalize_name(proxy.proxy_name) else None


def proxy_keys_by_member(assembly) -> dict[str, list[dict]]:
    """The active keys of the approved proxies of this assembly, by the member they vote for."""

    rows = db.session.execute(
        select(Proxy.member_ref, DeviceKey.jwk)
        .join(Registration, Registration.proxy_id == Proxy.id)
        .join(DeviceKey, DeviceKey.registration_id == Registration.id)
        .where(Proxy.assembly_id == assembly.id, Proxy.state == "approved", Registration.state == "approved", DeviceKey.state == "active")
    )
    out: dict[str, list[dict]] = {}
    for member_ref, jwk in rows:
        out.setdefault(member_ref, []).append(jwk)
    return out


def freeze_problems(assembly) -> list[tuple[str, str]]:
    """A roll is frozen only once every letter of proxy for its assembly is decided."""
    pending = db.session.scalar(select(Proxy.id).where(Proxy.assembly_id == assembly.id, Proxy.state == "pending").limit(1))
    if pending is not None:
        return [
            ("还有委托书等待审核：请先处理，再冻结名册", "letters of proxy are still waiting for a decision: decide them before freezing")
        ]
    return []
