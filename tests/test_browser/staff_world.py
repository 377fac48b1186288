"""An estate as staff really see it, for the browser tests of the staff pages: the 1,200-unit
demo registry, hundreds of audit events, several signing keys per supervisor with real device
labels, owners with phones, and pending registrations with long names and long notes."""

from __future__ import annotations

import itertools

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

PASSWORD = "correct horse battery"

# Real user-agent strings, as the key-making script stores them.
USER_AGENTS = {
    "android": "Mozilla/5.0 (Linux; Android 14; 23127PN0CC Build/UKQ1.230804.001) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36",
    "iphone": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
    "wechat": "Mozilla/5.0 (iPhone; CPU iPhone OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.47(0x18002f2c) NetType/WIFI Language/zh_CN",
    "linux": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chromium/126.0.0.0 Chrome/126.0.0.0 Safari/537.36",
    "windows": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Safari/537.36 Edg/125.0.2535.51",
    "mac": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
    "old": "X11; Linux x86_64",  # what the script stored before it kept the whole string
}

STAFF = {
    # role: (display name, platform admin)
    "admin": ("区住房和城乡建设局物业管理科 周建国", True),
    "organiser": ("绿苑小区首次业主大会筹备组联络人 欧阳娜仁托娅", False),
    "supervisor": ("翠湖街道社区治理办公室 司马建华", False),
    "supervisor2": ("绿苑社区居委会 诸葛晓燕", False),
    "spare": ("物业服务中心 陈平（已调离）", False),
}

PENDING = [
    (
        "1-101",
        "杭州明远商贸有限公司法定代表人授权代表欧阳娜仁托娅",
        "本人受杭州明远商贸有限公司委托办理登记，公司营业执照、法定代表人身份证复印件和授权委托书已交物业服务中心，请核对。",
    ),
    (
        "5-1203",
        "Maximilian-Alexander Vandenberghe-Oppenheimer",
        "I bought this flat from the previous owner in March; the transfer is registered but the property office has not updated its export yet. 我去年三月购入此房，不动产登记已办理完毕。",
    ),
    ("7-2502", "阿卜杜热合曼·买买提艾力", "身份证上的姓名含间隔号，房产证上写作阿卜杜热合曼买买提艾力，是同一个人。" * 3),
    ("11-2301", "司马相如", "我是开发商销售部的工作人员，代表建设单位登记尚未交付的房屋。"),
    ("12-2104", "诸葛明", ""),
    ("3-801", "张伟伟", "房产证上的名字是张伟，身份证上是张伟伟，" + "已提供派出所出具的更名证明。" * 4),
]

_numbers = itertools.count(1)


