"""Inspections of an estate's firm by its supervisors, rectification notices (整改通知) and
follow-ups, each signed in the inspector's browser with the inspector's own device key, and the
firm's written answers (crypto/inspection.py, docs/inspection-format.md).

1. The platform publishes an inspection form (:func:`publish_form`; the standard one is
   :data:`webapp.inspections.standard.STANDARD_FORM`).
2. A supervisor of the estate scores it on the phone; the browser builds the inspection document,
   signs its canonical JSON with the supervisor's key and posts it with the photos.  The server
   checks everything before it stores anything (:func:`record_inspection`): the key is the
   supervisor's own, the signature, the estate, the firm serving it that day, the form's items,
   the date, and that the photos posted are exactly those the document names (images only,
   within the limits, without EXIF metadata).
3. A supervisor may issue a notice after an inspection (:func:`issue_notice`): items and a
   deadline after today; a follow-up (:func:`record_followup`) records each item rectified or not.
4. The firm serving the estate answers an inspection or a notice in writing (:func:`answer`),
   with photos checked as the inspector's are.

Every step is audited in the estate's chain.  Nothing is written when any check fails.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from crypto import inspection as fmt
from crypto import ranking as rk
from crypto.canonical import canonical_json
from crypto.errors import CryptoError
from webapp.attachments.models import Attachment
from webapp.attachments.storage import AttachmentError, CheckedFile, check, store
from webapp.audit.operations import record
from webapp.auth.models import StaffUser
from webapp.core.db import db, utcnow
from webapp.core.errors_base import UserError
from webapp.core.roles import Role
from webapp.core.timefmt import zone
from webapp.devices.models import DeviceKey
from webapp.estates.models import Estate
from webapp.firms.models import Firm, FirmUser
from webapp.firms.operations import serving_on
from webapp.inspections.models import FirmAnswer, FollowUp, Inspection, InspectionForm, RectificationNotice
from webapp.inspections.photos import metadata_problem

MAX_PHOTO_BYTES = 3 * 1024 * 1024
MAX_AGE_DAYS = 30  # an inspection is recorded within a month of the walk
MAX_DEADLINE_DAYS = 180
MAX_ANSWER = 2000


class InspectionError(UserError):
    pass


def _refuse(exc: CryptoError, zh: str, en: str) -> InspectionError:
    return InspectionError(f"{zh}：{exc}", f"{en}: {exc}")


# --- forms ----------------------------------------------------------------------------------------


def publish_form(definition: dict, *, actor) -> InspectionForm:
    """Store a new version of the form ``definition["code"]`` (without type, v and version)."""
    if not isinstance(definition, dict):
        raise InspectionError("检查表须为 JSON 对象", "a form is a JSON object")
    code = definition.get("code")
    latest = (
        db.session.scalar(select(func.max(InspectionForm.version)).where(InspectionForm.code == code)) if isinstance(code, str) else None
    )
    form = {k: v for k, v in definition.items() if k not in ("type", "v", "version")}
    form = {**form, "type": fmt.FORM_TYPE, "v": 1, "version": (latest or 0) + 1}
    try:
        fmt.validate_form(form)
    except CryptoError as exc:
        raise _refuse(exc, "检查表不合格", "the form is not valid") from None
    row = InspectionForm(
        code=form["code"],
        version=form["version"],
        title=form["title"],
        definition=canonical_json(form).decode(),
        digest=fmt.form_digest(form),
        published_by_id=getattr(actor, "id", None),
    )
    db.session.add(row)
    db.session.flush()
    record("inspection.form", actor=actor, obj=row, code=row.code, version=row.version, digest=row.digest)
    return row


def form_document(form: InspectionForm) -> dict:
    return json.loads(form.definition)


def latest_forms() -> list[InspectionForm]:
    """The newest version of each form, by code."""
    newest = select(InspectionForm.code, func.max(InspectionForm.version).label("version")).group_by(InspectionForm.code).subquery()
    return list(
        db.session.scalars(
            select(InspectionForm)
            .join(newest, (InspectionForm.code == newest.c.code) & (InspectionForm.version == newest.c.version))
            .order_by(InspectionForm.code)
        )
    )


# --- what the inspector's browser builds on --------------------------------------------------------


def today_in(estate: Estate, now: datetime | None = None) -> date:
    return (now or utcnow()).astimezone(zone(estate.timezone)).date()


def estate_names(estate: Estate) -> dict:
    return {"id": estate.id, "name": estate.name}


def firm_names(firm: Firm | None) -> dict | None:
    return None if firm is None else {"name": firm.name, "uscc": firm.uscc}


def firm_on(estate: Estate, day: date) -> Firm | None:
    service = serving_on(estate.id, day)
    return service.firm if service is not None else None


def draft(estate: Estate, form: InspectionForm, *, now: datetime | None = None) -> dict:
    """What the inspection page's script builds the document from (it adds the scores, notes,
    photos' digests, the key id and a nonce, and signs)."""
    today = today_in(estate, now)
    definition = form_document(form)
    return {
        "type": fmt.INSPECTION_TYPE,
        "estate": estate_names(estate),
        "firm": firm_names(firm_on(estate, today)),
        "form": {"code": form.code, "version": form.version, "digest": form.digest},
        "date": today.isoformat(),
        "items": [{"id": i["id"], "max": i["max"], "weight": i["weight"]} for i in fmt.form_items(definition)],
    }


