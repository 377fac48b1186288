"""The demo estate's assemblies, one at each stage, built through the same operations people use:

- a **published** assembly, held six weeks ago: most owners voted online, some on paper (entered
  twice by two organisers), tallied, certified by both demo supervisors, published with its audit
  bundle, one owner's objection answered;
- an **open** assembly (a 7-seat committee election, a firm selection among three bidders, two
  resolutions): most owners have voted; a handful of demo owners have not, and
  ``/demo/voters`` lets a visitor take one's phone and vote;
- an **announced** assembly whose notice is out and whose voting opens in three weeks.

Owners' device keys are made here for the demo (a browser makes them in real life); the demo
voters' private keys are kept in the instance folder so that a visitor's browser can import one.
Nothing here runs outside the demo (``ownersvote demo`` refuses production mode).
"""

from __future__ import annotations

import hashlib
import json
import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from crypto.ballot import make_ballot, make_paper_ballot, sign_ballot
from crypto.canonical import canonical_json
from crypto.encoding import b64url_encode
from crypto.keys import generate_ed25519, generate_p256
from webapp.assemblies import lifecycle
from webapp.assemblies import operations as ops
from webapp.assemblies.lifecycle import publish_notice
from webapp.assemblies.operations import AssemblyFields, ItemFields, attach
from webapp.candidates import operations as cops
from webapp.core.db import db, utcnow
from webapp.core.serverkey import signing_key
from webapp.demo.registry import uscc
from webapp.devices.models import DeviceKey
from webapp.owners import tokens
from webapp.owners.models import Invitation, Registration
from webapp.printing.document import PdfWriter
from webapp.registry.models import Building, Owner, OwnerKind, Unit, UnitStatus
from webapp.results import operations as results
from webapp.results.signatures import threshold_words
from webapp.rolls.models import RollEntry
from webapp.rolls.operations import add_signature, freeze_roll, signing_message
from webapp.voting.bulk import load_entries
from webapp.voting.log import close_if_due
from webapp.voting.models import Ballot, PaperEntry
from webapp.voting.paper import new_sheets

DEMO_VOTERS = 6
CLOSES_IN_MINUTES = 5  # the short assembly closes this long after the demo is built
CLOSES_IN = timedelta(minutes=CLOSES_IN_MINUTES)
CLOSING_SOON_TITLE = "演示：即将截止的业主大会会议"  # (its close is set by --closes-in)
PDF = b"%PDF-1.4\n% OwnersVote demo scan\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _private_jwk(signer) -> dict:
    d = signer._key.private_numbers().private_value.to_bytes(32, "big")
    return {**signer.jwk, "d": b64url_encode(d)}


def _register_owners(estate, rng: random.Random, share: float) -> dict[str, object]:
    """Approved registrations with a device key for most voting members' representatives;
    returns member ref → signer."""

    signers: dict[str, object] = {}
    now = utcnow()
    # The owner of 2-101 stays unregistered, for a visitor to register with a letter.
    seen: set[int] = set(
        db.session.scalars(
            select(Unit.owner_id)
            .join(Building)
            .where(Unit.estate_id == estate.id, Building.name == "2", Unit.number == "101", Unit.owner_id.is_not(None))
        )
    )
    units = db.session.scalars(select(Unit).where(Unit.estate_id == estate.id, Unit.status == UnitStatus.delivered).order_by(Unit.id))
    for unit in units:
        owner = unit.owner
        if owner is None or owner.id in seen or owner.kind is OwnerKind.organisation:
            continue
        seen.add(owner.id)
        if rng.random() > share:
            continue
        holder = owner.representative
        token = tokens.new_token()
        invitation = Invitation(
            estate_id=estate.id,
            unit_id=unit.id,
            token_hash=tokens.token_hash(token),
            code_hash=hashlib.sha256(token.encode()).hexdigest(),
            issued_at=now - timedelta(days=70),
            expires_at=now - timedelta(days=40),
            state="used",
            used_at=now - timedelta(days=60),
        )
        db.session.add(invitation)
        db.session.flush()
        registration = Registration(
            estate_id=estate.id,
            invitation_id=invitation.id,
            unit_id=unit.id,
            owner_id=owner.id,
            holder_id=holder.id,
            member_ref=f"owner:{owner.id}",
            entered_name=holder.name,
            tail_matched=True,
            state="approved",
            can_vote=True,
            decided_at=now - timedelta(days=60),
            decision_reason="automatic identity check",
            created_at=now - timedelta(days=60),
        )
        db.session.add(registration)
        db.session.flush()
        signer = generate_p256()
        db.session.add(
            DeviceKey(
                estate_id=estate.id,
                registration_id=registration.id,
                kid=signer.kid,
                jwk=signer.jwk,
                alg="ES256",
                label="Mozilla/5.0 (Linux; Android 14; demo) Chrome/131.0 Mobile",
                state="active",
                created_at=now - timedelta(days=60),
            )
        )
        signers[f"owner:{owner.id}"] = signer
    db.session.flush()
    return signers


