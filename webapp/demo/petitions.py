"""The demo's owners' petition for an extraordinary meeting: started a few days ago by an owner,
signed on some owners' phones, short of both shares, so that its public page shows the progress
and a demo owner can sign it (the demo voters hold the phones of households that have not)."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import select

from crypto import petition as cp
from webapp.core.db import db, utcnow
from webapp.owners.models import Registration
from webapp.petitions import operations as ops
from webapp.petitions.models import Petition

SUBJECT = "在地面停车场增设电动自行车充电棚"
TEXT = "电动自行车在楼道内充电存在火灾隐患。提议召开业主大会临时会议，表决在 3、7 号楼之间的地面停车场增设充电棚，费用从公共收益中列支。"
SHARE = 0.12  # of the registered households: short of the 20% of the heads


def build(estate, signers: dict, pii_key: str, *, skip_kids: set[str]) -> Petition:
    rng = random.Random(21)
    now = utcnow().replace(second=0, microsecond=0)
    registrations = {
        r.member_ref: r
        for r in db.session.scalars(
            select(Registration).where(
                Registration.estate_id == estate.id, Registration.state == "approved", Registration.can_vote.is_(True)
            )
        )
    }
    refs = [ref for ref, signer in signers.items() if ref in registrations and signer.kid not in skip_kids]
    starter = refs[0]
    petition = ops.start(
        estate, registrations[starter], subject=SUBJECT, text_=TEXT, category=8, pii_key=pii_key, now=now - timedelta(days=6)
    )
    chosen = [starter] + [ref for ref in refs[1:] if rng.random() < SHARE]
    members = {m.member_ref: m.member for m in petition.members}
    for n, ref in enumerate(chosen):
        doc = cp.make_signature(petition.log_id, petition.digest, members[ref])
        text, sig = cp.sign_signature(signers[ref], doc)
        at = now - timedelta(days=6) + timedelta(minutes=7 * n + 1)
        ops.sign(petition, {"signature": text, "kid": signers[ref].kid, "sig": sig}, now=at)
        if petition.state != "open":  # (never with these numbers: the demo shows one in progress)
            break
    return petition