# --- checks shared by the three documents -------------------------------------------------------------


def _supervisor(actor, estate: Estate) -> None:
    if not isinstance(actor, StaffUser) or actor.role_in(estate.id) is not Role.supervisor:
        raise InspectionError(
            "只有本小区的监督员（社区、街道工作人员）可以检查、下发整改通知和复查",
            "only a supervisor of this estate (community or sub-district staff) inspects, issues notices and follows up",
        )


def _signed(document, kind: str, *, actor, kid, sig) -> tuple[DeviceKey, str]:
    """The actor's own active key named ``kid`` and the digest of ``document`` of ``kind``, once
    the document is well formed, names that key, and the signature over its canonical JSON
    verifies with it."""
    if not isinstance(document, dict) or not isinstance(kid, str) or not isinstance(sig, str):
        raise InspectionError(
            "请求格式不正确：需要文件、签名密钥和签名", "malformed request: a document, a key id and a signature are expected"
        )
    if document.get("type") != kind:
        raise InspectionError("签署的不是这一类文件", f"the signed document is not a {kind}")
    try:
        fmt.validate(document)
    except CryptoError as exc:
        raise _refuse(exc, "签署的文件格式不正确", "the signed document is malformed") from None
    if document["kid"] != kid:
        raise InspectionError("文件中写明的密钥与签名所用的密钥不同", "the document names another key than the one it was signed with")
    key = db.session.scalar(select(DeviceKey).where(DeviceKey.kid == kid, DeviceKey.staff_user_id == actor.id, DeviceKey.state == "active"))
    if key is None:
        raise InspectionError(
            "签名所用的不是您本人已登记的有效签名密钥。请在您登记过密钥的浏览器中签署，或先在“我的签名密钥”中登记一个。",
            "the signature is not by an active signing key of yours. Sign in the browser where you made your key, "
            "or make one first under My signing keys.",
        )
    try:
        digest = fmt.verify_document(document, key.jwk, sig)
    except CryptoError as exc:
        raise _refuse(exc, "签名无效，没有保存", "the signature does not verify; nothing was saved") from None
    return key, digest


def _same_estate(document: dict, estate: Estate) -> None:
    if document["estate"] != estate_names(estate):
        raise InspectionError(
            f"签署的文件写的是另一个小区（{document['estate'].get('name')}），不是{estate.name}",
            f"the signed document names another estate ({document['estate'].get('name')}), not {estate.name}",
        )


def _not_seen(model, digest: str) -> None:
    if db.session.scalar(select(model.id).where(model.digest == digest)) is not None:
        raise InspectionError("这份签署的文件已经保存过了", "this signed document was already recorded")


def _day_ok(day: date, estate: Estate, now: datetime | None, *, earliest: date | None = None) -> None:
    today = today_in(estate, now)
    if day > today:
        raise InspectionError(f"日期 {day} 在今天之后", f"the date {day} is after today")
    oldest = max(today - timedelta(days=MAX_AGE_DAYS), earliest or date.min)
    if day < oldest:
        raise InspectionError(f"日期 {day} 太早：最早可以是 {oldest}", f"the date {day} is too early: {oldest} at the earliest")


@dataclass
class Photos:
    """The photos posted with a document, checked; stored only by :meth:`keep`."""

    files: list[CheckedFile] = field(default_factory=list)

    def keep(self, estate: Estate, kind: str, owner_id: int, uploaded_by: str) -> list[Attachment]:
        kept = []
        for checked in self.files:
            store(checked)
            attachment = Attachment(
                estate_id=estate.id,
                kind=kind,
                owner_id=owner_id,
                filename=checked.filename,
                content_type=checked.content_type,
                size=checked.size,
                sha256=checked.sha256,
                uploaded_by=uploaded_by,
            )
            db.session.add(attachment)
            kept.append(attachment)
        db.session.flush()
        return kept