def _supervisor_keys(staff: dict) -> dict[str, object]:

    keys = {}
    for username in ("supervisor", "supervisor2"):
        user = staff[username]
        signer = generate_ed25519()
        db.session.add(
            DeviceKey(staff_user_id=user.id, kid=signer.kid, jwk=signer.jwk, alg="Ed25519", label="demo signing key", state="active")
        )
        keys[username] = signer
    db.session.flush()
    return keys


def _freeze_and_sign(estate, assembly, staff, keys, pii_key: str, now: datetime):

    roll = freeze_roll(estate, actor=staff["supervisor"], pii_key=pii_key, now=now, assembly=assembly)
    for username in ("supervisor", "supervisor2"):
        signer = keys[username]
        add_signature(roll, estate, actor=staff[username], kid=signer.kid, sig=signer.sign_b64(signing_message(roll)))
    return roll


def _election(assembly, staff, people: list[tuple[str, str]], seats: int, title: str, now: datetime, *, by_election: bool = False):

    item = ops.add_item(
        assembly,
        "election",
        ItemFields(
            category=3,
            title=title,
            text="选举产生的委员任期五年。请从审查通过并已公示的候选人中选择，最多选满应选人数。",
            seats=seats,
            by_election=by_election,
        ),
        actor=staff["organiser"],
    )
    statements = [
        "热心公益，退休后有时间为大家服务。",
        "从事财务工作二十年，愿意管好维修资金。",
        "关注电梯和停车问题，主张公开透明。",
        "愿意每月公开业委会账目。",
        "有物业管理经验。",
        "希望改善小区绿化和环境。",
        "做过楼长，熟悉邻里情况。",
        "律师，愿意提供法律支持。",
        "年轻业主代表，擅长使用网络。",
        "关心老年业主的需求。",
    ]
    for n, (label, name) in enumerate(people):
        candidate = cops.paper_nomination(
            item,
            actor=staff["organiser"],
            unit_label=label,
            name=name,
            statement=statements[n % len(statements)],
            party_member=n % 3 == 0,
            scan=PDF + str(n).encode(),
            scan_name=f"提名表-{label}.pdf",
            now=now,
        )
        cops.decide(candidate, actor=staff["supervisor"], approve=True, reason="经核查符合本小区候选人条件", now=now)
    cops.publish_list(item, actor=staff["supervisor"], now=now)
    return item


def _bidders(assembly, staff, rng: random.Random) -> None:

    item = ops.add_item(
        assembly,
        "selection",
        ItemFields(
            category=4, title="选聘物业服务企业", text="现物业服务合同将于明年一月到期。以下三家企业参加选聘，报价为每平方米每月物业费。"
        ),
        actor=staff["organiser"],
    )
    for name, fee, plan in (
        ("杭州安居物业服务有限公司", "2.30", "24 小时门岗；电梯每月维保；保洁每日两次。"),
        ("浙江云栖湾物业服务集团有限公司", "2.80", "智慧门禁；绿化外包；设业主服务中心。"),
        ("杭州明珠物业管理有限公司", "2.10", "基础服务；维修按次收费。"),
    ):
        ops.add_bidder(item, actor=staff["organiser"], name=name, uscc=uscc(rng), fee=fee, plan=plan)


