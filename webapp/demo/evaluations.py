"""The demo's firm and its owners' evaluations, built through the same operations people use:

- the firm that serves the demo estate, in the district's firm register;
- the district's form (20 items in five sections, as Shanghai 周家渡's anonymous evaluation has
  20 items), published and signed by the server key;
- a **finished** evaluation (last quarter): hundreds of owners answered, the result published and
  signed, the evaluation's private key destroyed;
- an **open** evaluation: many owners have answered; the demo voters (``/demo/voters``) have not,
  so a visitor can take one's phone and answer from the owner's page.

Each demo owner's answer goes the owners' way: its message is blinded as a phone blinds it
(RFC 9474), blind-signed once per member by :func:`webapp.evaluations.operations.issue_token`,
unblinded, and sent with :func:`submit_answer`.  Only the blinding is done here instead of in a
browser (it needs the key's encoding step, which this demo code takes from an RSA-PSS signature).
"""

from __future__ import annotations

import json
import math
import random
import secrets
from datetime import date, datetime, timedelta

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from sqlalchemy import select

from crypto import blindrsa
from crypto import evaluation as fmt
from crypto.encoding import b64url_encode
from webapp.core.db import db, utcnow
from webapp.core.serverkey import signing_key
from webapp.devices.models import DeviceKey
from webapp.estates.models import Estate
from webapp.evaluations import operations as evaluations
from webapp.evaluations.models import Evaluation, EvaluationForm
from webapp.firms.models import Firm
from webapp.firms.operations import assign_estate, create_firm
from webapp.owners.models import Registration

FIRM = ("绿苑物业服务有限公司", "91330100MA2H3K7Q42")
OPEN_TITLE = "2026年第四季度物业服务满意度测评"
FINISHED_TITLE = "2026年第三季度物业服务满意度测评"

SATISFACTION = {
    "kind": "choice",
    "choices": [
        {"id": "satisfied", "label": "满意", "points": 100},
        {"id": "basic", "label": "基本满意", "points": 60},
        {"id": "dissatisfied", "label": "不满意", "points": 0},
    ],
}


def _section(section_id: str, title: str, weight: int, texts: list[tuple[str, str]]) -> dict:
    share = weight // len(texts)
    items = [{"id": item_id, "text": text, "scale": "satisfaction", "weight": share} for item_id, text in texts]
    items[-1]["weight"] += weight - share * len(texts)
    return {"id": section_id, "title": title, "items": items}


DISTRICT_FORM = {
    "code": "district-standard",
    "title": "物业服务满意度测评表",
    "scales": {"satisfaction": SATISFACTION, "score": {"kind": "score", "min": 0, "max": 10}},
    "sections": [
        _section(
            "cleaning",
            "保洁",
            2500,
            [
                ("stairs", "楼道、扶手、电梯轿厢每日清洁"),
                ("roads", "道路、广场、地下车库清扫"),
                ("waste", "垃圾分类收运、垃圾房清洁及时"),
                ("notices", "公告栏、宣传栏整洁，信息及时更新"),
            ],
        ),
        _section(
            "security",
            "秩序维护",
            2500,
            [
                ("gate", "门岗值守、外来人员和车辆登记"),
                ("patrol", "夜间巡逻，消防通道保持畅通"),
                ("parking", "车辆停放有序，电动自行车不进楼"),
                ("fire", "消防设施完好，定期检查并公示"),
            ],
        ),
        _section(
            "greening",
            "绿化",
            1500,
            [
                ("lawn", "草坪、树木修剪及时"),
                ("pests", "病虫害防治，用药前提前告知"),
                ("plots", "绿地无毁绿种菜、无堆物"),
                ("water", "景观水体清洁"),
            ],
        ),
        _section(
            "repairs",
            "设施维修",
            2000,
            [
                ("lifts", "电梯运行正常，困人救援及时"),
                ("response", "报修响应及时（一般报修 24 小时内上门）"),
                ("lights", "楼道灯、单元门禁完好"),
                ("pipes", "供水、排水设施维护，二次供水水箱定期清洗"),
            ],
        ),
        {
            "id": "service",
            "title": "客户服务",
            "items": [
                {"id": "staff", "text": "服务人员态度、着装和工作时间公示", "scale": "satisfaction", "weight": 500},
                {"id": "complaints", "text": "投诉处理及时并答复", "scale": "satisfaction", "weight": 500},
                {"id": "accounts", "text": "物业费、公共收益收支按期公示", "scale": "satisfaction", "weight": 250},
                {"id": "overall", "text": "总体打分（0–10 分）", "scale": "score", "weight": 250},
            ],
        },
    ],
}

COMMENTS = [
    "地下车库积水问题反映多次，希望尽快处理。",
    "保洁阿姨很负责，楼道一直很干净。",
    "夜间巡逻不够，电动车还有人推进楼道。",
    "报修后师傅第二天就来了，很满意。",
    "绿化带里种菜的情况没有人管。",
    "公共收益收支能不能每季度在公告栏公示？",
    "门岗对外卖、快递人员基本不登记。",
    "电梯经常停运检修，希望提前通知。",
]


