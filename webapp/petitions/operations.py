"""Owners' petitions for an extraordinary meeting (业主大会和业主委员会指导规则 Art. 21): starting
one, signing it on the phone, its progress against the shares, lapsing and succeeding.

Who may sign is fixed when the petition starts, as a roll fixes it: every voting member of the
estate then (SPC interpretation Art. 8–9, webapp.registry.counting), with its area and heads.  A
signature is accepted only if it is the canonical signature document (crypto/petition.py) naming
this petition and its digest, signed by an active device key of the member's voting
representative, inside the signing window, and the member has not signed yet: one signature per
member, never replaced nor withdrawn.  Each accepted signature is a leaf of the petition's own
RFC 6962 log, under a tree head the server signs at once.

When the signatures reach both shares, signing ends: the committee (the organisers) and the
supervisors are told, the deadline to convene starts (the estate's ``petition_convene_days``),
and an assembly draft is prepared from the petition (webapp.assemblies.operations.prepare_draft).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from crypto import petition as cp
from crypto.canonical import canonical_json
from crypto.errors import CryptoError, FormatError
from crypto.keys import verify
from crypto.merkle import MerkleLog, TreeState, append
from crypto.roll import pseudonymous_member_id
from crypto.treehead import make_receipt, sign_tree_head, tracking_code
from tally.fmt import pct_text
from webapp.assemblies.operations import AssemblyFields, ItemFields, prepare_draft
from webapp.audit.operations import record
from webapp.auth.notices import notify_staff
from webapp.core import db as database
from webapp.core.db import db
from webapp.core.errors_base import UserError
from webapp.core.roles import Role
from webapp.core.serverkey import key_records, ms, signing_key
from webapp.core.timefmt import local
from webapp.devices.models import DeviceKey
from webapp.estates.thresholds import CATEGORIES
from webapp.owners.models import Registration
from webapp.owners.notifications import notify
from webapp.petitions.models import Petition, PetitionMember, PetitionSignature, PetitionTreeHead
from webapp.registry.counting import format_area
from webapp.registry.operations import estate_roster

PREPARED_BY = "system"
VOTING_DAYS = 7
MAX_SIGNATURE_BYTES = 4096


class PetitionRefused(UserError):
    """A petition or a signature the server will not take; nothing was written."""

    def __init__(self, zh: str, en: str, status: int = 400):
        super().__init__(zh, en)
        self.status = status


def public_path(petition: Petition) -> str:
    return f"/p/{petition.estate.slug}/petitions/{petition.seq}"


def pseudonym_secret(pii_key: str) -> bytes:
    return hmac.new(pii_key.encode(), b"petition-pseudonym", hashlib.sha256).digest()


# ---------------------------------------------------------------- who may start and sign


def _representative(registration, estate_id: int, what_zh: str, what_en: str) -> None:
    """Only the voting representative of a member of this estate (not a proxy, whose letter names
    one assembly, nor a co-owner who does not vote for the household)."""
    if registration is None or registration.estate_id != estate_id:
        raise PetitionRefused(
            f"您是另一个小区的业主，不能{what_zh}本小区的提议",
            f"you are an owner of another estate: you cannot {what_en} this estate's petition",
            403,
        )
    if registration.proxy_id is not None:
        raise PetitionRefused(
            f"受托人只能代业主在委托书写明的那次会议中投票，不能{what_zh}提议",
            f"a proxy votes only in the assembly named in the letter of proxy and cannot {what_en} a petition",
            403,
        )
    if registration.state != "approved" or not registration.can_vote or not registration.member_ref:
        raise PetitionRefused(
            f"只有代表本户表决的业主可以{what_zh}提议：您的登记尚未通过审核，或本户由另一位共有人代表表决",
            f"only the owner who votes for the household can {what_en} a petition: your registration is not approved yet, "
            "or a co-owner votes for your household",
            403,
        )


# ---------------------------------------------------------------- starting


def start(estate, registration, *, subject: str, text_: str, category: int, pii_key: str, now: datetime | None = None) -> Petition:
    """An owner starts a petition: every voting member of the estate is listed with area and heads
    (the frozen membership), the server signs the petition document, and the owners are told."""
    now = now or database.db_now()
    _representative(registration, estate.id, "发起", "start")
    subject, text_ = (subject or "").strip(), (text_ or "").strip()
    if not subject:
        raise PetitionRefused("请写明提议临时会议讨论决定的事项", "say what the extraordinary meeting is to decide")
    if len(subject) > cp.MAX_SUBJECT or len(text_) > cp.MAX_TEXT:
        raise PetitionRefused(
            f"事项不超过 {cp.MAX_SUBJECT} 字，说明不超过 {cp.MAX_TEXT} 字",
            f"the subject takes at most {cp.MAX_SUBJECT} characters and the text {cp.MAX_TEXT}",
        )
    if category not in CATEGORIES:
        raise PetitionRefused(
            "请选择事项的类别（《民法典》第二百七十八条第一款第一至九项）", "choose the matter's category (Civil Code Art. 278, 1 to 9)"
        )
    for percent in (estate.petition_area_percent, estate.petition_heads_percent):
        problem = cp.share_problem(percent)
        if problem:
            raise PetitionRefused(f"本小区的提议比例设置有误：{problem}", f"the estate's petition shares are wrong: {problem}")
    roster, _owners = estate_roster(estate)
    if registration.member_ref not in {m.id for m in roster.members}:
        raise PetitionRefused(
            "您登记的房屋不在本小区现在的业主名册中：请联系物业服务中心核对登记簿",
            "the unit you registered for is not in the estate's registry now: ask the estate office to check it",
            403,
        )
    seq = (db.session.scalar(select(func.max(Petition.seq)).where(Petition.estate_id == estate.id)) or 0) + 1
    petition_id = f"{estate.slug}/petition-{seq}"
    secret = pseudonym_secret(pii_key)
    built = sorted(
        ((pseudonymous_member_id(secret, str(estate.id), f"petition-{seq}", m.id), m) for m in roster.members), key=lambda row: row[0]
    )
    entries = [cp.member_entry(pseudonym, m.area_centi, m.heads) for pseudonym, m in built]
    closes = now + timedelta(days=estate.petition_window_days)
    payload = cp.petition_payload(
        petition_id=petition_id,
        estate={"id": str(estate.id), "slug": estate.slug, "name": estate.name},
        subject=subject,
        text=text_,
        category=category,
        opened=ms(now),
        closes=ms(closes),
        area_percent=estate.petition_area_percent,
        heads_percent=estate.petition_heads_percent,
        members=entries,
    )
    document = cp.sign_petition(signing_key(ms(now)), payload)
    petition = Petition(
        estate_id=estate.id,
        seq=seq,
        subject=subject,
        text=text_,
        category=category,
        state="open",
        opened_at=now,
        closes_at=closes,
        started_by_id=registration.id,
        area_percent=estate.petition_area_percent,
        heads_percent=estate.petition_heads_percent,
        convene_days=estate.petition_convene_days,
        total_area_centi=roster.total_area_centi,
        total_heads=roster.total_heads,
        member_count=len(entries),
        members_root=payload["members"]["root"],
        document=canonical_json(document).decode("utf-8"),
        digest=cp.petition_digest(document),
        tree_state=TreeState().to_bytes(),
        signed_area_centi=0,
        signed_heads=0,
    )
    petition.members = [
        PetitionMember(position=i, member=pseudonym, member_ref=m.id, area_centi=m.area_centi, heads=m.heads)
        for i, (pseudonym, m) in enumerate(built)
    ]
    db.session.add(petition)
    db.session.flush()
    _tree_head(petition, now, final=False)
    record(
        "petition.start",
        actor=f"owner:{registration.id}",
        estate_id=estate.id,
        obj=petition,
        title=subject,
        category=category,
        closes=closes.isoformat(),
        digest=petition.digest,
        size=len(entries),
    )
    notify(
        estate.id,
        kind="petition",
        zh=f"业主提议召开业主大会临时会议：{subject}。同意的业主请在 {local(closes, estate.timezone)} 前在手机上签名",
        en=f"Owners petition for an extraordinary meeting: {subject}. Owners who agree sign on their phones by {local(closes, estate.timezone)}",
        url=public_path(petition),
    )
    return petition


# ---------------------------------------------------------------- the log


def _tree_head(petition: Petition, now: datetime, *, final: bool) -> PetitionTreeHead:
    """Sign a tree head over the log as it stands (the petition row is locked by the caller)."""
    state = TreeState.from_bytes(petition.tree_state)
    n = db.session.scalar(select(func.count(PetitionTreeHead.id)).where(PetitionTreeHead.petition_id == petition.id)) or 0
    at = ms(now)
    sth = sign_tree_head(signing_key(at), petition.log_id, state.size, state.root(), at, n=n, notice=petition.digest, final=final)
    head = PetitionTreeHead(petition_id=petition.id, n=n, size=state.size, final=final, document=canonical_json(sth).decode("utf-8"))
    db.session.add(head)
    db.session.flush()
    return head


def _lock(petition: Petition) -> None:
    """Signatures of one petition are appended one at a time (PostgreSQL: the row's lock; SQLite
    writes one transaction at a time), so that leaf indexes follow each other."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT 1 FROM petitions WHERE id = :id FOR UPDATE"), {"id": petition.id})
    db.session.refresh(petition)