def check_photos(uploads: list[tuple[bytes, str]], listed: list[str]) -> Photos:
    """The posted files, each an image within the limits and without EXIF metadata, and exactly
    the photos the signed document names (by SHA-256)."""
    files = _images(uploads)
    posted = sorted(f.sha256 for f in files)
    if len(set(posted)) != len(posted) or posted != sorted(listed):
        raise InspectionError(
            "上传的照片与签署的文件中列出的照片不一致，没有保存。请重新选择照片后再签署。",
            "the photos posted are not those the signed document lists; nothing was saved. Choose the photos again and sign again.",
        )
    return Photos(files)


def _images(uploads: list[tuple[bytes, str]]) -> list[CheckedFile]:
    """At most :data:`fmt.MAX_PHOTOS` files, each an image within the limits and without EXIF
    metadata (the page re-draws each photo without it before upload)."""
    if len(uploads) > fmt.MAX_PHOTOS:
        raise InspectionError(f"照片最多 {fmt.MAX_PHOTOS} 张", f"at most {fmt.MAX_PHOTOS} photos")
    files = []
    for data, filename in uploads:
        try:
            checked = check(data, filename, images_only=True, max_bytes=MAX_PHOTO_BYTES)
        except AttachmentError as exc:
            raise InspectionError(f"照片“{filename}”没有保存：{exc.zh}", f"the photo '{filename}' was not saved: {exc.en}") from None
        problem = metadata_problem(checked.data, checked.content_type)
        if problem is not None:
            raise InspectionError(
                f"照片“{filename}”带有拍摄信息（EXIF，可能含位置），没有保存。请用本页的“添加照片”上传，它会先去掉这些信息。（{problem}）",
                f"the photo '{filename}' carries camera metadata (EXIF, which may hold the location) and was not saved. "
                f"Add it with this page's photo button, which removes it first. ({problem})",
            )
        files.append(checked)
    return files


# --- inspections ---------------------------------------------------------------------------------------


def record_inspection(
    estate: Estate, *, actor, document, kid, sig, photos: list[tuple[bytes, str]] = (), now: datetime | None = None
) -> Inspection:
    _supervisor(actor, estate)
    key, digest = _signed(document, fmt.INSPECTION_TYPE, actor=actor, kid=kid, sig=sig)
    _same_estate(document, estate)
    form = db.session.scalar(select(InspectionForm).where(InspectionForm.digest == document["form"]["digest"]))
    if form is None or (form.code, form.version) != (document["form"]["code"], document["form"]["version"]):
        raise InspectionError("签署的文件所用的检查表不是平台公布的", "the signed document's form is not one the platform published")
    expected = [(i["id"], i["max"], i["weight"]) for i in fmt.form_items(form_document(form))]
    if [(i["id"], i["max"], i["weight"]) for i in document["items"]] != expected:
        raise InspectionError(
            "签署的评分项与检查表的项目、满分或权重不一致", "the scored items differ from the form's items, maximum points or weights"
        )
    day = date.fromisoformat(document["date"])
    _day_ok(day, estate, now)
    firm = firm_on(estate, day)
    if document["firm"] != firm_names(firm):
        raise InspectionError(
            f"签署的文件写的服务企业与 {day} 为本小区服务的企业不一致",
            f"the signed document names another firm than the one serving the estate on {day}",
        )
    checked = check_photos(list(photos), document["photos"])
    _not_seen(Inspection, digest)
    score = fmt.inspection_score(document)
    inspection = Inspection(
        estate_id=estate.id,
        firm_id=firm.id if firm else None,
        form_id=form.id,
        inspector_id=actor.id,
        inspected_on=day,
        score=rk.frac(score),
        kid=key.kid,
        jwk=key.jwk,
        sig=sig,
        document=canonical_json(document).decode(),
        digest=digest,
    )
    db.session.add(inspection)
    db.session.flush()
    checked.keep(estate, "inspection", inspection.id, actor.username)
    record(
        "inspection.record",
        actor=actor,
        estate_id=estate.id,
        obj=inspection,
        digest=digest,
        kid=key.kid,
        date=day.isoformat(),
        score=rk.shown(score),
        firm=firm.uscc if firm else None,
        photos=len(checked.files),
    )
    return inspection