def _choices(rng: random.Random, notice: dict) -> dict:
    out: dict = {}
    for item in notice["items"]:
        x = rng.random()
        if item["kind"] == "resolution":
            if x < 0.05:
                continue
            out[item["id"]] = "agree" if x < 0.8 else ("disagree" if x < 0.93 else "abstain")
        elif item["kind"] == "election":
            options = [o["id"] for o in item["options"]]
            weights = [0.9, 0.85, 0.8, 0.75, 0.7, 0.65, 0.6, 0.3, 0.2, 0.1][: len(options)]
            out[item["id"]] = [o for o, w in zip(options, weights, strict=True) if rng.random() < w][: item["seats"]]
        else:
            options = [o["id"] for o in item["options"]]
            out[item["id"]] = [] if x < 0.05 else [rng.choices(options, weights=[6, 3, 1][: len(options)])[0]]
    return out


def _vote(assembly, signers: dict, rng: random.Random, share: float, at: datetime, skip: set[str] = frozenset()) -> set[str]:

    notice = assembly.current_notice
    members = dict(db.session.execute(select(RollEntry.member_ref, RollEntry.member).where(RollEntry.roll_id == assembly.roll_id)).all())
    entries, voted = [], set()
    for ref, member_key in signers.items():
        if ref in skip or ref not in members or rng.random() > share:
            continue
        ballot = make_ballot(assembly.log_id, notice.sha256, assembly.roll.root, members[ref], _choices(rng, notice.document))
        entries.append(sign_ballot(member_key, ballot))
        voted.add(ref)
    load_entries(assembly, entries, batch=40, at=at)
    return voted


def _paper(assembly, staff, rng: random.Random, refs: list[str], at: datetime) -> None:
    """Paper sheets returned by owners without a phone: entered by both organisers (same scan,
    same marks), then counted; the ballots go into the same log, signed by the server."""

    notice = assembly.current_notice
    members = dict(db.session.execute(select(RollEntry.member_ref, RollEntry.member).where(RollEntry.roll_id == assembly.roll_id)).all())
    sheets = new_sheets(assembly, [members[r] for r in refs if r in members], actor=staff["organiser"])
    entries = []
    for sheet in sheets:
        choices = _choices(rng, notice.document)
        scan = attach(
            assembly,
            actor=staff["organiser"],
            kind="paper",
            owner_id=sheet.id,
            data=PDF + sheet.serial.encode(),
            filename=f"{sheet.serial}.pdf",
        )
        for who in ("organiser", "organiser2"):
            db.session.add(
                PaperEntry(
                    sheet_id=sheet.id, entered_by_id=staff[who].id, choices=choices, scan_id=scan.id, scan_sha256=scan.sha256, created_at=at
                )
            )
        ballot = make_paper_ballot(
            assembly.log_id,
            notice.sha256,
            assembly.roll.root,
            sheet.member,
            choices,
            scan.sha256,
            ["organiser", "organiser2"],
            serial=sheet.serial,
        )
        entries.append(sign_ballot(signing_key(at), ballot))
        sheet.state = "cast"
    load_entries(assembly, entries, batch=40, at=at)

    for sheet in sheets:
        sheet.ballot_id = db.session.scalar(select(Ballot.id).where(Ballot.assembly_id == assembly.id, Ballot.member == sheet.member))
    return len(sheets)


def _objection_answer(tally: dict, item_id: str, paper_count: int) -> str:
    """The supervisors' answer to the demo objection, told from the tally it answers about (so
    that it can never contradict the published result)."""

    r = tally["items"][item_id]
    agree = r["counts"]["agree"]["of_participants"]
    verdict = "通过" if r["passed"] else "未通过"
    return (
        f"纸质表决票 {paper_count} 张已由两位组织者分别录入并计入，可在审计数据包中逐张核对。"
        f"架空层事项获参与表决面积的 {agree['area']}、参与表决人数的 {agree['heads']} 同意，{verdict}"
        f"（须经参与表决的专有部分面积和人数各{threshold_words(r['thresholds']['approval'], True)}同意）。"
        + ("改作活动室后，自行车将移至 5 号楼北侧新建的车棚停放。" if r["passed"] else "架空层维持现状，自行车停放不受影响。")
    )


