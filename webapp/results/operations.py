"""After the close: the tally, the supervisors' certification, publication, objections, archiving.

Each step is a transition of the assembly (closed → tallied → certified → published → archived)
with its actor and time in the audit log; none can be skipped or reversed.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from sqlalchemy import select, update

import tally as tally_engine
from crypto.canonical import canonical_json
from crypto.errors import CryptoError
from crypto.keys import verify
from crypto.notice import tally_input as notice_tally_input
from crypto.roll import tally_digest
from crypto.treehead import sign_object
from webapp.assemblies.models import Assembly
from webapp.attachments.storage import store_bytes
from webapp.audit.labels import word
from webapp.audit.models import AuditEvent
from webapp.audit.operations import record
from webapp.core import db as database
from webapp.core.db import db, utcnow
from webapp.core.i18n import Bilingual
from webapp.core.roles import Role
from webapp.core.serverkey import signing_key
from webapp.core.timefmt import local
from webapp.devices.models import DeviceKey
from webapp.owners.notifications import notify_people
from webapp.registry.models import OwnerHolder
from webapp.results.bundle import build_bundle, bundle_bytes, bundle_failures
from webapp.results.errors import ResultsError
from webapp.results.models import Certification, Objection, TallyRecord
from webapp.results.signatures import payload, tally_of, tally_problems, verified_result
from webapp.rolls.models import RollEntry
from webapp.voting import log as ballot_log
from webapp.voting.casting import voted_members
from webapp.voting.models import Ballot


def _role(actor, estate_id: int, value: str, zh: str, en: str) -> None:

    if not hasattr(actor, "role_in") or actor.role_in(estate_id) is not Role(value):
        raise ResultsError(zh, en)


def _step(assembly: Assembly, old: str, new: str, **values) -> None:
    done = db.session.execute(
        update(Assembly)
        .where(Assembly.id == assembly.id, Assembly.state == old)
        .values(state=new, **values)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not done:
        raise ResultsError("会议状态已经改变，请刷新页面", "the assembly's state changed meanwhile: reload the page")
    db.session.refresh(assembly)


# What each check of crypto.verify covers, in words (its report names checks by these codes).
CHECK_WORDS = {
    "format": Bilingual("数据包格式", "the bundle's format"),
    "notice": Bilingual("签名公告", "the signed notice"),
    "supervisors": Bilingual("监督员密钥", "supervisor keys"),
    "roll": Bilingual("名册条目与根", "roll entries and root"),
    "roll-signatures": Bilingual("名册签名", "roll signatures"),
    "ballot-form": Bilingual("选票格式", "ballot form"),
    "ballot-signature": Bilingual("选票签名", "ballot signatures"),
    "ballot-key": Bilingual("签署选票的密钥", "the keys that signed ballots"),
    "ballot-binding": Bilingual("选票所属的会议与名册", "the assembly and roll ballots name"),
    "ballot-choices": Bilingual("选票的选择", "ballot choices"),
    "duplicate-ballot": Bilingual("重复选票", "duplicate ballots"),
    "tree-head": Bilingual("签名树头", "signed tree heads"),
    "log-root": Bilingual("日志的默克尔根与最终树头", "the log's Merkle root against the final tree head"),
    "history": Bilingual("日志历史", "the log's history"),
    "consistency": Bilingual("一致性证明", "consistency proofs"),
    "receipt": Bilingual("回执", "receipts"),
    "tally": Bilingual("重算的计票结果", "the recomputed tally"),
    "certification": Bilingual("核证签名", "certifications"),
}

# The steps that check the bundle first, as the alarm names them.
# (Registered as the audit page's words for the English stored in an alarm's details.)
STEP_WORDS = {
    "tally": Bilingual("签署计票结果", "signing the tally"),
    "certify": Bilingual("接受核证", "accepting a certification"),
    "publish": Bilingual("公示", "publication"),
}


class TamperingAlarm(ResultsError):
    """The server's own audit bundle fails ``crypto.verify``: the step is refused and an alarm
    raised (:func:`record_alarm`, after the step's transaction is rolled back)."""

    def __init__(self, step: str, failures: list[tuple[str, str]]):
        self.step, self.failures = step, failures
        counts: dict[str, int] = {}
        for check, _message in failures:
            counts[check] = counts.get(check, 0) + 1
        words = {c: CHECK_WORDS.get(c, Bilingual(c, c)) for c in counts}
        zh_found = "、".join(f"{words[c].zh} {n} 处" for c, n in counts.items())
        en_found = ", ".join(f"{words[c].en}: {n}" for c, n in counts.items())
        first = "; ".join(message for _check, message in failures[:3])
        step_zh, step_en = STEP_WORDS[step].zh, STEP_WORDS[step].en
        super().__init__(
            f"篡改警报：审计数据包未通过核验，已拒绝{step_zh}。发现 {len(failures)} 处问题（{zh_found}）。"
            "数据库中的记录在签名之后被改动过：请告知其他监督员和平台管理员，并运行完整性检查",
            f"tampering alarm: the audit bundle fails verification, so {step_en} was refused. {len(failures)} problem(s) found "
            f"({en_found}): {first}{' …' if len(failures) > 3 else ''}. Records in the database were changed after they were "
            "signed: tell the other supervisors and the platform administrator, and run ownersvote check",
        )


def check_bundle(assembly: Assembly, step: str, data: bytes, *, complete: bool) -> None:
    """Refuse ``step`` unless the bundle's bytes verify: every leaf against the sealed log's final
    tree head, every ballot and roll signature against the roll, the tally recomputed, every
    certification (all that are required when ``complete``)."""
    failures = bundle_failures(data, complete=complete)
    if failures:
        raise TamperingAlarm(step, failures)


def record_alarm(assembly: Assembly, alarm: TamperingAlarm, *, actor) -> None:
    """The tampering alarm in the audit log (the staff's results page shows it). Called once the
    refused step's own changes are rolled back, and committed by the caller."""
    checks = list(dict.fromkeys(check for check, _message in alarm.failures))
    # Stored in English words the audit page translates (webapp.audit.labels.WORDS); the job's
    # page and the refusal itself carry the first problems in full.
    record(
        "tally.tampering",
        actor=actor,
        estate_id=assembly.estate_id,
        obj=assembly,
        step=STEP_WORDS[alarm.step].en,
        problems=len(alarm.failures),
        checks=[CHECK_WORDS[c].en if c in CHECK_WORDS else c for c in checks],
    )


def alarms(assembly: Assembly) -> list[tuple[datetime, str, int, list[str]]]:
    """The tampering alarms raised for this assembly, oldest first: (when, the step refused in
    words, how many problems, the checks that failed in words)."""
    events = db.session.scalars(
        select(AuditEvent)
        .where(
            AuditEvent.chain == assembly.estate_id,
            AuditEvent.action == "tally.tampering",
            AuditEvent.object_type == "Assembly",
            AuditEvent.object_id == str(assembly.id),
        )
        .order_by(AuditEvent.seq)
    )
    return [
        (e.at, word(e.details.get("step")), int(e.details.get("problems") or 0), [word(c) for c in e.details.get("checks") or []])
        for e in events
    ]


# The five steps of the results page, from the sealed log to the archive: which one an assembly
# in each state is at (the steps before it are done; an archived assembly has done them all).
RESULT_STEPS = 5
_STEP_OF_STATE = {"closed": 2, "tallied": 3, "certified": 4, "published": 5, "archived": RESULT_STEPS + 1}


def current_step(state: str) -> int:
    """The results page's step (1 to 5) an assembly in ``state`` is at; 6 once archived."""
    return _STEP_OF_STATE.get(state, 1)


def tally_refusal(assembly: Assembly) -> ResultsError | None:
    """Why the assembly cannot be tallied now, with the times in the estate's zone (None: it can)."""
    estate = assembly.estate
    opens, closes = local(assembly.opens_at, estate), local(assembly.closes_at, estate)
    if assembly.state in ("draft", "notice"):
        return ResultsError(
            f"投票尚未开始（{opens} 开始，{closes} 截止）：投票截止并封存后才能计票",
            f"voting has not opened yet (it opens {opens} and closes {closes}): the tally comes after the close",
        )
    if assembly.state == "voting":
        return ResultsError(
            f"投票仍在进行，到 {closes} 截止：截止并封存投票日志后才能计票",
            f"voting is still open until {closes}: the tally can be computed only after the close, once the ballot log is sealed",
        )
    if assembly.state != "closed":
        return ResultsError("这次会议已经计票，不能再次计票", "this assembly has been tallied already")
    return None


def signatures_so_far(assembly: Assembly) -> tuple[int, int]:
    """(certifications made, signatures the notice's rules require)."""
    required = assembly.current_notice.document["rules"]["required_signatures"] if assembly.current_notice else 1
    have = db.session.scalar(select(db.func.count(Certification.id)).where(Certification.assembly_id == assembly.id)) or 0
    return have, required


def publish_refusal(assembly: Assembly) -> ResultsError | None:
    """Why the result cannot be published now, with how many signatures are still missing."""
    if assembly.state in ("published", "archived"):
        return ResultsError("结果已经公示", "the result has been published already")
    if assembly.state == "tallied":
        have, required = signatures_so_far(assembly)
        missing = required - have
        if missing <= 0:
            return ResultsError(
                f"已有 {have} / {required} 个核证签名，但会议没有标记为已核证：请告知平台管理员",
                f"{have} of {required} signatures are in, yet the assembly is not marked certified: tell the platform administrator",
            )
        return ResultsError(
            f"结果尚未获得足够的监督员核证（{have} / {required}）：还需要 {missing} 位监督员签名，才能公示",
            f"the result is not certified yet ({have} of {required} signatures): {missing} more supervisor "
            f"signature{'s' if missing != 1 else ''} needed before it can be published",
        )
    if assembly.state != "certified":
        return ResultsError(
            "尚未计票：计票并经监督员核证后才能公示", "there is no tally yet: it is published after the tally and its certification"
        )

    result = verified_result(assembly)
    if not result.certified:
        problems = result.problems or [("有效的监督员签名不足", "not enough valid supervisor signatures")]
        return ResultsError(
            "结果与其签名不符，不能公示：" + "；".join(zh for zh, _ in problems),
            "the result does not match its signatures and cannot be published: " + "; ".join(en for _, en in problems),
        )
    return None


def _counted_rows(assembly: Assembly) -> list:
    """(member, leaf_index, entry) of each counted ballot in log order, as ``counted`` chooses
    them, read as columns (20,000 ballot objects cost seconds)."""
    rows = db.session.execute(
        select(Ballot.member, Ballot.leaf_index, Ballot.entry)
        .where(Ballot.assembly_id == assembly.id)
        .order_by(Ballot.leaf_index.is_(None), Ballot.leaf_index, Ballot.id)
    )
    out: dict = {}
    for row in rows:
        if assembly.replace_allowed or row.member not in out:
            out[row.member] = row
    return list(out.values())


def tally_input(assembly: Assembly, chosen: list | None = None) -> dict:
    """The tally engine's input from the sealed log and the frozen roll alone."""
    notice = assembly.current_notice.document
    members = [
        {"id": e["member"], "area": e["area"], "heads": e["heads"]}
        for e in db.session.scalars(select(RollEntry.entry).where(RollEntry.roll_id == assembly.roll_id).order_by(RollEntry.position))
    ]
    chosen = sorted(chosen if chosen is not None else _counted_rows(assembly), key=lambda b: b.leaf_index)
    ballots = [{"member": b.member, "choices": json.loads(json.loads(b.entry)["ballot"])["choices"]} for b in chosen]
    return {"members": members, **notice_tally_input(notice), "ballots": ballots}


def compute_tally(assembly: Assembly, *, actor, now: datetime | None = None) -> TallyRecord:
    """An organiser starts the tally of a closed (sealed) assembly."""

    _role(actor, assembly.estate_id, "organiser", "只有组织者可以开始计票", "only an organiser starts the tally")
    refusal = tally_refusal(assembly)
    if refusal is not None:
        raise refusal
    final = ballot_log.latest_head(assembly.id)
    if final is None or not final.final:
        raise ResultsError("投票日志尚未封存", "the ballot log is not sealed yet")
    chosen = _counted_rows(assembly)
    undone = [b for b in chosen if b.leaf_index is None or b.leaf_index >= final.size]
    if undone:
        raise ResultsError(
            "有选票不在最终树头中，不能计票：请告知平台管理员",
            "some ballots are not under the final tree head: tell the platform administrator",
        )
    document = tally_engine.tally_document(tally_input(assembly, chosen))
    digest = tally_digest(document)
    # Nothing is signed over rows changed since they were logged and sealed.
    check_bundle(assembly, "tally", bundle_bytes(build_bundle(assembly, tally=(document, digest))), complete=False)
    now = now or database.db_now()
    notice = assembly.current_notice
    statement = sign_object(
        signing_key(now),
        {
            "type": "ownersvote-tally",
            "v": 1,
            "assembly": assembly.log_id,
            "notice": notice.sha256,
            "roll_root": assembly.roll.root,
            "log_size": final.size,
            "log_root": final.root,
            "tally_sha256": digest,
            "computed_at": int(now.timestamp() * 1000),
            "audit": (lambda head: None if head is None else {"seq": head[0], "hash": head[1]})(ballot_log.audit_head(assembly.estate_id)),
        },
    )
    tally_record = TallyRecord(
        assembly_id=assembly.id,
        document=document,
        sha256=digest,
        statement=statement,
        log_size=final.size,
        log_root=final.root,
        computed_at=now,
        computed_by_id=actor.id,
    )
    db.session.add(tally_record)
    _step(assembly, "closed", "tallied", tallied_at=now)
    db.session.flush()
    record(
        "assembly.tally",
        actor=actor,
        estate_id=assembly.estate_id,
        obj=assembly,
        tally_sha256=digest,
        log_size=final.size,
        ballots=document.get("ballots"),
    )
    return tally_record


def voted_as_owner(assembly: Assembly, staff) -> bool:
    """Whether this staff member (by the identity hash recorded for them) voted as an owner."""
    if not getattr(staff, "id_hash", None):
        return False

    owner_ids = set(db.session.scalars(select(OwnerHolder.owner_id).where(OwnerHolder.id_hash == staff.id_hash)))
    if not owner_ids:
        return False
    refs = {f"owner:{o}" for o in owner_ids}
    members = set(db.session.scalars(select(RollEntry.member).where(RollEntry.roll_id == assembly.roll_id, RollEntry.member_ref.in_(refs))))
    return bool(members & voted_members(assembly.id))


PAYLOAD_FIELDS = {
    "type": ("文件类型", "document type"),
    "v": ("格式版本", "format version"),
    "assembly": ("会议", "assembly"),
    "notice": ("公告", "notice"),
    "roll_root": ("表决名册", "electoral roll"),
    "log_size": ("投票日志的大小", "ballot log size"),
    "log_root": ("投票日志的根", "ballot log root"),
    "tally_sha256": ("计票结果", "tally"),
}


def _claimed(signed_payload) -> dict | None:
    """The payload the supervisor's browser says it signed (JSON text or an object), if any."""
    if isinstance(signed_payload, str):
        try:
            signed_payload = json.loads(signed_payload)
        except ValueError:
            return None
    return signed_payload if isinstance(signed_payload, dict) else None


def _signature_refusal(expected: dict, signed_payload, jwk: dict, sig: str) -> ResultsError:
    """Why a signature does not verify over this tally's payload: when the browser sent what it
    signed and the signature does verify over that, name what differs; otherwise a plain refusal."""
    claimed = _claimed(signed_payload)
    if claimed is not None and claimed != expected:
        try:
            verify(jwk, canonical_json(claimed), sig)
        except (CryptoError, ValueError, TypeError):
            claimed = None
    if claimed is None or claimed == expected:
        return ResultsError(
            "签名无效：它不是用这个密钥对本次计票结果所作的签名（伪造、被改动过，或者属于别的文件）",
            "the signature does not verify over this tally's certification payload with that key: "
            "it is forged, was changed, or belongs to another document",
        )
    if claimed.get("assembly") != expected["assembly"]:
        other = str(claimed.get("assembly"))[:120]
        return ResultsError(
            f"这个签名核证的是另一次会议（{other}），不是本次会议（{expected['assembly']}）",
            f"this signature certifies another assembly ({other}), not this one ({expected['assembly']})",
        )
    if claimed.get("tally_sha256") != expected["tally_sha256"]:
        theirs, ours = str(claimed.get("tally_sha256"))[:16], expected["tally_sha256"][:16]
        return ResultsError(
            f"您签署的计票结果（摘要 {theirs}…）不是服务器的计票结果（摘要 {ours}…）：您核验的数据包与服务器的计票不一致。"
            "请不要核证，并告知其他监督员和平台管理员",
            f"the tally you signed (digest {theirs}…) is not the server's tally (digest {ours}…): the bundle you checked "
            "does not match the server's tally. Do not certify; tell the other supervisors and the platform administrator",
        )
    differ = [
        PAYLOAD_FIELDS.get(k, ("其他字段", "other fields"))
        for k in sorted(set(claimed) | set(expected))
        if claimed.get(k) != expected.get(k)
    ]
    differ = list(dict.fromkeys(differ))
    return ResultsError(
        "您签署的核证内容与本次计票不一致：" + "、".join(zh for zh, _ in differ) + "不同",
        "what you signed is not this tally's certification payload: the " + ", ".join(en for _, en in differ) + " differ",
    )


def certify(
    assembly: Assembly, *, actor, kid: str, sig: str, declared_not_voted: bool, signed_payload=None, now: datetime | None = None
) -> Certification:
    """A supervisor's certification, signed in their own browser; the server never signs for them.

    ``signed_payload`` is what the browser says it signed: never trusted, only used to say why a
    signature that does not verify over the server's payload was refused."""
    from sqlalchemy.exc import IntegrityError

    _role(
        actor,
        assembly.estate_id,
        "supervisor",
        "只有本小区的监督员可以核证计票结果",
        "only a supervisor of this estate can certify the tally",
    )
    # One certification of an assembly at a time: two supervisors signing at the same moment must
    # not each count only their own signature and leave a fully signed tally short of certified.
    db.session.execute(select(Assembly.id).where(Assembly.id == assembly.id).with_for_update())
    db.session.refresh(assembly)
    if assembly.state != "tallied":
        raise ResultsError("只有已计票、尚未核证完毕的会议可以核证", "only a tallied assembly awaiting certification can be certified")
    if not assembly.estate.voters_may_certify:
        if voted_as_owner(assembly, actor):
            raise ResultsError(
                "您在本次会议中作为业主投了票；本小区规定投票的监督员不得核证",
                "you voted in this assembly as an owner; this estate does not let such a supervisor certify",
            )
        if not declared_not_voted:
            raise ResultsError(
                "请确认您没有在本次会议中作为业主或受托人投票", "confirm that you did not vote in this assembly as an owner or a proxy"
            )
    key = db.session.scalar(select(DeviceKey).where(DeviceKey.kid == kid, DeviceKey.staff_user_id == actor.id, DeviceKey.state == "active"))
    if key is None:
        raise ResultsError("这不是您已登记的有效签名密钥", "that is not an active signing key of yours")
    if db.session.scalar(select(Certification.id).where(Certification.assembly_id == assembly.id, Certification.staff_user_id == actor.id)):
        raise ResultsError("您已经核证过", "you have already certified")
    # The server's own record must still be what it computed and signed: a tally changed since
    # (even by one number) is never certified, whatever a supervisor's tool signed.
    problems = tally_problems(assembly, tally_of(assembly))
    if problems:
        raise ResultsError(
            "不能核证：" + "；".join(zh for zh, _ in problems) + "。请告知平台管理员",
            "cannot certify: " + "; ".join(en for _, en in problems) + ". Tell the platform administrator",
        )
    signed = payload(assembly)
    try:
        verify(key.jwk, canonical_json(signed), sig)
    except (CryptoError, ValueError, TypeError):
        raise _signature_refusal(signed, signed_payload, key.jwk, sig) from None
    # The supervisor's browser verified the bundle before signing; a certification posted to the
    # API directly skipped that, so the server verifies the whole bundle itself every time.
    check_bundle(assembly, "certify", bundle_bytes(build_bundle(assembly)), complete=False)
    now = now or utcnow()
    certification = Certification(
        assembly_id=assembly.id,
        staff_user_id=actor.id,
        kid=kid,
        jwk=key.jwk,
        sig=sig,
        payload=signed,
        declared_not_voted=declared_not_voted,
        signed_at=now,
    )
    try:
        with db.session.begin_nested():  # the same certification posted twice at once: one row
            db.session.add(certification)
    except IntegrityError:
        raise ResultsError("您已经核证过", "you have already certified") from None
    have, required = signatures_so_far(assembly)
    record("tally.certify", actor=actor, estate_id=assembly.estate_id, obj=assembly, kid=kid, signatures=have, required=required)
    if have >= required:
        _step(assembly, "tallied", "certified", certified_at=now)
        record("assembly.certified", actor="system", estate_id=assembly.estate_id, obj=assembly, signatures=have)
    return certification


def publish(assembly: Assembly, *, actor, now: datetime | None = None) -> str:
    """Publish the certified result for the assembly's period, with its audit bundle."""

    _role(actor, assembly.estate_id, "organiser", "只有组织者可以公示结果", "only an organiser publishes the result")
    refusal = publish_refusal(assembly)
    if refusal is not None:
        raise refusal
    now = now or utcnow()
    tally_record = tally_of(assembly)
    data = bundle_bytes(build_bundle(assembly))
    check_bundle(assembly, "publish", data, complete=True)
    tally_record.bundle_sha256, tally_record.bundle_size = store_bytes(data), len(data)
    _step(assembly, "certified", "published", published_at=now, results_until=now + timedelta(days=assembly.publication_days))
    db.session.flush()
    record(
        "assembly.publish",
        actor=actor,
        estate_id=assembly.estate_id,
        obj=assembly,
        bundle_sha256=tally_record.bundle_sha256,
        until=assembly.results_until.isoformat(),
    )
    return tally_record.bundle_sha256


NOT_AN_OWNER = ("只有本小区已登记的业主可以提出异议", "only registered owners of this estate can object")
# What one objection may carry: its text, and one scan or photo (smaller than other attachments:
# an objection is a letter, not a registry, and each one is stored for good).
MAX_OBJECTION_CHARS = 4000
MAX_OBJECTION_FILE_BYTES = 2 * 1024 * 1024


def objection_refusal(assembly: Assembly, registration, *, now: datetime | None = None) -> ResultsError | None:
    """Why ``registration`` may not object to ``assembly``'s result now, or None when it may:
    asked before the objection page shows its form (a refusal then says why, with nothing typed
    in vain) and again when one is filed."""
    now = now or utcnow()
    if (
        registration is None
        or registration.estate_id != assembly.estate_id
        or registration.state != "approved"
        or (registration.holder_id is None and registration.member_ref != "developer")
    ):
        return ResultsError(*NOT_AN_OWNER)
    if assembly.state in ("published", "archived") and assembly.results_until is not None and now >= assembly.results_until:
        until = local(assembly.results_until, assembly.estate)
        return ResultsError(
            f"公示期已于 {until} 结束，不能再提出异议", f"the publication period ended {until}: objections are no longer taken"
        )
    if assembly.state != "published" or assembly.results_until is None:
        return ResultsError(
            "结果尚未公示：只能在结果公示期内提出异议",
            "the result is not published yet: objections can be filed only while it is on public display",
        )
    return None


def file_objection(assembly: Assembly, registration, *, text: str, now: datetime | None = None) -> Objection:
    now = now or utcnow()
    refused = objection_refusal(assembly, registration, now=now)
    if refused is not None:
        raise refused
    text = (text or "").strip()
    if not text:
        raise ResultsError("请写明异议的内容", "write what you object to")
    if len(text) > MAX_OBJECTION_CHARS:
        raise ResultsError(
            f"异议最多 {MAX_OBJECTION_CHARS} 字（这次 {len(text)} 字）：请写得简短些，详细材料可作为附件上传",
            f"an objection may have at most {MAX_OBJECTION_CHARS} characters ({len(text)} given): "
            "shorten it and attach the details as a file",
        )
    cap = assembly.estate.objection_cap
    filed = db.session.scalar(
        select(db.func.count(Objection.id)).where(Objection.assembly_id == assembly.id, Objection.registration_id == registration.id)
    )
    if filed >= cap:
        raise ResultsError(
            f"您已对这次结果提出了 {filed} 条异议，已达本小区规定的上限（{cap} 条）：监督员会逐条书面答复",
            f"you have filed {filed} objections to this result, the estate's limit ({cap}): the supervisors will answer each in writing",
        )
    objection = Objection(assembly_id=assembly.id, estate_id=assembly.estate_id, registration_id=registration.id, text=text, created_at=now)
    db.session.add(objection)
    db.session.flush()
    record("objection.file", actor=f"owner:{registration.id}", estate_id=assembly.estate_id, obj=objection, assembly=assembly.id)
    return objection


def answer_objection(objection: Objection, *, actor, text: str, now: datetime | None = None, link: str | None = None) -> None:
    answer_objections([objection], actor=actor, text=text, now=now, link=link)


def same_text(text: str) -> str:
    """An objection's text as compared with others: spaces and line breaks do not count."""
    return " ".join(text.split())


def identical_groups(objections: list[Objection]) -> list[list[Objection]]:
    """Unanswered objections grouped by identical text (in the order the first of each was filed),
    so that supervisors may answer a repeated objection once."""
    groups: dict[str, list[Objection]] = {}
    for objection in objections:
        if objection.answer is None:
            groups.setdefault(same_text(objection.text), []).append(objection)
    return list(groups.values())


def answer_objections(objections: list[Objection], *, actor, text: str, now: datetime | None = None, link: str | None = None) -> None:
    """One written answer to one objection, or to several with the same text (a repeated
    objection is answered once); each gets the answer and its own audit event, and each objector
    a notice on their page (``link``: where it leads, the results page's objections)."""
    if not objections:
        raise ResultsError("请选择要答复的异议", "choose the objections to answer")
    first = objections[0]
    _role(actor, first.estate_id, "supervisor", "只有监督员可以答复异议", "only supervisors answer objections")
    if any(o.assembly_id != first.assembly_id for o in objections):
        raise ResultsError("只能一起答复同一次会议的异议", "only objections to the same assembly can be answered together")
    if any(o.answer for o in objections):
        raise ResultsError("这条异议已经答复", "this objection has been answered")
    if len({same_text(o.text) for o in objections}) > 1:
        raise ResultsError(
            "只有内容完全相同的异议可以一起答复：请分别答复",
            "only objections with identical text can be answered together: answer them one by one",
        )
    if not (text or "").strip():
        raise ResultsError("请写明答复", "write the answer")
    now = now or utcnow()
    for objection in objections:
        objection.answer, objection.answered_by_id, objection.answered_at = text.strip()[:8000], actor.id, now
    db.session.flush()
    for objection in objections:
        record("objection.answer", actor=actor, estate_id=objection.estate_id, obj=objection)
    assembly = db.session.get(Assembly, first.assembly_id)
    notify_people(
        [o.registration_id for o in objections],
        first.estate_id,
        kind="objection",
        zh=f"监督员已书面答复您对“{assembly.title}”结果提出的异议",
        en=f"The supervisors answered your objection to the result of '{assembly.title}' in writing",
        url=link,
        assembly_id=assembly.id,
    )


def archive(assembly: Assembly, *, actor, now: datetime | None = None) -> None:
    now = now or utcnow()
    _role(actor, assembly.estate_id, "organiser", "只有组织者可以归档", "only an organiser archives")
    if assembly.state != "published":
        raise ResultsError("只有已公示的会议可以归档", "only a published assembly can be archived")
    if now < assembly.results_until:
        raise ResultsError(
            f"公示期到 {local(assembly.results_until, assembly.estate)} 才结束",
            f"the publication period ends {local(assembly.results_until, assembly.estate)}",
        )
    open_ = db.session.scalar(select(db.func.count(Objection.id)).where(Objection.assembly_id == assembly.id, Objection.answer.is_(None)))
    if open_:
        raise ResultsError(f"还有 {open_} 条异议未答复", f"{open_} objection(s) still have no answer")
    _step(assembly, "published", "archived", archived_at=now)
    record("assembly.archive", actor=actor, estate_id=assembly.estate_id, obj=assembly)
