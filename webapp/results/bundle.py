"""The public audit bundle of an assembly (docs/bundle-format.md), built from the database: the
signed notice, the frozen roll, every ballot as logged, every signed tree head with its
consistency proof to the final one, the tally and the supervisors' certifications."""

from __future__ import annotations

import json

from sqlalchemy import select

from crypto import bundle as bundle_mod
from webapp.core.db import db
from webapp.core.serverkey import signer
from webapp.results.models import Certification, TallyRecord
from webapp.rolls.operations import roll_document
from webapp.voting import log as ballot_log
from webapp.voting.models import Ballot


def log_section(assembly) -> dict:

    server = signer()
    rows = db.session.execute(
        select(Ballot.leaf_index, Ballot.entry)
        .where(Ballot.assembly_id == assembly.id, Ballot.leaf_index.is_not(None))
        .order_by(Ballot.leaf_index)
    )
    entries = [{"index": index, **json.loads(entry)} for index, entry in rows]  # columns, not objects
    heads = ballot_log.heads(assembly.id)
    final = heads[-1] if heads else None
    records = []
    for head in heads:
        proof = [] if final is None or head is final else ballot_log.consistency(assembly.id, head.size, final.size)
        records.append(bundle_mod.tree_head_record(head.document, proof))
    return {"id": assembly.log_id, "server_key": {"kid": server.kid, "jwk": server.jwk}, "entries": entries, "tree_heads": records}


def build_bundle(assembly) -> dict:
    """The bundle as it stands (before publication, with the certifications made so far)."""
    record = db.session.scalar(select(TallyRecord).where(TallyRecord.assembly_id == assembly.id))
    roll = roll_document(assembly.roll, assembly.estate)
    certifications = list(
        db.session.scalars(select(Certification).where(Certification.assembly_id == assembly.id).order_by(Certification.signed_at))
    )
    supervisors = {s["kid"]: s for s in roll["supervisors"]}
    for c in certifications:
        supervisors.setdefault(c.kid, bundle_mod.supervisor_record(c.jwk))
    notice = assembly.current_notice.document
    return bundle_mod.make_bundle(
        notice=notice,
        supervisors=bundle_mod.by_kid(supervisors.values()),
        roll=roll["roll"],
        log=log_section(assembly),
        tally=record.document if record else {},
        certification={
            "tally_sha256": record.sha256 if record else "",
            "required_signatures": notice["rules"]["required_signatures"],
            "signatures": bundle_mod.by_kid({"kid": c.kid, "sig": c.sig} for c in certifications),
        },
    )


def bundle_bytes(bundle: dict) -> bytes:
    return json.dumps(bundle, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def final_head(assembly):
    heads = ballot_log.heads(assembly.id)
    return heads[-1] if heads and heads[-1].final else None