def _blind(private_key, message: bytes) -> tuple[bytes, int, int]:
    """What an owner's phone sends (RFC 9474 §4.2): the message's EMSA-PSS encoding, blinded
    with a fresh ``r``.  The encoding is read back from an RSA-PSS signature made with the key (the
    demo holds it; a phone computes the encoding itself).  Returns (blinded, r, n)."""
    numbers = private_key.public_key().public_numbers()
    n, e = numbers.n, numbers.e
    pss = private_key.sign(message, padding.PSS(mgf=padding.MGF1(hashes.SHA384()), salt_length=blindrsa.SALT_LENGTH), hashes.SHA384())
    encoded = pow(int.from_bytes(pss, "big"), e, n)
    while True:
        r = secrets.randbelow(n - 2) + 2
        if math.gcd(r, n) == 1:
            break
    size = (n.bit_length() + 7) // 8
    return (encoded * pow(r, e, n) % n).to_bytes(size, "big"), r, n


def _answers(rng: random.Random, mood: float) -> dict:
    """One household's answers: ``mood`` is the estate's share of satisfied answers."""
    out: dict = {}
    for item in fmt.items(DISTRICT_FORM):
        if rng.random() < 0.06:
            out[item["id"]] = None  # left out
        elif item["scale"] == "score":
            out[item["id"]] = max(0, min(10, round(rng.gauss(10 * mood, 1.6))))
        else:
            roll = rng.random()
            out[item["id"]] = "satisfied" if roll < mood else "basic" if roll < mood + (1 - mood) * 0.65 else "dissatisfied"
    return out


def send_answers(evaluation: Evaluation, answers: list[tuple[Registration, dict, str | None]], at: datetime) -> list[str]:
    """Each registration's household takes its token and sends its answers (and comment), as its
    phone would; returns the answers' token ids."""
    key = evaluations.private_key(evaluation)
    tokens = []
    for registration, given, comment in answers:
        message = fmt.answer_message(
            evaluation=evaluation.id,
            form=evaluation.form.digest,
            key=evaluation.key_id,
            nonce=b64url_encode(secrets.token_bytes(fmt.NONCE_BYTES)),
            answers=given,
            comment=comment,
        )
        blinded, r, n = _blind(key, message)
        blind_sig = evaluations.issue_token(evaluation, registration, blinded, now=at)
        sig = (int.from_bytes(blind_sig, "big") * pow(r, -1, n) % n).to_bytes(len(blind_sig), "big")
        tokens.append(evaluations.submit_answer(evaluation.id, message, sig, now=at))
    db.session.flush()
    return tokens


def answer_as_owners(evaluation: Evaluation, registrations: list[Registration], rng: random.Random, at: datetime, mood: float) -> int:
    """Each registration's household answers at random, ``mood`` its share of satisfied answers."""
    answers = [(r, _answers(rng, mood), rng.choice(COMMENTS) if rng.random() < 0.12 else None) for r in registrations]
    return len(send_answers(evaluation, answers, at))


def district_form(admin) -> EvaluationForm:
    """The district's form, published once (later runs find it)."""
    found = db.session.scalar(
        select(EvaluationForm).where(EvaluationForm.code == DISTRICT_FORM["code"]).order_by(EvaluationForm.version.desc())
    )
    return found or evaluations.publish_form(json.loads(json.dumps(DISTRICT_FORM)), signer=signing_key(), actor=admin)


def demo_firm(estate: Estate, admin, name: str = FIRM[0], uscc: str = FIRM[1], since: date = date(2023, 7, 1)) -> Firm:
    firm = db.session.scalar(select(Firm).where(Firm.uscc == uscc)) or create_firm(
        name=name, uscc=uscc, contact_name="项目经理 吴志刚", contact_phone="0571-8765 4321", actor=admin
    )
    assign_estate(firm, estate, since, actor=admin)
    return firm


def build(estate: Estate, staff: dict, admin, skip_kids: set[str]) -> dict[str, Evaluation]:
    """The demo estate's firm, a finished evaluation with its published result, and an open one.
    ``skip_kids``: the demo voters' keys, whose households have not answered the open one."""
    rng = random.Random(2020)
    now = utcnow().replace(second=0, microsecond=0)
    demo_firm(estate, admin)
    form = district_form(admin)
    skip = set(
        db.session.scalars(
            select(Registration.member_ref)
            .join(DeviceKey, DeviceKey.registration_id == Registration.id)
            .where(DeviceKey.kid.in_(skip_kids))
        )
    )
    members = [
        r
        for r in db.session.scalars(
            select(Registration)
            .where(Registration.estate_id == estate.id, Registration.state == "approved", Registration.can_vote.is_(True))
            .order_by(Registration.id)
        )
        if r.member_ref
    ]

    finished = evaluations.open_evaluation(
        estate,
        form,
        title=FINISHED_TITLE,
        opens=now - timedelta(days=100),
        closes=now - timedelta(days=86),
        min_answers=5,
        actor=staff["organiser"],
    )
    answer_as_owners(finished, rng.sample(members, min(len(members), 150)), rng, now - timedelta(days=95), mood=0.55)
    evaluations.publish_result(finished, signer=signing_key(), actor=staff["organiser"], now=now - timedelta(days=85))

    current = evaluations.open_evaluation(
        estate,
        form,
        title=OPEN_TITLE,
        opens=now - timedelta(days=3),
        closes=now + timedelta(days=11),
        min_answers=5,
        actor=staff["supervisor"],
    )
    others = [r for r in members if r.member_ref not in skip]
    answer_as_owners(current, rng.sample(others, min(len(others), 90)), rng, now - timedelta(days=1), mood=0.62)
    return {"finished": finished, "open": current}
