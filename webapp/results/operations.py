"""After the close: the tally, the supervisors' certification, publication, objections, archiving.

Each step is a transition of the assembly (closed → tallied → certified → published → archived)
with its actor and time in the audit log; none can be skipped or reversed.
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta

from sqlalchemy import select, update

import tally as tally_engine
from crypto.errors import CryptoError
from crypto.keys import verify
from crypto.notice import tally_input as notice_tally_input
from crypto.roll import certification_payload, tally_digest
from crypto.canonical import canonical_json
from crypto.treehead import sign_object
from webapp.assemblies.models import Assembly
from webapp.audit.operations import record
from webapp.core.db import db, utcnow
from webapp.core.errors_base import UserError
from webapp.core.timefmt import local
from webapp.results.models import Certification, Objection, TallyRecord
from webapp.rolls.models import RollEntry
from webapp.voting import log as ballot_log
from webapp.voting.models import Ballot


class ResultsError(UserError):
    pass


def _role(actor, estate_id: int, value: str, zh: str, en: str) -> None:
    from webapp.auth.models import Role

    if not hasattr(actor, "role_in") or actor.role_in(estate_id) is not Role(value):
        raise ResultsError(zh, en)


def _step(assembly: Assembly, old: str, new: str, **values) -> None:
    done = db.session.execute(update(Assembly).where(Assembly.id == assembly.id, Assembly.state == old).values(state=new, **values)
                              .execution_options(synchronize_session=False)).rowcount
    if not done:
        raise ResultsError("会议状态已经改变，请刷新页面", "the assembly's state changed meanwhile: reload the page")
    db.session.refresh(assembly)


def _counted_rows(assembly: Assembly) -> list:
    """(member, leaf_index, entry) of each counted ballot in log order, as ``counted`` chooses
    them, read as columns (20,000 ballot objects cost seconds)."""
    rows = db.session.execute(select(Ballot.member, Ballot.leaf_index, Ballot.entry).where(Ballot.assembly_id == assembly.id)
                              .order_by(Ballot.leaf_index.is_(None), Ballot.leaf_index, Ballot.id))
    out: dict = {}
    for row in rows:
        if assembly.replace_allowed or row.member not in out:
            out[row.member] = row
    return list(out.values())


def tally_input(assembly: Assembly, chosen: list | None = None) -> dict:
    """The tally engine's input from the sealed log and the frozen roll alone."""
    notice = assembly.current_notice.document
    members = [{"id": e["member"], "area": e["area"], "heads": e["heads"]}
               for e in db.session.scalars(select(RollEntry.entry).where(RollEntry.roll_id == assembly.roll_id).order_by(RollEntry.position))]
    chosen = sorted(chosen if chosen is not None else _counted_rows(assembly), key=lambda b: b.leaf_index)
    ballots = [{"member": b.member, "choices": json.loads(json.loads(b.entry)["ballot"])["choices"]} for b in chosen]
    return {"members": members, **notice_tally_input(notice), "ballots": ballots}


def compute_tally(assembly: Assembly, *, actor, now: datetime | None = None) -> TallyRecord:
    """An organiser starts the tally of a closed (sealed) assembly."""
    from webapp.core.serverkey import signer

    _role(actor, assembly.estate_id, "organiser", "只有组织者可以开始计票", "only an organiser starts the tally")
    if assembly.state != "closed":
        raise ResultsError("只有投票已截止并封存的会议才能计票", "only an assembly whose voting has closed and been sealed can be tallied")
    final = ballot_log.latest_head(assembly.id)
    if final is None or not final.final:
        raise ResultsError("投票日志尚未封存", "the ballot log is not sealed yet")
    chosen = _counted_rows(assembly)
    undone = [b for b in chosen if b.leaf_index is None or b.leaf_index >= final.size]
    if undone:
        raise ResultsError("有选票不在最终树头中，不能计票：请告知平台管理员", "some ballots are not under the final tree head: tell the platform administrator")
    document = tally_engine.tally_document(tally_input(assembly, chosen))
    digest = tally_digest(document)
    now = now or utcnow()
    notice = assembly.current_notice
    statement = sign_object(signer(), {
        "type": "ownersvote-tally", "v": 1, "assembly": assembly.log_id, "notice": notice.sha256, "roll_root": assembly.roll.root,
        "log_size": final.size, "log_root": final.root, "tally_sha256": digest, "computed_at": int(now.timestamp() * 1000),
        "audit": (lambda head: None if head is None else {"seq": head[0], "hash": head[1]})(ballot_log.audit_head(assembly.estate_id)),
    })
    tally_record = TallyRecord(assembly_id=assembly.id, document=document, sha256=digest, statement=statement, log_size=final.size,
                               log_root=final.root, computed_at=now, computed_by_id=actor.id)
    db.session.add(tally_record)
    _step(assembly, "closed", "tallied", tallied_at=now)
    db.session.flush()
    record("assembly.tally", actor=actor, estate_id=assembly.estate_id, obj=assembly, tally_sha256=digest, log_size=final.size,
           ballots=document.get("ballots"))
    return tally_record