def build(live) -> dict:
    """Create the estate and everything in it; return what the tests need to find it."""
    from crypto.keys import generate_ed25519, generate_p256
    from webapp.audit.models import AuditEvent
    from webapp.auth.models import StaffUser
    from webapp.auth.operations import assign_role, create_staff, revoke_role
    from webapp.core.db import db
    from webapp.core.roles import Role
    from webapp.demo.registry import demo_csv
    from webapp.devices import operations as device_ops
    from webapp.estates.operations import create_estate, update_settings
    from webapp.owners import operations as ops
    from webapp.owners.models import Registration
    from webapp.registry.importing import import_file
    from webapp.registry.models import Owner, Unit
    from webapp.rolls.operations import add_signature, freeze_roll, signing_message

    n = next(_numbers)
    pii = live.config["OWNERSVOTE_PII_HMAC_KEY"]
    with live.app_context():
        users: dict[str, StaffUser] = {}
        for role, (name, admin) in STAFF.items():
            users[role] = create_staff(f"{role}-big{n}", name, PASSWORD, admin=admin, actor="cli")
        estate = create_estate(f"lvyuan-{n}", "绿苑小区", actor=users["admin"])
        import_file(estate, demo_csv(), "绿苑小区-不动产登记簿导出-2026年11月.csv", actor=users["admin"])
        assign_role(users["organiser"], estate, Role.organiser, actor=users["admin"])
        assign_role(users["supervisor"], estate, Role.supervisor, actor=users["admin"])
        assign_role(users["supervisor2"], estate, Role.supervisor, actor=users["admin"])
        assign_role(users["spare"], estate, Role.supervisor, actor=users["admin"])
        revoke_role(users["spare"], estate, actor=users["admin"])
        update_settings(
            estate,
            actor=users["admin"],
            roll_signatures_required=2,
            sms_required=True,
            letter_valid_days=45,
            organiser_label="绿苑小区首次业主大会筹备组",
            help_text="物业服务中心（3号楼底商）或绿苑社区居委会，电话 0571-8888 6666",
        )
        units = {
            u.label: u
            for u in db.session.scalars(
                select(Unit)
                .where(Unit.estate_id == estate.id)
                .options(selectinload(Unit.building), selectinload(Unit.owner).selectinload(Owner.holders))
            )
        }

        # Letters for every building, then a stream of single re-issues: hundreds of events.
        by_building: dict[str, list] = {}
        for unit in units.values():
            by_building.setdefault(unit.building.name, []).append(unit)
        issued = {}
        for name in sorted(by_building, key=int):
            for letter in ops.issue_letters(estate, by_building[name], actor=users["organiser"], pii_key=pii):
                issued[letter.unit.label] = letter
        reissue = [units[f"4-{floor}{flat:02d}"] for floor in range(1, 26) for flat in range(1, 5)][:90]
        for unit in reissue:
            for letter in ops.issue_letters(
                estate, [unit], actor=users["supervisor"], pii_key=pii, reason="业主更换手机，原告知书遗失，凭身份证当面补发"
            ):
                issued[letter.unit.label] = letter

        # Owners who registered their phones (the automatic check matched them).
        agents = list(USER_AGENTS.values())
        registered = []
        for i, label in enumerate(["2-101", "2-102", "2-103", "2-201", "2-202", "2-203", "2-301", "2-302", "6-1801"]):
            unit = units[label]
            holder = unit.owner.holders[0]
            registration = ops.register_matched(issued[label].invitation, holder)
            device_ops.add_device_key(jwk=generate_p256().jwk, label=agents[i % len(agents)], registration=registration)
            registered.append(registration)
        # A co-owned flat: the second owner registers too, and the supervisors record who votes.
        co_unit = next(u for u in units.values() if u.building.name == "9" and u.owner and len(u.owner.holders) > 1)
        co_letter = ops.issue_letters(estate, [co_unit], actor=users["supervisor"], pii_key=pii, reason="共有人登记")[0]
        co_reg = ops.register_matched(co_letter.invitation, co_unit.owner.holders[1])
        device_ops.add_device_key(jwk=generate_p256().jwk, label=USER_AGENTS["wechat"], registration=co_reg)
        ops.set_representative(
            co_unit.owner,
            co_unit.owner.holders[1],
            actor=users["supervisor"],
            reason="两位共有人书面约定由其中一人代表投票，约定书原件存居委会",
        )
        # An owner who lost the phone: the key is revoked with a reason.
        lost = registered[0].keys[0]
        device_ops.revoke_key(lost, actor=users["supervisor"], reason="业主来电称手机在地铁上遗失，已核实身份，撤销该设备密钥")
        # A letter locked after too many wrong answers.
        locked = issued["8-1501"].invitation
        for _ in range(ops.MAX_FAILED_CHECKS):
            ops.check_identity(locked, "王小二", "000000", pii_key=pii)

        # Pending registrations with long names and notes, and some decided ones.
        pending = []
        for label, name, note in PENDING:
            letter = (
                issued[label]
                if issued[label].invitation.state == "active"
                else ops.issue_letters(estate, [units[label]], actor=users["supervisor"], pii_key=pii, reason="重新打印")[0]
            )
            registration = ops.register_for_review(letter.invitation, name, tail_matched=False, note=note or None)
            device_ops.add_device_key(jwk=generate_p256().jwk, label=agents[len(pending) % len(agents)], registration=registration)
            pending.append(registration)
        decided = []
        for label in ("10-101", "10-102", "10-103"):
            registration = ops.register_for_review(
                issued[label].invitation, "李建国（代其母亲王秀英登记）", tail_matched=False, note="母亲年事已高，由我代为办理"
            )
            decided.append(registration)
        holder = units["10-101"].owner.holders[0]
        ops.approve(
            decided[0],
            actor=users["supervisor"],
            holder_id=holder.id,
            as_developer=False,
            reason="核对了不动产权证书和身份证原件，确为同一人",
        )
        ops.reject(decided[1], actor=users["supervisor2"], reason="委托书未写明委托事项和期限，请补充完整的书面委托书后重新登记")
        ops.reject(decided[2], actor=users["supervisor"], reason="重复登记")

        # Signing keys: several per supervisor, with long key ids and real device labels.
        signers = {}
        for who, kinds in (
            ("supervisor", ["linux", "android", "windows", "old"]),
            ("supervisor2", ["mac", "iphone"]),
            ("organiser", ["wechat"]),
        ):
            for kind in kinds:
                signer = generate_ed25519() if kind != "iphone" else generate_p256()
                key = device_ops.add_device_key(jwk=signer.jwk, label=USER_AGENTS[kind], staff=users[who])
                signers.setdefault(who, []).append((signer, key))
        device_ops.revoke_key(signers["supervisor"][3][1], actor=users["supervisor"], reason="旧笔记本电脑已交回单位信息科，不再使用")

        # The roll, frozen and signed by one of the two supervisors it needs.
        roll = freeze_roll(estate, actor=users["supervisor"], pii_key=pii)
        signer, key = signers["supervisor"][0]
        add_signature(roll, estate, actor=users["supervisor"], kid=key.kid, sig=signer.sign_b64(signing_message(roll)))
        db.session.commit()
        result = {
            "slug": estate.slug,
            "name": estate.name,
            "users": {role: user.username for role, user in users.items()},
            "names": {role: user.display_name for role, user in users.items()},
            "user_ids": {role: user.id for role, user in users.items()},
            "pending_unit": pending[0].unit_id,
            "co_unit": co_unit.id,
            "owner_unit": registered[0].unit_id,
            "pending": len(pending),
            "kids": {who: [k.kid for _s, k in pairs] for who, pairs in signers.items()},
        }
        result["events"] = db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.chain == estate.id))
        assert db.session.scalar(
            select(func.count(Registration.id)).where(Registration.estate_id == estate.id, Registration.state == "pending")
        ) == len(PENDING)
    return result
