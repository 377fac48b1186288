"""The demo's inspections of the firm, through the operations people use:

- the district's standard inspection form (《物业服务检查考核表》, after Weihai 怡园's), published;
- three inspections of the demo estate by its supervisors in the last weeks, each signed with the
  supervisor's own (demo) signing key as a browser signs it, the poor one with two photos
  (drawn by webapp.demo.pictures);
- after the poor one, a rectification notice of three items with a deadline ahead, the firm's
  written answer from its own login, and a follow-up that finds two of the three rectified;
- the firm's demo login (``firm`` / ``demo-firm-pass``), which sees these and answers them.

The demo's supervisors' keys are made here (their private halves stay in this process), as the
demo's assemblies make theirs for the roll and the certifications.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select

from crypto import inspection as fmt
from crypto.canonical import canonical_json
from crypto.encoding import b64url_encode
from crypto.keys import generate_ed25519
from webapp.core.db import db, utcnow
from webapp.demo import pictures
from webapp.devices.models import DeviceKey
from webapp.estates.models import Estate
from webapp.firms.models import FirmUser
from webapp.firms.operations import create_account, serving
from webapp.inspections import operations as inspections
from webapp.inspections.models import InspectionForm
from webapp.inspections.standard import STANDARD_CODE, STANDARD_FORM

FIRM_LOGIN = ("firm", "demo-firm-pass", "绿苑物业服务有限公司 项目经理 吴志刚")
# Item scores of the three inspections (the rest full marks): days ago, scores, notes.
WALKS = [
    (24, {"stairwells": 8, "handrails": 9, "ebikes": 7}, "整体良好，个别楼道有电动车停放。"),
    (
        9,
        {"stairwells": 4, "handrails": 5, "fire-lanes": 3, "notice-board": 4, "waste": 7},
        "3号楼、5号楼楼道堆物较多，消防通道有车辆占用。",
    ),
    (2, {"stairwells": 8, "fire-lanes": 8, "notice-board": 9}, "复查同日巡查，楼道明显改善。"),
]
NOTICE_ITEMS = [
    ("stairwells", "3号楼、5号楼楼道杂物全部清理，并张贴不得堆物的提示"),
    ("fire-lanes", "小区北侧消防通道清除占用车辆，施划禁停标线"),
    ("notice-board", "公告栏更新2026年收费标准和投诉电话"),
]
# The photos, by inspection (the poor one has two), of the firm's answer and of the follow-up.
INSPECTION_PHOTOS = {1: [("楼道堆物.png", pictures.STAIRWELL_WITH_BOXES), ("消防通道占用.png", pictures.FIRE_LANE_WITH_CAR)]}
ANSWER_PHOTOS = [("楼道已清理.png", pictures.STAIRWELL_CLEARED)]
FOLLOWUP_PHOTOS = [("消防通道仍有车辆.png", pictures.FIRE_LANE_STILL_PARKED)]
FIRM_ANSWER = "已收到整改通知。3号楼、5号楼楼道杂物已于当日清理完毕；消防通道已联系车主挪车，禁停标线本周内施划；公告栏已更新。"


def _key(user) -> object:
    signer = generate_ed25519()
    db.session.add(
        DeviceKey(staff_user_id=user.id, kid=signer.kid, jwk=signer.jwk, alg="Ed25519", label="demo signing key", state="active")
    )
    db.session.flush()
    return signer


def _sign(signer, document: dict) -> str:
    return signer.sign_b64(canonical_json(document))


def _nonce() -> str:
    return b64url_encode(secrets.token_bytes(16))


def _photos(named: list) -> list[tuple[bytes, str]]:
    return [(pictures.png(shapes), filename) for filename, shapes in named]


def _digests(photos: list[tuple[bytes, str]]) -> list[str]:
    return [hashlib.sha256(data).hexdigest() for data, _name in photos]


def standard_form(admin) -> InspectionForm:
    return db.session.scalar(select(InspectionForm).where(InspectionForm.code == STANDARD_CODE)) or inspections.publish_form(
        dict(STANDARD_FORM), actor=admin
    )


def build(estate: Estate, staff: dict, admin) -> None:
    now = utcnow()
    form = standard_form(admin)
    service = serving(estate)
    if service is None:
        return
    signers = {name: _key(staff[name]) for name in ("supervisor", "supervisor2")}
    today = inspections.today_in(estate, now)
    recorded = []
    for n, (days_ago, scores, notes) in enumerate(WALKS):
        who = "supervisor" if n != 1 else "supervisor2"
        photos = _photos(INSPECTION_PHOTOS.get(n, []))
        draft = inspections.draft(estate, form, now=now)
        document = {
            "type": fmt.INSPECTION_TYPE,
            "v": 1,
            "estate": draft["estate"],
            "firm": draft["firm"],
            "form": draft["form"],
            "date": (today - timedelta(days=days_ago)).isoformat(),
            "kid": signers[who].kid,
            "nonce": _nonce(),
            "items": [
                {"id": i["id"], "score": scores.get(i["id"], i["max"]), "max": i["max"], "weight": i["weight"], "note": None}
                for i in draft["items"]
            ],
            "notes": notes,
            "photos": _digests(photos),
        }
        recorded.append(
            inspections.record_inspection(
                estate,
                actor=staff[who],
                document=document,
                kid=signers[who].kid,
                sig=_sign(signers[who], document),
                photos=photos,
                now=now,
            )
        )
    poor = recorded[1]
    issued_on = poor.inspected_on
    notice_doc = {
        "type": fmt.NOTICE_TYPE,
        "v": 1,
        "estate": inspections.estate_names(estate),
        "firm": inspections.firm_names(poor.firm),
        "inspection": poor.digest,
        "date": issued_on.isoformat(),
        "deadline": (today + timedelta(days=5)).isoformat(),
        "kid": signers["supervisor2"].kid,
        "nonce": _nonce(),
        "items": [{"id": str(n), "text": text, "item": item} for n, (item, text) in enumerate(NOTICE_ITEMS, start=1)],
        "notes": "请在期限内整改完毕并书面答复。",
    }
    notice = inspections.issue_notice(
        poor,
        estate,
        actor=staff["supervisor2"],
        document=notice_doc,
        kid=signers["supervisor2"].kid,
        sig=_sign(signers["supervisor2"], notice_doc),
        now=now,
    )
    username, password, name = FIRM_LOGIN
    account = db.session.scalar(select(FirmUser).where(FirmUser.username == username)) or create_account(
        service.firm, username=username, display_name=name, password=password, actor=admin
    )
    inspections.answer(notice, account=account, text=FIRM_ANSWER, photos=_photos(ANSWER_PHOTOS))
    followup_photos = _photos(FOLLOWUP_PHOTOS)
    followup_doc = {
        "type": fmt.FOLLOWUP_TYPE,
        "v": 1,
        "estate": inspections.estate_names(estate),
        "notice": notice.digest,
        "date": recorded[2].inspected_on.isoformat(),
        "kid": signers["supervisor"].kid,
        "nonce": _nonce(),
        "items": [
            {"id": "1", "rectified": True, "note": "楼道已清理"},
            {"id": "2", "rectified": False, "note": "标线尚未施划，仍有车辆停放"},
            {"id": "3", "rectified": True, "note": None},
        ],
        "notes": "第2项请于期限内完成。",
        "photos": _digests(followup_photos),
    }
    inspections.record_followup(
        notice,
        estate,
        actor=staff["supervisor"],
        document=followup_doc,
        kid=signers["supervisor"].kid,
        sig=_sign(signers["supervisor"], followup_doc),
        photos=followup_photos,
        now=now,
    )