# --- notices -------------------------------------------------------------------------------------------


def issue_notice(inspection: Inspection, estate: Estate, *, actor, document, kid, sig, now: datetime | None = None) -> RectificationNotice:
    _supervisor(actor, estate)
    if inspection.estate_id != estate.id:
        raise InspectionError("这次检查不属于本小区", "this inspection is not of this estate")
    if inspection.firm_id is None:
        raise InspectionError(
            "检查当天没有为本小区服务的物业服务企业，无法下发整改通知",
            "no firm served the estate on the day of the inspection: there is no one to notify",
        )
    key, digest = _signed(document, fmt.NOTICE_TYPE, actor=actor, kid=kid, sig=sig)
    _same_estate(document, estate)
    if document["inspection"] != inspection.digest:
        raise InspectionError("整改通知写的不是这次检查", "the notice names another inspection than this one")
    if document["firm"] != firm_names(inspection.firm):
        raise InspectionError("整改通知写的企业不是被检查的企业", "the notice names another firm than the one inspected")
    issued = date.fromisoformat(document["date"])
    _day_ok(issued, estate, now, earliest=inspection.inspected_on)
    deadline = date.fromisoformat(document["deadline"])
    today = today_in(estate, now)
    if deadline <= today:
        raise InspectionError(
            f"整改期限 {deadline} 不在今天之后：请定一个今后的日期",
            f"the deadline {deadline} is not after today: set a date in the future",
        )
    if deadline > today + timedelta(days=MAX_DEADLINE_DAYS):
        raise InspectionError(f"整改期限最长 {MAX_DEADLINE_DAYS} 天", f"a deadline is at most {MAX_DEADLINE_DAYS} days away")
    known = {item["id"] for item in json.loads(inspection.document)["items"]}
    if any(item["item"] is not None and item["item"] not in known for item in document["items"]):
        raise InspectionError("整改事项引用了检查表中没有的项目", "a notice item names an item the inspection did not score")
    _not_seen(RectificationNotice, digest)
    notice = RectificationNotice(
        estate_id=estate.id,
        firm_id=inspection.firm_id,
        inspection_id=inspection.id,
        inspector_id=actor.id,
        issued_on=issued,
        deadline=deadline,
        items=len(document["items"]),
        state="open",
        kid=key.kid,
        jwk=key.jwk,
        sig=sig,
        document=canonical_json(document).decode(),
        digest=digest,
    )
    db.session.add(notice)
    db.session.flush()
    record(
        "inspection.notice",
        actor=actor,
        estate_id=estate.id,
        obj=notice,
        digest=digest,
        kid=key.kid,
        inspection=inspection.id,
        deadline=deadline.isoformat(),
        items=notice.items,
    )
    return notice


def record_followup(
    notice: RectificationNotice,
    estate: Estate,
    *,
    actor,
    document,
    kid,
    sig,
    photos: list[tuple[bytes, str]] = (),
    now: datetime | None = None,
) -> FollowUp:
    _supervisor(actor, estate)
    if notice.estate_id != estate.id:
        raise InspectionError(
            "这份整改通知属于另一个小区，不能在本小区复查", "this notice is of another estate: it cannot be followed up in this one"
        )
    if notice.state != "open":
        raise InspectionError("这份整改通知的事项都已整改完毕", "every item of this notice is already rectified")
    key, digest = _signed(document, fmt.FOLLOWUP_TYPE, actor=actor, kid=kid, sig=sig)
    _same_estate(document, estate)
    if document["notice"] != notice.digest:
        raise InspectionError("复查记录写的不是这份整改通知", "the follow-up names another notice than this one")
    if len(document["items"]) != notice.items:
        raise InspectionError(
            f"复查须逐项记录整改通知的全部 {notice.items} 项", f"a follow-up records every one of the notice's {notice.items} items"
        )
    day = date.fromisoformat(document["date"])
    _day_ok(day, estate, now, earliest=notice.issued_on)
    checked = check_photos(list(photos), document["photos"])
    _not_seen(FollowUp, digest)
    rectified = sum(1 for item in document["items"] if item["rectified"])
    followup = FollowUp(
        notice_id=notice.id,
        estate_id=estate.id,
        inspector_id=actor.id,
        inspected_on=day,
        rectified=rectified,
        kid=key.kid,
        jwk=key.jwk,
        sig=sig,
        document=canonical_json(document).decode(),
        digest=digest,
    )
    db.session.add(followup)
    db.session.flush()
    checked.keep(estate, "followup", followup.id, actor.username)
    if rectified == notice.items:
        notice.state = "rectified"
    record(
        "inspection.followup",
        actor=actor,
        estate_id=estate.id,
        obj=followup,
        digest=digest,
        kid=key.kid,
        notice=notice.id,
        rectified=rectified,
        items=notice.items,
        photos=len(checked.files),
    )
    return followup