def tally_of(assembly: Assembly) -> TallyRecord | None:
    return db.session.scalar(select(TallyRecord).where(TallyRecord.assembly_id == assembly.id))


def payload(assembly: Assembly) -> dict:
    """What each certifying supervisor signs (their browser rebuilds it from the bundle)."""
    tally_record = tally_of(assembly)
    if tally_record is None:
        raise ResultsError("尚未计票", "there is no tally yet")
    return certification_payload(assembly.log_id, assembly.current_notice.sha256, assembly.roll.root, tally_record.log_size,
                                 tally_record.log_root, tally_record.sha256)


def voted_as_owner(assembly: Assembly, staff) -> bool:
    """Whether this staff member (by the identity hash recorded for them) voted as an owner."""
    if not getattr(staff, "id_hash", None):
        return False
    from webapp.registry.models import OwnerHolder
    from webapp.voting.casting import voted_members

    owner_ids = set(db.session.scalars(select(OwnerHolder.owner_id).where(OwnerHolder.id_hash == staff.id_hash)))
    if not owner_ids:
        return False
    refs = {f"owner:{o}" for o in owner_ids}
    members = set(db.session.scalars(select(RollEntry.member).where(RollEntry.roll_id == assembly.roll_id, RollEntry.member_ref.in_(refs))))
    return bool(members & voted_members(assembly.id))


def certify(assembly: Assembly, *, actor, kid: str, sig: str, declared_not_voted: bool, now: datetime | None = None) -> Certification:
    """A supervisor's certification, signed in their own browser; the server never signs for them."""
    from webapp.owners.models import DeviceKey

    _role(actor, assembly.estate_id, "supervisor", "只有本小区的监督员可以核证计票结果", "only a supervisor of this estate can certify the tally")
    if assembly.state != "tallied":
        raise ResultsError("只有已计票、尚未核证完毕的会议可以核证", "only a tallied assembly awaiting certification can be certified")
    if not assembly.estate.voters_may_certify:
        if voted_as_owner(assembly, actor):
            raise ResultsError("您在本次会议中作为业主投了票；本小区规定投票的监督员不得核证", "you voted in this assembly as an owner; this estate does not let such a supervisor certify")
        if not declared_not_voted:
            raise ResultsError("请确认您没有在本次会议中作为业主或受托人投票", "confirm that you did not vote in this assembly as an owner or a proxy")
    key = db.session.scalar(select(DeviceKey).where(DeviceKey.kid == kid, DeviceKey.staff_user_id == actor.id, DeviceKey.state == "active"))
    if key is None:
        raise ResultsError("这不是您已登记的有效签名密钥", "that is not an active signing key of yours")
    if db.session.scalar(select(Certification.id).where(Certification.assembly_id == assembly.id, Certification.staff_user_id == actor.id)):
        raise ResultsError("您已经核证过", "you have already certified")
    signed = payload(assembly)
    try:
        verify(key.jwk, canonical_json(signed), sig)
    except (CryptoError, ValueError) as exc:
        raise ResultsError("签名无效：它不是对本次计票结果的签名", f"the signature does not verify over this tally's certification payload: {exc}") from exc
    now = now or utcnow()
    certification = Certification(assembly_id=assembly.id, staff_user_id=actor.id, kid=kid, jwk=key.jwk, sig=sig, payload=signed,
                                  declared_not_voted=declared_not_voted, signed_at=now)
    db.session.add(certification)
    db.session.flush()
    count = db.session.scalar(select(db.func.count(Certification.id)).where(Certification.assembly_id == assembly.id))
    required = assembly.current_notice.document["rules"]["required_signatures"]
    record("tally.certify", actor=actor, estate_id=assembly.estate_id, obj=assembly, kid=kid, signatures=count, required=required)
    if count >= required:
        _step(assembly, "tallied", "certified", certified_at=now)
        record("assembly.certified", actor="system", estate_id=assembly.estate_id, obj=assembly, signatures=count)
    return certification


