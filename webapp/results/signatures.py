"""A result as pages show it: from the signed bytes, after checking every signature over it."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from crypto.canonical import canonical_json
from crypto.errors import CryptoError
from crypto.keys import verify
from crypto.roll import certification_payload, tally_digest
from crypto.treehead import verify_object
from tally.model import Threshold
from webapp.assemblies.models import Assembly
from webapp.auth.models import StaffUser
from webapp.core.db import db
from webapp.core.serverkey import key_set
from webapp.estates.thresholds import threshold_words as words
from webapp.results.errors import ResultsError
from webapp.results.models import Certification, TallyRecord
from webapp.rolls.verification import supervisor_keys


def tally_of(assembly: Assembly) -> TallyRecord | None:
    return db.session.scalar(select(TallyRecord).where(TallyRecord.assembly_id == assembly.id))


def payload(assembly: Assembly) -> dict:
    """What each certifying supervisor signs (their browser rebuilds it from the bundle)."""
    tally_record = tally_of(assembly)
    if tally_record is None:
        raise ResultsError("尚未计票", "there is no tally yet")
    return certification_payload(
        assembly.log_id,
        assembly.current_notice.sha256,
        assembly.roll.root,
        tally_record.log_size,
        tally_record.log_root,
        tally_record.sha256,
    )


@dataclass
class VerifiedResult:
    document: dict | None
    problems: list[tuple[str, str]] = field(default_factory=list)
    certifiers: list[tuple[str, str]] = field(default_factory=list)  # (name, kid)
    required: int = 1
    sha256: str = ""

    @property
    def intact(self) -> bool:
        return self.document is not None and not self.problems

    @property
    def certified(self) -> bool:
        return self.intact and len(self.certifiers) >= self.required


def tally_problems(assembly, record) -> list[tuple[str, str]]:
    """What is wrong with the stored tally itself (zh, en): its document no longer hashes to its
    digest, or the server's signed statement of it does not verify (nothing, if it is intact)."""

    problems = []
    digest = tally_digest(record.document)
    if digest != record.sha256:
        problems.append(("计票结果与其摘要不符：内容被改动过", "the tally does not match its digest: it was changed"))
    try:
        verify_object(record.statement, key_set().jwk_at(record.statement.get("kid"), record.statement.get("computed_at")))
        statement_ok = record.statement.get("tally_sha256") == digest and record.statement.get("notice") == assembly.current_notice.sha256
    except (CryptoError, ValueError):
        statement_ok = False
    if not statement_ok:
        problems.append(("服务器对计票结果的签名无效", "the server's signed statement of the tally does not verify"))
    return problems


def verified_result(assembly) -> VerifiedResult:

    record = tally_of(assembly)
    notice = assembly.current_notice.document
    result = VerifiedResult(record.document if record else None, required=notice["rules"]["required_signatures"])
    if record is None:
        return result
    bad = result.problems.append
    digest = tally_digest(record.document)
    result.sha256 = digest
    result.problems.extend(tally_problems(assembly, record))
    trusted = supervisor_keys(assembly.estate_id)
    message = canonical_json({**payload(assembly), "tally_sha256": digest})
    for c in db.session.scalars(select(Certification).where(Certification.assembly_id == assembly.id).order_by(Certification.signed_at)):
        jwk = trusted.get(c.kid)
        try:
            if jwk is None:
                raise ValueError("not a supervisor key of this estate")
            verify(jwk, message, c.sig)
        except (CryptoError, ValueError):
            bad((f"监督员签名 {c.kid[:12]}… 无效", f"the supervisor signature {c.kid[:12]}… does not verify"))
            continue
        user = db.session.get(StaffUser, c.staff_user_id)
        result.certifiers.append((user.display_name if user else "?", c.kid))
    return result


def threshold_words(doc: dict, zh: bool) -> str:
    """A threshold of the tally document ({"at_least": "2/3", …}) in words: 三分之二以上, more than half."""

    op = "at_least" if "at_least" in doc else "more_than"
    p, q = str(doc[op]).split("/")
    return words(Threshold(op, int(p), int(q)), zh)
