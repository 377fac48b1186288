"""An estate with registered owners and an assembly in voting, for bench/cast.py and
bench/tally_export.py, built through the app's own operations as webapp/demo/assemblies.py does:
a generated registry imported (bench/registry.py's generator), owners registered with a device
key each (P-256, as phones make them), a roll frozen for the assembly and signed by two
supervisors, the notice published, and voting opened.

Only the owners' registrations are written in bulk (three executemany statements, the same rows
``webapp.demo.assemblies._register_owners`` adds one by one): an estate of 20,000 would
otherwise take minutes of ORM flushes before anything is measured.
"""

from __future__ import annotations

import hashlib
import os
import random
import secrets
import sys
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from sqlalchemy import create_engine, insert, select, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEFAULT_PG_URL = os.environ.get("OWNERSVOTE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def create_database(admin_url: str, prefix: str) -> str:
    """A fresh database on the server of ``admin_url``; returns its URL."""
    url = make_url(admin_url)
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    engine = create_engine(url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def drop_database(admin_url: str, database_url: str) -> None:
    name = make_url(database_url).database
    engine = create_engine(make_url(admin_url), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def _bench_module(name: str):
    """A sibling script of bench/ as a module (bench/ itself is not put on the path: its tally.py
    would shadow the tally package)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(f"bench_{name}", ROOT / "bench" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@dataclass
class Built:
    estate_slug: str
    assembly_id: int
    members: int  # voting members on the roll
    voters: dict[str, object] = field(default_factory=dict)  # roll member id → P-256 signer
    staff: dict = field(default_factory=dict)  # role name → staff user id
    supervisor_keys: dict = field(default_factory=dict)  # supervisor's role name → their signing key


def register_owners(estate, limit: int | None = None) -> dict[str, object]:
    """An approved registration with an active P-256 device key for every owner of record (not
    organisations) with a delivered unit, up to ``limit``; returns member ref → signer."""
    from crypto.keys import generate_p256
    from webapp.core.db import db, utcnow
    from webapp.devices.models import DeviceKey
    from webapp.owners import tokens
    from webapp.owners.models import Invitation, Registration
    from webapp.registry.models import Owner, OwnerHolder, OwnerKind, Unit, UnitStatus

    now = utcnow()
    rows = db.session.execute(
        select(Unit.id, Unit.owner_id, OwnerHolder.id, OwnerHolder.name)
        .join(Owner, Owner.id == Unit.owner_id)
        .join(OwnerHolder, (OwnerHolder.owner_id == Owner.id) & OwnerHolder.is_representative)
        .where(Unit.estate_id == estate.id, Unit.status == UnitStatus.delivered, Owner.kind != OwnerKind.organisation)
        .order_by(Unit.id)
    ).all()
    seen: set[int] = set()
    chosen = []
    for unit_id, owner_id, holder_id, name in rows:
        if owner_id in seen:
            continue
        seen.add(owner_id)
        chosen.append((unit_id, owner_id, holder_id, name))
        if limit is not None and len(chosen) >= limit:
            break
    invitations, tokens_of = [], []
    for unit_id, _owner_id, _, _ in chosen:
        token = tokens.new_token()
        tokens_of.append(tokens.token_hash(token))
        invitations.append(
            {
                "estate_id": estate.id,
                "unit_id": unit_id,
                "token_hash": tokens_of[-1],
                "code_hash": hashlib.sha256(token.encode()).hexdigest(),
                "state": "used",
                "failed_checks": 0,
                "issued_at": now - timedelta(days=70),
                "expires_at": now - timedelta(days=40),
                "used_at": now - timedelta(days=60),
            }
        )
    db.session.execute(insert(Invitation), invitations)
    inv_ids = dict(db.session.execute(select(Invitation.token_hash, Invitation.id).where(Invitation.estate_id == estate.id)).all())
    registrations = [
        {
            "estate_id": estate.id,
            "invitation_id": inv_ids[h],
            "unit_id": unit_id,
            "owner_id": owner_id,
            "holder_id": holder_id,
            "member_ref": f"owner:{owner_id}",
            "entered_name": name,
            "tail_matched": True,
            "phone_verified": False,
            "state": "approved",
            "can_vote": True,
            "decided_at": now - timedelta(days=60),
            "decision_reason": "automatic identity check",
            "created_at": now - timedelta(days=60),
        }
        for h, (unit_id, owner_id, holder_id, name) in zip(tokens_of, chosen, strict=True)
    ]
    db.session.execute(insert(Registration), registrations)
    reg_ids = dict(db.session.execute(select(Registration.member_ref, Registration.id).where(Registration.estate_id == estate.id)).all())
    signers, keys = {}, []
    for _, owner_id, _, _ in chosen:
        ref = f"owner:{owner_id}"
        signer = generate_p256()
        signers[ref] = signer
        keys.append(
            {
                "estate_id": estate.id,
                "registration_id": reg_ids[ref],
                "kid": signer.kid,
                "jwk": signer.jwk,
                "alg": "ES256",
                "label": "Mozilla/5.0 (Linux; Android 14; bench) Chrome/131.0 Mobile",
                "state": "active",
                "created_at": now - timedelta(days=60),
            }
        )
    db.session.execute(insert(DeviceKey), keys)
    db.session.flush()
    return signers


def build(app, *, units: int, past: bool = False, seed: int = 2026) -> Built:
    """An estate of ``units`` generated units whose owners all registered a phone, and an
    assembly on its signed roll: voting now (``past=False``: opened a day ago, closes in two
    weeks) or held in the past (``past=True``: opened 10 days ago, closed an hour ago, still
    to be sealed by ``close_if_due``)."""
    registry_csv = _bench_module("registry").registry_csv
    from webapp.assemblies import lifecycle
    from webapp.assemblies import operations as ops
    from webapp.assemblies.operations import AssemblyFields, ItemFields
    from webapp.auth.operations import assign_role, create_staff
    from webapp.core.db import db, utcnow
    from webapp.core.roles import Role
    from webapp.demo.assemblies import _bidders, _election, _freeze_and_sign, _notice, _supervisor_keys
    from webapp.estates.operations import create_estate
    from webapp.registry.importing import import_file
    from webapp.registry.models import Owner
    from webapp.rolls.models import RollEntry

    rng = random.Random(seed)
    with app.app_context():
        slug = f"bench{secrets.token_hex(3)}"
        estate = create_estate(slug, f"压测小区 {units}", actor="bench")
        staff = {}
        for username, name, role in (
            ("organiser", "筹备组 林晓燕", "organiser"),
            ("organiser2", "筹备组 赵德明", "organiser"),
            ("supervisor", "居委会 王敏", "supervisor"),
            ("supervisor2", "街道办 陈立新", "supervisor"),
        ):
            user = create_staff(f"{slug}-{username}", name, secrets.token_urlsafe(12), actor="bench")
            assign_role(user, estate, Role(role), actor="bench")
            staff[username] = user
        import_file(estate, registry_csv(units), "registry.csv", actor="bench")
        db.session.commit()
        estate.roll_signatures_required = 2
        estate.tally_signatures_required = 2
        estate.alternates = 2
        db.session.flush()
        signers = register_owners(estate)
        keys = _supervisor_keys(staff)
        people = []
        for ref in list(signers)[:12]:
            owner = db.session.get(Owner, int(ref.split(":")[1]))
            people.append((owner.units[0].label, owner.representative.name))

        now = utcnow().replace(second=0, microsecond=0)
        shift = timedelta(days=12) if past else timedelta(0)
        t = now - timedelta(days=30) - shift
        opens, closes = now - timedelta(days=1) - shift, (now - timedelta(hours=1) if past else now + timedelta(days=14))
        assembly = ops.create_assembly(
            estate,
            AssemblyFields(
                title="2026年第二次业主大会会议（压测）",
                kind="regular",
                opens_at=opens,
                closes_at=closes,
                publication_days=15,
                nomination_deadline=t + timedelta(hours=1),
                description="换届选举业主委员会，选聘物业服务企业，修订管理规约，使用维修资金。",
            ),
            actor=staff["organiser"],
            now=t,
        )
        ops.add_item(
            assembly,
            "resolution",
            ItemFields(category=2, title="修订《管理规约》", text="电动自行车不得进楼充电；装修时间改为工作日 8:30–18:00。"),
            actor=staff["organiser"],
        )
        _election(assembly, staff, people[:9], 7, "选举第三届业主委员会委员（7 名）", t)
        _bidders(assembly, staff, rng)
        ops.add_item(
            assembly,
            "resolution",
            ItemFields(category=5, title="使用维修资金维修屋面防水", text="预算 48.6 万元，按各栋面积分摊。"),
            actor=staff["organiser"],
        )
        _notice(assembly, staff, now - timedelta(days=22) - shift)
        _freeze_and_sign(estate, assembly, staff, keys, app.config["OWNERSVOTE_PII_HMAC_KEY"], now - timedelta(days=3) - shift)
        if not lifecycle.open_if_due(assembly, now=opens + timedelta(minutes=5)):
            raise RuntimeError(f"the assembly did not open: {lifecycle.opening_blockers(assembly)}")
        db.session.commit()
        members = dict(
            db.session.execute(select(RollEntry.member_ref, RollEntry.member).where(RollEntry.roll_id == assembly.roll_id)).all()
        )
        voters = {members[ref]: signer for ref, signer in signers.items() if ref in members}
        return Built(
            estate_slug=slug,
            assembly_id=assembly.id,
            members=len(members),
            voters=voters,
            staff={k: v.id for k, v in staff.items()},
            supervisor_keys=keys,
        )


def choices(rng: random.Random, notice: dict) -> dict:
    from webapp.demo.assemblies import _choices

    return _choices(rng, notice)


def signed_ballots(app, built: Built, *, share: float = 1.0, seed: int = 7) -> list[dict]:
    """One signed ballot ({ballot, kid, sig}) for each voter (a ``share`` of them), distinct."""
    from crypto.ballot import make_ballot, sign_ballot
    from webapp.assemblies.models import Assembly
    from webapp.core.db import db

    rng = random.Random(seed)
    with app.app_context():
        assembly = db.session.get(Assembly, built.assembly_id)
        notice = assembly.current_notice
        log_id, digest, root = assembly.log_id, notice.sha256, assembly.roll.root
        out = []
        for member, signer in built.voters.items():
            if rng.random() >= share:
                continue
            entry = sign_ballot(signer, make_ballot(log_id, digest, root, member, choices(rng, notice.document)))
            out.append({"ballot": entry["ballot"], "kid": entry["kid"], "sig": entry["sig"]})
        return out


def app_for(database_url: str, **config):
    from webapp import create_app
    from webapp.core.migrate import upgrade

    upgrade(database_url)
    return create_app({"SQLALCHEMY_DATABASE_URI": database_url, **config})


__all__ = ["Built", "app_for", "build", "create_database", "drop_database", "register_owners", "signed_ballots", "DEFAULT_PG_URL"]