# --- the firm's answers ----------------------------------------------------------------------------------


def answer(subject: Inspection | RectificationNotice, *, account: FirmUser, text: str, photos: list[tuple[bytes, str]] = ()) -> FirmAnswer:
    """The firm answers an inspection of its service, or a notice to it, in writing, with up to
    as many photos as an inspection carries, checked as the inspector's are (images within the
    limits, without EXIF metadata: the page re-draws them without it)."""
    if not isinstance(account, FirmUser) or subject.firm_id != account.firm_id:
        raise InspectionError("只有被检查的物业服务企业可以答复", "only the firm inspected may answer")
    text = (text or "").strip()
    if not text or len(text) > MAX_ANSWER:
        raise InspectionError(f"请写下答复（{MAX_ANSWER} 字以内）", f"write the answer (at most {MAX_ANSWER} characters)")
    files = _images(list(photos))
    if len({f.sha256 for f in files}) != len(files):
        raise InspectionError("同一张照片选了两次：每张照片只上传一次", "the same photo was chosen twice: upload each photo once")
    is_notice = isinstance(subject, RectificationNotice)
    reply = FirmAnswer(
        estate_id=subject.estate_id,
        firm_id=account.firm_id,
        firm_user_id=account.id,
        inspection_id=None if is_notice else subject.id,
        notice_id=subject.id if is_notice else None,
        text=text,
    )
    db.session.add(reply)
    db.session.flush()
    Photos(files).keep(subject.estate, "answer", reply.id, f"firm:{account.username}")
    record(
        "inspection.answer",
        actor=f"firm:{account.username}",
        estate_id=subject.estate_id,
        obj=subject,
        firm=account.firm.uscc,
        author=account.display_name,
        chars=len(text),
        photos=len(files),
    )
    return reply


def answers_to(subject: Inspection | RectificationNotice) -> list[FirmAnswer]:
    column = FirmAnswer.notice_id if isinstance(subject, RectificationNotice) else FirmAnswer.inspection_id
    return list(db.session.scalars(select(FirmAnswer).where(column == subject.id).order_by(FirmAnswer.id)))


def answered(notices: list[RectificationNotice], inspections: list[Inspection]) -> tuple[set[int], set[int]]:
    """Which of these notices and inspections have an answer: (notice ids, inspection ids), in one
    query for a firm's page rather than one per notice and per inspection."""
    notice_ids, inspection_ids = [n.id for n in notices], [i.id for i in inspections]
    rows = db.session.execute(
        select(FirmAnswer.notice_id, FirmAnswer.inspection_id).where(
            FirmAnswer.notice_id.in_(notice_ids) | FirmAnswer.inspection_id.in_(inspection_ids)
        )
    ).all()
    return {r.notice_id for r in rows if r.notice_id is not None}, {r.inspection_id for r in rows if r.inspection_id is not None}


def answer_photos(answers: list[FirmAnswer]) -> dict[int, list[Attachment]]:
    """Each answer's photos, by the answer's id (one query for a page's answers)."""
    found: dict[int, list[Attachment]] = {a.id: [] for a in answers}
    if found:
        rows = select(Attachment).where(Attachment.kind == "answer", Attachment.owner_id.in_(found)).order_by(Attachment.id)
        for attachment in db.session.scalars(rows):
            found[attachment.owner_id].append(attachment)
    return found


# --- reading: shown from the signed bytes, after checking them -------------------------------------------


@dataclass
class Checked:
    document: dict | None
    problems: list[tuple[str, str]] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return self.document is not None and not self.problems


def checked(row: Inspection | RectificationNotice | FollowUp) -> Checked:
    """The row's document if its bytes are canonical, hash to its digest, and its inspector's
    signature verifies with the key that inspector registered (revoked since or not); else the
    problems, for an alarm on the page."""
    problems: list[tuple[str, str]] = []
    try:
        document = json.loads(row.document)
        if canonical_json(document).decode() != row.document or fmt.document_digest(document) != row.digest:
            problems.append(("文件与其摘要不符：内容被改动过", "the document does not match its digest: it was changed"))
        registered = db.session.scalar(select(DeviceKey.jwk).where(DeviceKey.kid == row.kid, DeviceKey.staff_user_id == row.inspector_id))
        if registered is None:
            problems.append(("签名密钥不是检查人登记的密钥", "the signing key is not one the inspector registered"))
        else:
            fmt.verify_document(document, registered, row.sig)
    except (CryptoError, ValueError) as exc:
        problems.append((f"检查人的签名核验失败：{exc}", f"the inspector's signature does not verify: {exc}"))
        document = None
    return Checked(document if not problems else None, problems)