# ---------------------------------------------------------------- progress


def progress_of(petition: Petition) -> cp.Progress:
    return cp.Progress(
        petition.signed_area_centi,
        petition.signed_heads,
        petition.total_area_centi,
        petition.total_heads,
        petition.area_percent,
        petition.heads_percent,
    )


@dataclass(frozen=True)
class Shown:
    """The progress as a page shows it: exact figures, shares truncated (never overstated)."""

    area: str
    total_area: str
    area_share: str
    area_needed: str
    area_met: bool
    heads: int
    total_heads: int
    heads_share: str
    heads_needed: int
    heads_met: bool
    area_bar: int  # per mille of what the share needs, for the bar (capped at 1000)
    heads_bar: int


def shown(petition: Petition) -> Shown:
    p = progress_of(petition)
    return Shown(
        format_area(p.area),
        format_area(p.total_area),
        pct_text(p.area, p.total_area),
        format_area(p.area_needed),
        p.area_met,
        p.heads,
        p.total_heads,
        pct_text(p.heads, p.total_heads),
        p.heads_needed,
        p.heads_met,
        min(1000, p.area * 1000 // p.area_needed) if p.area_needed else 1000,
        min(1000, p.heads * 1000 // p.heads_needed) if p.heads_needed else 1000,
    )


# ---------------------------------------------------------------- lapsing and succeeding


def settle(petition: Petition, now: datetime | None = None) -> bool:
    """Mark an open petition whose signing window has ended without both shares as lapsed (the
    final tree head says so); True if it changed.  The caller commits."""
    now = now or database.db_now()
    if petition.state != "open" or now < petition.closes_at:
        return False
    _lock(petition)
    if petition.state != "open":
        return False
    petition.state = "lapsed"
    petition.lapsed_at = now
    _tree_head(petition, now, final=True)
    p = progress_of(petition)
    record(
        "petition.lapse",
        actor=PREPARED_BY,
        estate_id=petition.estate_id,
        obj=petition,
        title=petition.subject,
        area=format_area(p.area),
        heads=p.heads,
    )
    return True


def settle_estate(estate, now: datetime | None = None) -> bool:
    changed = False
    for petition in db.session.scalars(select(Petition).where(Petition.estate_id == estate.id, Petition.state == "open")):
        changed = settle(petition, now) or changed
    return changed


def _opening(estate, now: datetime) -> datetime:
    """9:00 in the estate's zone on the first day voting may open after the notice period."""
    day = (now.astimezone(ZoneInfo(estate.timezone)) + timedelta(days=estate.notice_period_days + 1)).date()
    return datetime.combine(day, time(9, 0), ZoneInfo(estate.timezone))


def _succeed(petition: Petition, now: datetime) -> None:
    estate = petition.estate
    petition.state = "succeeded"
    petition.succeeded_at = now
    petition.convene_by = now + timedelta(days=petition.convene_days)
    _tree_head(petition, now, final=True)
    p = progress_of(petition)
    opens = _opening(estate, now)
    due = local(petition.convene_by, estate.timezone)
    assembly = prepare_draft(
        estate,
        AssemblyFields(
            title=f"业主大会临时会议：{petition.subject}"[:200],
            kind="extraordinary",
            opens_at=opens,
            closes_at=opens + timedelta(days=VOTING_DAYS),
            description=(
                f"业主提议（{petition.log_id}）于 {local(now, estate.timezone)} 达到专有部分面积 {petition.area_percent}% 以上"
                f"且业主人数 {petition.heads_percent}% 以上（签名业主 {p.heads} 人，面积 {format_area(p.area)} 平方米），"
                f"依《业主大会和业主委员会指导规则》第二十一条，业主委员会应当组织召开业主大会临时会议，期限至 {due}。"
                "本草稿由系统按提议生成，组织者可修改后发布公告；由业主表决决定。"
            ),
        ),
        [("resolution", ItemFields(category=petition.category, title=petition.subject, text=petition.text or petition.subject))],
        prepared_by=PREPARED_BY,
        now=now,
    )
    petition.assembly_id = assembly.id
    told = notify_staff(
        estate.id,
        (Role.organiser, Role.supervisor),
        kind="petition",
        zh=f"业主提议“{petition.subject}”已达到面积和人数比例：请在 {due} 前组织召开业主大会临时会议（会议草稿已生成）",
        en=f"The owners' petition “{petition.subject}” reached both shares: convene the extraordinary meeting by {due} (a draft assembly is ready)",
        url=f"/e/{estate.slug}/assemblies/{assembly.id}",
    )
    notify(
        estate.id,
        kind="petition",
        zh=f"业主提议“{petition.subject}”已达到法定比例，业主委员会应于 {due} 前组织召开业主大会临时会议",
        en=f"The petition “{petition.subject}” reached both shares: the committee must convene the extraordinary meeting by {due}",
        url=public_path(petition),
    )
    record(
        "petition.succeed",
        actor=PREPARED_BY,
        estate_id=estate.id,
        obj=petition,
        title=petition.subject,
        area=format_area(p.area),
        heads=p.heads,
        due=petition.convene_by.isoformat(),
        assembly=assembly.id,
        told=told,
    )


# ---------------------------------------------------------------- signing


@dataclass(frozen=True)
class Signed:
    signature: PetitionSignature
    repeated: bool

    @property
    def code(self) -> str:
        return tracking_code(bytes.fromhex(self.signature.leaf_hash))


def _refuse_closed(petition: Petition, now: datetime) -> None:
    estate = petition.estate
    if petition.state == "succeeded":
        raise PetitionRefused(
            f"这项提议已于 {local(petition.succeeded_at, estate.timezone)} 达到面积和人数比例，签名已经结束；"
            f"业主委员会应于 {local(petition.convene_by, estate.timezone)} 前组织召开临时会议",
            f"this petition reached both shares on {local(petition.succeeded_at, estate.timezone)} and signing has ended; "
            f"the committee must convene the meeting by {local(petition.convene_by, estate.timezone)}",
            409,
        )
    if petition.state == "lapsed" or now >= petition.closes_at:
        raise PetitionRefused(
            f"这项提议的签名期已于 {local(petition.closes_at, estate.timezone)} 结束，未达到比例，提议已失效；您可以重新发起提议",
            f"this petition's signing window ended on {local(petition.closes_at, estate.timezone)} before it reached both shares: "
            "it has lapsed; you may start a new one",
            409,
        )


def sign(petition: Petition, payload: object, now: datetime | None = None) -> Signed:
    """An owner's signature, as the phone sends it: {"signature": canonical text, "kid", "sig"}.
    It belongs to the registration whose key signed it, never to the session that carried it."""
    if (
        not isinstance(payload, dict)
        or set(payload) != {"signature", "kid", "sig"}
        or not all(isinstance(v, str) for v in payload.values())
        or len(payload["signature"].encode("utf-8")) > MAX_SIGNATURE_BYTES
    ):
        raise PetitionRefused("提交的签名格式不正确", "malformed submission: {signature, kid, sig} (strings) expected")
    signed_text, kid, sig = payload["signature"], payload["kid"], payload["sig"]
    try:
        doc = cp.parse_signature(signed_text)
    except FormatError as exc:
        raise PetitionRefused(f"签名内容不完整或不是规范格式：{exc}", f"the signature is not well formed: {exc}") from exc
    if doc["petition"] != petition.log_id:
        raise PetitionRefused(
            "这个签名针对的是另一项提议（或另一个小区的提议），不能计入这一项",
            f"this signature is for petition {doc['petition']}, not {petition.log_id} (another petition, or another estate's)",
            403,
        )
    if doc["digest"] != petition.digest:
        raise PetitionRefused(
            "这个签名针对的不是这项提议现在的文本：请刷新页面后重新签名",
            "the signature names another text of the petition: reload the page and sign again",
        )
    key = db.session.scalar(select(DeviceKey).where(DeviceKey.kid == kid))
    if key is None or key.registration_id is None:
        raise PetitionRefused(
            "签名的密钥不是本系统登记的业主密钥：请用登记时的手机签名",
            "the signing key is not a registered owner's key: sign on your registered phone",
            403,
        )
    if key.state == "revoked":
        raise PetitionRefused(
            "这个密钥已被注销（例如手机丢失），不能签名：请凭新的告知书重新登记手机后再签",
            "this key was revoked (a lost phone, say) and cannot sign: register your phone again with a new letter, then sign",
            403,
        )
    if key.state != "active":
        raise PetitionRefused(
            "您的登记还在等待监督员审核，审核通过后才能签名",
            "your registration is waiting for the supervisors' review: you can sign once it is approved",
            403,
        )
    registration = db.session.get(Registration, key.registration_id)
    _representative(registration, petition.estate_id, "签署", "sign")
    mine = db.session.scalar(
        select(PetitionMember).where(PetitionMember.petition_id == petition.id, PetitionMember.member_ref == registration.member_ref)
    )
    if mine is None:
        raise PetitionRefused(
            "您不在这项提议发起时的业主名单上（例如房屋在提议发起后才登记到您名下），不能签名",
            "you are not on the list of owners the petition was started with (your unit came to you later, say): you cannot sign it",
            403,
        )
    if doc["member"] != mine.member:
        raise PetitionRefused("签名中写的业主编号不是您的", "the signature names another member than yours", 403)
    try:
        verify(key.jwk, signed_text.encode("utf-8"), sig)
    except CryptoError as exc:
        raise PetitionRefused("签名无效：请用登记时的手机重新签名", f"the signature does not verify: {exc}", 403) from exc

    _lock(petition)
    # The clock read under the lock: read before it, a request that waited for another's lock
    # would log its signature after one received later (the log's times must not go back).
    now = now or database.db_now()
    received = ms(now)
    entry = cp.make_entry(signed_text, key.jwk, sig, received)
    same = db.session.scalar(
        select(PetitionSignature).where(PetitionSignature.petition_id == petition.id, PetitionSignature.member == mine.member)
    )
    if same is not None:
        if _entry_of(same)["signature"] == signed_text and same.kid == kid:
            return Signed(same, True)  # the phone resending what it already sent
        raise PetitionRefused(
            f"本户已于 {local(same.received_at, petition.estate.timezone)} 签署这项提议；每户只计一个签名，签名不能撤回或替换",
            f"your household signed this petition on {local(same.received_at, petition.estate.timezone)}; "
            "one signature per household, and a signature cannot be withdrawn or replaced",
            409,
        )
    _refuse_closed(petition, now)
    leaf = cp.entry_leaf_hash(entry)
    state, _nodes = append(TreeState.from_bytes(petition.tree_state), leaf)
    row = PetitionSignature(
        petition_id=petition.id,
        member=mine.member,
        registration_id=registration.id,
        kid=kid,
        entry=canonical_json(entry).decode("utf-8"),
        leaf_hash=leaf.hex(),
        leaf_index=state.size - 1,
        received_at=now,
    )
    try:
        with db.session.begin_nested():
            db.session.add(row)
            db.session.flush()
    except IntegrityError:
        # Another request of the same member won the race, or (SQLite, which takes no row lock)
        # another member's signature took this leaf's place at the same moment: say which.
        if db.session.scalar(
            select(PetitionSignature.id).where(PetitionSignature.petition_id == petition.id, PetitionSignature.member == mine.member)
        ):
            raise PetitionRefused(
                "本户已经签署这项提议；每户只计一个签名",
                "your household has signed this petition already; one signature per household",
                409,
            ) from None
        raise PetitionRefused(
            "同一时刻有另一位业主的签名正在记入，您的签名没有记入：请再点一次签名",
            "another owner's signature was being recorded at the same moment and yours was not: please sign again",
            409,
        ) from None
    petition.tree_state = state.to_bytes()
    petition.signed_area_centi += mine.area_centi
    petition.signed_heads += mine.heads
    _tree_head(petition, now, final=False)
    record(
        "petition.sign",
        actor=f"owner:{registration.id}",
        estate_id=petition.estate_id,
        obj=petition,
        member=mine.member,
        kid=kid,
        leaf_hash=row.leaf_hash,
    )
    if progress_of(petition).met:
        _succeed(petition, now)
    return Signed(row, False)


def _entry_of(signature: PetitionSignature) -> dict:
    return json.loads(signature.entry)


# ---------------------------------------------------------------- the export and receipts


def export(petition: Petition) -> dict:
    """The whole petition as docs/petition-format.md defines it: what `ownersvote verify-petition` checks."""
    heads = [json.loads(h.document) for h in petition.tree_heads]
    document = json.loads(petition.document)
    kids = {document["kid"], *(h["kid"] for h in heads)}
    return {
        "type": cp.EXPORT_TYPE,
        "v": cp.VERSION,
        "petition": document,
        "members": [cp.member_entry(m.member, m.area_centi, m.heads) for m in sorted(petition.members, key=lambda m: m.member)],
        "entries": [json.loads(s.entry) for s in petition.signatures],
        "tree_heads": heads,
        "state": petition.state,
        "server_keys": key_records(kids),
    }


def receipt(signature: PetitionSignature) -> dict:
    """The signer's receipt: the leaf, the latest tree head and the inclusion proof under it."""
    petition = signature.petition
    head = petition.tree_heads[-1]
    log = MerkleLog()
    log.extend_leaf_hashes(bytes.fromhex(s.leaf_hash) for s in petition.signatures)
    proof = log.inclusion_proof(signature.leaf_index, head.size)
    return make_receipt(json.loads(head.document), signature.leaf_index, bytes.fromhex(signature.leaf_hash), proof)


def signature_of(petition: Petition, registration) -> PetitionSignature | None:
    """The household's signature on the petition, if any."""
    if registration is None or not registration.member_ref:
        return None
    member = db.session.scalar(
        select(PetitionMember.member).where(PetitionMember.petition_id == petition.id, PetitionMember.member_ref == registration.member_ref)
    )
    if member is None:
        return None
    return db.session.scalar(
        select(PetitionSignature).where(PetitionSignature.petition_id == petition.id, PetitionSignature.member == member)
    )


def member_of(petition: Petition, registration) -> str | None:
    if registration is None or not registration.member_ref:
        return None
    return db.session.scalar(
        select(PetitionMember.member).where(PetitionMember.petition_id == petition.id, PetitionMember.member_ref == registration.member_ref)
    )


@dataclass(frozen=True)
class OwnerPetition:
    petition: Petition
    signed: bool


def owner_petitions(registration, limit: int = 5) -> list[OwnerPetition]:
    """The estate's newest petitions for the owner's page, each with whether the household signed."""
    petitions = db.session.scalars(
        select(Petition).where(Petition.estate_id == registration.estate_id).order_by(Petition.seq.desc()).limit(limit)
    )
    return [OwnerPetition(p, signature_of(p, registration) is not None) for p in petitions]