def _notice(assembly, staff, at: datetime):

    return publish_notice(assembly, actor=staff["organiser"], now=at)


def _local(now: datetime, zone: str, days: int, hour: int) -> datetime:
    """``days`` from ``now``'s date in the estate's zone, at ``hour`` o'clock there: a real
    assembly opens in the morning and closes in the evening, not at the minute the demo started."""
    day = now.astimezone(ZoneInfo(zone)).date() + timedelta(days=days)
    return datetime(day.year, day.month, day.day, hour, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def build(
    estate, staff: dict, pii_key: str, instance_folder, closes_in: timedelta = CLOSES_IN, signers_out: dict | None = None
) -> list[dict]:
    """Create the demo assemblies; return the demo voters (unit, name, private JWK).  The short
    assembly closes ``closes_in`` after the build (see :func:`closing_time`).  ``signers_out``
    receives the registered owners' phone keys by member (the demo petition signs with them)."""

    rng = random.Random(2026)
    now = utcnow().replace(second=0, microsecond=0)
    estate.roll_signatures_required = 2
    estate.tally_signatures_required = 2
    estate.alternates = 2
    estate.party_target_percent = 50
    estate.turnout_public = True
    estate.eligibility_rules = [
        {"zh": "本小区业主，具有完全民事行为能力", "en": "An owner in this estate with full civil capacity"},
        {
            "zh": "本人、配偶及近亲属不在本小区物业服务企业任职",
            "en": "Neither they nor their spouse or close relatives work for the serving property firm",
        },
        {
            "zh": "无拖欠物业服务费、维修资金（参照上海第 20 条、杭州第 25 条）",
            "en": "No arrears of property fees or maintenance fund (as Shanghai Art. 20, Hangzhou Art. 25)",
        },
        {"zh": "不是失信被执行人（参照北京第 39 条）", "en": "Not a judgment defaulter (as Beijing Art. 39)"},
        {"zh": "无未整改的违法建设", "en": "No unremedied illegal construction"},
    ]
    db.session.flush()
    signers = _register_owners(estate, rng, share=0.86)
    if signers_out is not None:
        signers_out.update(signers)
    keys = _supervisor_keys(staff)
    people = []
    for ref in list(signers)[:20]:
        owner = db.session.get(Owner, int(ref.split(":")[1]))
        people.append((owner.units[0].label, owner.representative.name))

    # -- the published assembly, held six weeks ago -----------------------------------------
    t = now - timedelta(days=70)
    past = ops.create_assembly(
        estate,
        AssemblyFields(
            title="2026年第一次业主大会会议（已公示）",
            kind="regular",
            opens_at=_local(now, estate.timezone, -42, 9),
            closes_at=_local(now, estate.timezone, -35, 20),
            publication_days=30,
            description="表决使用维修资金更换电梯、增补业主委员会委员。",
        ),
        actor=staff["organiser"],
        now=t,
    )
    ops.add_item(
        past,
        "resolution",
        ItemFields(category=5, title="使用维修资金更换 3 号楼、5 号楼电梯", text="预算 186 万元，从两栋楼分户账中按面积分摊。"),
        actor=staff["organiser"],
    )
    pilotis = ops.add_item(past, "resolution", ItemFields(category=8, title="将 5 号楼架空层改作业主活动室"), actor=staff["organiser"])
    _election(past, staff, people[10:13], 2, "补选业主委员会委员（2 名）", t, by_election=True)
    _notice(past, staff, now - timedelta(days=60))
    _freeze_and_sign(estate, past, staff, keys, pii_key, now - timedelta(days=45))
    lifecycle.open_if_due(past, now=_local(now, estate.timezone, -42, 9) + timedelta(minutes=5))
    voted = _vote(past, signers, rng, 0.82, at=now - timedelta(days=40))
    non_voters = [ref for ref in signers if ref not in voted][:25]
    paper_count = _paper(past, staff, rng, non_voters, at=now - timedelta(days=37))
    close_if_due(past)
    tally_record = results.compute_tally(past, actor=staff["organiser"], now=now - timedelta(days=34))
    payload = results.payload(past)
    for username in ("supervisor", "supervisor2"):
        results.certify(
            past,
            actor=staff[username],
            kid=keys[username].kid,
            sig=keys[username].sign_b64(canonical_json(payload)),
            declared_not_voted=True,
            now=now - timedelta(days=33),
        )
    results.publish(past, actor=staff["organiser"], now=now - timedelta(days=2))

    objector = db.session.scalar(select(Registration).where(Registration.estate_id == estate.id, Registration.state == "approved").limit(1))
    objection = results.file_objection(
        past,
        objector,
        text="我家 5 号楼的架空层一直用来停自行车，改作活动室后车停哪里？计票是否包括了纸质票？",
        now=now - timedelta(days=1),
    )
    results.answer_objection(
        objection,
        actor=staff["supervisor"],
        text=_objection_answer(tally_record.document, pilotis.ballot_id, paper_count),
        now=now - timedelta(hours=20),
    )

    # -- the open assembly -------------------------------------------------------------------
    t = now - timedelta(days=30)
    current = ops.create_assembly(
        estate,
        AssemblyFields(
            title="2026年第二次业主大会会议",
            kind="regular",
            opens_at=_local(now, estate.timezone, -1, 9),
            closes_at=_local(now, estate.timezone, 14, 20),
            publication_days=15,
            nomination_deadline=t + timedelta(hours=1),
            description="换届选举业主委员会，选聘物业服务企业，修订管理规约，使用维修资金。",
        ),
        actor=staff["organiser"],
        now=t,
    )
    covenant = ops.add_item(
        current,
        "resolution",
        ItemFields(
            category=2,
            title="修订《绿苑小区管理规约》",
            text="主要修改：电动自行车不得进楼充电；装修时间改为工作日 8:30–18:00；宠物须拴绳。全文见附件。",
        ),
        actor=staff["organiser"],
    )
    ops.attach(
        current, actor=staff["organiser"], kind="item", owner_id=covenant.id, data=_covenant_pdf(estate.name), filename="管理规约修订稿.pdf"
    )
    _election(current, staff, people[:9], 7, "选举第三届业主委员会委员（7 名）", t)
    _bidders(current, staff, rng)
    ops.add_item(
        current,
        "resolution",
        ItemFields(category=5, title="使用维修资金维修 1–4 号楼屋面防水", text="预算 48.6 万元，按各栋面积分摊。"),
        actor=staff["organiser"],
    )
    _notice(current, staff, now - timedelta(days=22))
    voters_left = [ref for ref in signers][-DEMO_VOTERS:]
    _freeze_and_sign(estate, current, staff, keys, pii_key, now - timedelta(days=3))
    lifecycle.open_if_due(current, now=now)
    _vote(current, signers, rng, 0.7, at=now - timedelta(hours=12), skip=set(voters_left))

    # -- the announced assembly ----------------------------------------------------------------
    upcoming = ops.create_assembly(
        estate,
        AssemblyFields(
            title="2026年第一次临时业主大会会议",
            kind="extraordinary",
            opens_at=_local(now, estate.timezone, 20, 9),
            closes_at=_local(now, estate.timezone, 27, 20),
            publication_days=7,
        ),
        actor=staff["organiser"],
        now=now - timedelta(days=2),
    )
    ops.add_item(upcoming, "resolution", ItemFields(category=7, title="改建小区南门，增设人车分流通道"), actor=staff["organiser"])
    ops.add_item(upcoming, "resolution", ItemFields(category=9, title="在地下车库增设电动汽车充电桩"), actor=staff["organiser"])
    _notice(upcoming, staff, now - timedelta(days=1))
    db.session.flush()

    # -- the assembly that closes while a visitor watches ---------------------------------------
    _closing_soon(estate, staff, keys, signers, people, rng, pii_key, closes_in, skip=set(voters_left))

    voters = []
    for ref in voters_left:
        owner = db.session.get(Owner, int(ref.split(":")[1]))
        voters.append(
            {"unit": owner.units[0].label, "name": owner.representative.name, "jwk": _private_jwk(signers[ref]), "kid": signers[ref].kid}
        )
    path = instance_folder / "demo_voters.json"
    path.write_text(json.dumps(voters, ensure_ascii=False, indent=1))
    path.chmod(0o600)
    return voters


def closing_time(now: datetime, closes_in: timedelta) -> datetime:
    """When the short assembly closes: ``closes_in`` after ``now``.  A time in whole minutes (what
    ``ownersvote demo --closes-in`` gives) is moved on to the next whole minute, because every
    page and the command show times to the minute: "closes at 10:05" is then exactly true.  A
    shorter or odd time (a test's seconds) is kept as it is."""

    closes = now + closes_in
    if closes_in % timedelta(minutes=1) == timedelta(0) and closes != closes.replace(second=0, microsecond=0):
        closes = closes.replace(second=0, microsecond=0) + timedelta(minutes=1)
    return closes


def _closing_soon(estate, staff, keys, signers, people, rng, pii_key: str, closes_in: timedelta, *, skip: set[str]):
    """An assembly that is open now and closes ``closes_in`` after the demo was built, so that a
    visitor sees the second half of an assembly's life with the real clock: vote, watch it close,
    tally, certify as both supervisors in the browser, publish, check the receipt."""

    now = utcnow().replace(microsecond=0)  # after the rest of the build: the minutes are the visitor's
    closes = closing_time(now, closes_in)
    minutes = max(1, -(-(closes - now) // timedelta(minutes=1)))
    t = now - timedelta(days=30)
    assembly = ops.create_assembly(
        estate,
        AssemblyFields(
            title=CLOSING_SOON_TITLE,
            kind="extraordinary",
            # Open already (the ballots below are dated five minutes ago), for at least the
            # shortest window allowed, an hour, also when it closes in less than an hour.
            opens_at=min(closes - timedelta(hours=1), now - timedelta(minutes=10)),
            closes_at=closes,
            publication_days=15,
            nomination_deadline=t + timedelta(hours=1),
            description=f"演示用：投票在演示启动约 {minutes} 分钟后截止，之后可计票、核证、公示。",
        ),
        actor=staff["organiser"],
        now=t,
    )
    ops.add_item(
        assembly,
        "resolution",
        ItemFields(category=9, title="在小区东门增设快递柜", text="由快递企业出资安装，场地使用费计入公共收益。"),
        actor=staff["organiser"],
    )
    _election(assembly, staff, people[13:16], 2, "补选业主委员会委员（2 名）", t, by_election=True)
    _notice(assembly, staff, now - timedelta(days=16))
    _freeze_and_sign(estate, assembly, staff, keys, pii_key, now - timedelta(hours=2))
    lifecycle.open_if_due(assembly, now=now)
    # Enough ballots for the quorum (two thirds of the area and of the owners: with 80% the area
    # fell short, at 66.07%), so that the visitor sees candidates elected and a resolution
    # passed, as the README promises, not a meeting that failed for want of turnout.
    _vote(assembly, signers, rng, 0.92, at=now - timedelta(minutes=5), skip=skip)
    db.session.flush()
    return assembly


def _covenant_pdf(estate_name: str) -> bytes:
    """The revised covenant the demo's resolution points to, so its attachment opens as a real document."""

    pdf = PdfWriter(f"{estate_name}管理规约（修订稿）", footer=f"{estate_name} · 管理规约修订稿 · 演示文件")
    pdf.title(f"{estate_name}管理规约（修订稿）")
    for heading, text in (
        ("第一条 目的", "为维护全体业主的共同利益，保障物业的安全与合理使用，根据《中华人民共和国民法典》和《物业管理条例》，制定本规约。"),
        ("第十二条 电动自行车", "电动自行车及其电池不得进入楼道、电梯和户内充电，应当在小区集中充电设施充电。"),
        ("第十五条 装修", "装修施工时间为工作日 8:30–18:00；节假日不得进行产生噪声的施工。"),
        ("第十八条 宠物", "携犬出户应当束犬链，及时清理犬只粪便；不得在公共区域饲养家禽家畜。"),
        ("第三十条 生效", "本规约经业主大会会议表决通过后生效，对全体业主和物业使用人具有约束力。"),
    ):
        pdf.heading(heading)
        pdf.paragraph(text)
    return pdf.finish()