def score_of(document: dict) -> str:
    """The exact score (``"p/q"``) of a checked inspection document, as rankings compute it."""
    return rk.frac(fmt.inspection_score(document))


def item_points(item: dict) -> tuple[str, str]:
    """(what an item adds to the score out of 100, the most it could add), rounded as the score is
    shown: an owner adding them up finds the score (give or take the last rounding).  Both by the
    score's own rule (crypto.inspection.item_score), for this one item."""
    earned = fmt.item_score([item])
    most = fmt.item_score([{**item, "score": item["max"]}])
    return rk.shown(earned), (str(most.numerator) if most.denominator == 1 else rk.shown(most))


def verified_score(inspection: Inspection) -> str | None:
    """The inspection's exact score from its signed bytes after checking them; None when they do
    not verify (a page then says so instead of showing the stored score)."""
    check = checked(inspection)
    return score_of(check.document) if check.intact else None


def signed_record(row: Inspection | RectificationNotice | FollowUp) -> dict:
    """The signed record anyone may check offline (crypto.inspection.verify_signed, and with a
    ranking: ownersvote verify-ranking ranking.json inspection.json)."""
    return {"document": json.loads(row.document), "jwk": row.jwk, "sig": row.sig}


def photos_of(kind: str, owner_id: int) -> list[Attachment]:
    return list(
        db.session.scalars(select(Attachment).where(Attachment.kind == kind, Attachment.owner_id == owner_id).order_by(Attachment.id))
    )


def by_digests(digests) -> dict[str, Inspection]:
    """The inspections whose signed documents have these SHA-256 digests (a ranking names them)."""
    wanted = set(digests)
    if not wanted:
        return {}
    return {i.digest: i for i in db.session.scalars(select(Inspection).where(Inspection.digest.in_(wanted)))}


def estate_inspections(estate: Estate) -> list[Inspection]:
    return list(
        db.session.scalars(
            select(Inspection).where(Inspection.estate_id == estate.id).order_by(Inspection.inspected_on.desc(), Inspection.id.desc())
        )
    )


def estate_notices(estate: Estate) -> list[RectificationNotice]:
    return list(
        db.session.scalars(
            select(RectificationNotice).where(RectificationNotice.estate_id == estate.id).order_by(RectificationNotice.id.desc())
        )
    )


def firm_inspections(firm_id: int) -> list[Inspection]:
    return list(
        db.session.scalars(
            select(Inspection).where(Inspection.firm_id == firm_id).order_by(Inspection.inspected_on.desc(), Inspection.id.desc())
        )
    )


def firm_notices(firm_id: int) -> list[RectificationNotice]:
    return list(
        db.session.scalars(
            select(RectificationNotice).where(RectificationNotice.firm_id == firm_id).order_by(RectificationNotice.id.desc())
        )
    )


def overdue(notice: RectificationNotice, now: datetime | None = None) -> bool:
    return notice.state == "open" and notice.deadline < today_in(notice.estate, now)


# --- for the ranking of a period ----------------------------------------------------------------------------


def in_period(start: date, until: date) -> list[Inspection]:
    """Every inspection of a firm dated in [start, until)."""
    return list(
        db.session.scalars(
            select(Inspection)
            .where(Inspection.inspected_on >= start, Inspection.inspected_on < until, Inspection.firm_id.is_not(None))
            .order_by(Inspection.estate_id, Inspection.inspected_on, Inspection.id)
        )
    )


def ranking_input(inspection: Inspection) -> dict:
    """What a ranking takes from an inspection, once its signed bytes check (else a refusal: the
    ranking is not made on a document its signature does not bear out)."""
    found = checked(inspection)
    if not found.intact:
        zh, en = found.problems[0]
        raise InspectionError(
            f"检查 {inspection.id}（{inspection.estate.name}）的签名核验失败，排名未生成：{zh}",
            f"inspection {inspection.id} ({inspection.estate.name}) does not verify; no ranking was made: {en}",
        )
    return rk.inspection_inputs(found.document)
