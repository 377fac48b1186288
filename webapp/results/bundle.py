"""The public audit bundle of an assembly (docs/bundle-format.md), built from the database: the
signed notice, the frozen roll, every ballot as logged, every signed tree head with its
consistency proof to the final one, the tally and the supervisors' certifications."""

from __future__ import annotations

import json

from sqlalchemy import select

from crypto import bundle as bundle_mod
from crypto.verify import verify_bundle
from webapp.core.db import db
from webapp.core.serverkey import key_records, key_set
from webapp.results.models import Certification, TallyRecord
from webapp.rolls.operations import roll_document, supplement_records, supplement_signatures
from webapp.voting import log as ballot_log
from webapp.voting.models import Ballot


def log_section(assembly) -> dict:
    """Every ballot as logged, every tree head with its consistency proof to the final one, and
    the server keys they (the notice, and the ballots' promises of inclusion) are signed by, with
    their periods (format version 3)."""
    rows = db.session.execute(
        select(Ballot.leaf_index, Ballot.entry, Ballot.promise)
        .where(Ballot.assembly_id == assembly.id, Ballot.leaf_index.is_not(None))
        .order_by(Ballot.leaf_index)
    ).all()
    entries = [{"index": index, **json.loads(entry)} for index, entry, _ in rows]  # columns, not objects
    promised = {promise["kid"] for _, _, promise in rows if promise}  # a voter's receipt carries its promise
    heads = ballot_log.heads(assembly.id)
    final = heads[-1] if heads else None
    records = []
    for head in heads:
        proof = [] if final is None or head is final else ballot_log.consistency(assembly.id, head.size, final.size)
        records.append(bundle_mod.tree_head_record(head.document, proof))
    named = {assembly.current_notice.document["kid"]} | {h.document["kid"] for h in heads}
    named |= {e["kid"] for e in entries if e.get("kind") == "paper"} | promised
    return {"id": assembly.log_id, "server_keys": key_records(named), "entries": entries, "tree_heads": records}


def build_bundle(assembly, *, tally: tuple[dict, str] | None = None) -> dict:
    """The bundle as it stands (before publication, with the certifications made so far).

    ``tally`` is (document, digest) of a tally not stored yet: the bundle the server checks before
    it signs that tally."""
    record = db.session.scalar(select(TallyRecord).where(TallyRecord.assembly_id == assembly.id))
    document, digest = tally if tally is not None else (record.document, record.sha256) if record else ({}, "")
    roll = roll_document(assembly.roll, assembly.estate)
    certifications = list(
        db.session.scalars(select(Certification).where(Certification.assembly_id == assembly.id).order_by(Certification.signed_at))
    )
    supervisors = {s["kid"]: s for s in roll["supervisors"]}
    for c in certifications:
        supervisors.setdefault(c.kid, bundle_mod.supervisor_record(c.jwk))
    supplements = supplement_records(assembly.id)
    for signature in supplement_signatures(assembly.id):
        supervisors.setdefault(signature.kid, bundle_mod.supervisor_record(signature.jwk))
    notice = assembly.current_notice.document
    return bundle_mod.make_bundle(
        notice=notice,
        supervisors=bundle_mod.by_kid(supervisors.values()),
        roll=roll["roll"],
        log=log_section(assembly),
        tally=document,
        certification={
            "tally_sha256": digest,
            "required_signatures": notice["rules"]["required_signatures"],
            "signatures": bundle_mod.by_kid({"kid": c.kid, "sig": c.sig} for c in certifications),
        },
        supplements=supplements,
    )


def bundle_bytes(bundle: dict) -> bytes:
    return json.dumps(bundle, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def bundle_failures(data: bytes, *, complete: bool) -> list[tuple[str, str]]:
    """(check, message) of every way these bundle bytes fail ``crypto.verify`` (none: they verify),
    with the installation's server keys pinned; ``complete=False`` while its certification is under way.
    One process: this runs in web requests and jobs, where forking a pool is not safe."""
    report = verify_bundle(bundle_mod.parse_document(data), jobs=1, pin_server=list(key_set().keys), require_certification=complete)
    return report.failures


def final_head(assembly):
    heads = ballot_log.heads(assembly.id)
    return heads[-1] if heads and heads[-1].final else None