def publish(assembly: Assembly, *, actor, now: datetime | None = None) -> str:
    """Publish the certified result for the assembly's period, with its audit bundle."""
    from webapp.attachments.storage import store_bytes
    from webapp.results.bundle import build_bundle, bundle_bytes

    _role(actor, assembly.estate_id, "organiser", "只有组织者可以公示结果", "only an organiser publishes the result")
    if assembly.state != "certified":
        required = assembly.current_notice.document["rules"]["required_signatures"] if assembly.current_notice else 1
        have = db.session.scalar(select(db.func.count(Certification.id)).where(Certification.assembly_id == assembly.id)) or 0
        raise ResultsError(f"结果尚未获得足够的监督员核证（{have} / {required}）", f"the result is not certified yet ({have} of {required} signatures)")
    now = now or utcnow()
    tally_record = tally_of(assembly)
    data = bundle_bytes(build_bundle(assembly))
    tally_record.bundle_sha256, tally_record.bundle_size = store_bytes(data), len(data)
    _step(assembly, "certified", "published", published_at=now, results_until=now + timedelta(days=assembly.publication_days))
    db.session.flush()
    record("assembly.publish", actor=actor, estate_id=assembly.estate_id, obj=assembly, bundle_sha256=tally_record.bundle_sha256,
           until=assembly.results_until.isoformat())
    return tally_record.bundle_sha256


def file_objection(assembly: Assembly, registration, *, text: str, now: datetime | None = None) -> Objection:
    now = now or utcnow()
    if assembly.state != "published" or assembly.results_until is None or now >= assembly.results_until:
        raise ResultsError("只能在结果公示期内提出异议", "objections can be filed only while the result is on public display")
    if registration is None or registration.estate_id != assembly.estate_id or registration.state != "approved" or (registration.holder_id is None and registration.member_ref != "developer"):
        raise ResultsError("只有本小区已登记的业主可以提出异议", "only registered owners of this estate can object")
    text = (text or "").strip()
    if not text:
        raise ResultsError("请写明异议的内容", "write what you object to")
    objection = Objection(assembly_id=assembly.id, estate_id=assembly.estate_id, registration_id=registration.id, text=text[:8000], created_at=now)
    db.session.add(objection)
    db.session.flush()
    record("objection.file", actor=f"owner:{registration.id}", estate_id=assembly.estate_id, obj=objection, assembly=assembly.id)
    return objection


def answer_objection(objection: Objection, *, actor, text: str, now: datetime | None = None) -> None:
    _role(actor, objection.estate_id, "supervisor", "只有监督员可以答复异议", "only supervisors answer objections")
    if objection.answer:
        raise ResultsError("这条异议已经答复", "this objection has been answered")
    if not (text or "").strip():
        raise ResultsError("请写明答复", "write the answer")
    objection.answer, objection.answered_by_id, objection.answered_at = text.strip()[:8000], actor.id, now or utcnow()
    db.session.flush()
    record("objection.answer", actor=actor, estate_id=objection.estate_id, obj=objection)


def archive(assembly: Assembly, *, actor, now: datetime | None = None) -> None:
    now = now or utcnow()
    _role(actor, assembly.estate_id, "organiser", "只有组织者可以归档", "only an organiser archives")
    if assembly.state != "published":
        raise ResultsError("只有已公示的会议可以归档", "only a published assembly can be archived")
    if now < assembly.results_until:
        raise ResultsError(f"公示期到 {local(assembly.results_until, assembly.estate)} 才结束", f"the publication period ends {local(assembly.results_until, assembly.estate)}")
    open_ = db.session.scalar(select(db.func.count(Objection.id)).where(Objection.assembly_id == assembly.id, Objection.answer.is_(None)))
    if open_:
        raise ResultsError(f"还有 {open_} 条异议未答复", f"{open_} objection(s) still have no answer")
    _step(assembly, "published", "archived", archived_at=now)
    record("assembly.archive", actor=actor, estate_id=assembly.estate_id, obj=assembly)
