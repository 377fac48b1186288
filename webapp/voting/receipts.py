"""Checking a voter's receipt against the log as it stands now: its signature and proof, that
its ballot is still at its place, and that the newest signed tree head (the final one after the
close) is consistent with the one the receipt carries and still includes the ballot."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from crypto.canonical import loads
from crypto.errors import CryptoError, FormatError
from crypto.merkle import verify_consistency, verify_inclusion
from crypto.treehead import _CROCKFORD_READ, normalize_tracking_code, parse_receipt, tracking_code, verify_receipt
from webapp.assemblies.models import Assembly
from webapp.core.db import db
from webapp.core.serverkey import key_set
from webapp.voting import log as ballot_log
from webapp.voting.models import Ballot


@dataclass
class ReceiptCheck:
    found: bool = False
    steps: list[tuple[bool, str, str]] = field(default_factory=list)  # (passed, zh, en)
    index: int | None = None
    code: str | None = None
    head: object = None  # the newest tree head it was checked against
    final: bool = False

    @property
    def ok(self) -> bool:
        return self.found and all(passed for passed, _, _ in self.steps)

    def step(self, passed: bool, zh: str, en: str) -> None:
        self.steps.append((passed, zh, en))


def check_receipt(assembly, *, code: str | None = None, document: str | None = None) -> ReceiptCheck:

    result = ReceiptCheck()
    latest = ballot_log.latest_head(assembly.id)
    if latest is None:
        result.step(False, "这次会议还没有投票记录", "this assembly has no ballot log yet")
        return result
    result.head, result.final = latest, latest.final
    receipt = None
    if document:
        try:
            receipt_doc = loads(document.encode("utf-8"))
            head = parse_receipt(receipt_doc).sth
            receipt = verify_receipt(receipt_doc, key_set().jwk_at(head.kid, head.timestamp), assembly.log_id)
        except (CryptoError, ValueError, UnicodeError) as exc:
            result.step(False, "回执本身无效（签名、追踪码或证明不对）", f"the receipt itself does not verify: {exc}")
            return result
        result.step(True, "回执的签名、追踪码和包含证明都有效", "the receipt's signature, tracking code and inclusion proof are valid")
        code = receipt.code
    ballot = ballot_by_code(assembly, code or "")
    if ballot is None or ballot.leaf_index is None:
        result.step(False, "日志中没有这个追踪码的选票", "no ballot with this tracking code is in the log")
        return result
    result.found, result.index, result.code = True, ballot.leaf_index, tracking_code(bytes.fromhex(ballot.leaf_hash))
    leaf = bytes.fromhex(ballot.leaf_hash)
    if receipt is not None:
        same = receipt.index == ballot.leaf_index and receipt.leaf_hash == leaf
        result.step(
            same, "您的选票仍在回执所说的位置，内容未变", "your ballot is still where the receipt says, unchanged"
        ) if same else result.step(
            False,
            "日志中该位置的选票与回执不符：请立即告知监督员",
            "the ballot at that place differs from the receipt: tell the supervisors at once",
        )
        try:
            proof = ballot_log.consistency(assembly.id, receipt.sth.size, latest.size)
            verify_consistency(receipt.sth.size, latest.size, receipt.sth.root, bytes.fromhex(latest.root), proof)
            result.step(
                True,
                f"最新树头（第 {latest.n} 号，{latest.size} 张选票）与回执中的树头一致：此后没有改写历史",
                f"the newest tree head (no. {latest.n}, {latest.size} ballots) is consistent with the receipt's: no history was rewritten",
            )
        except (CryptoError, ValueError) as exc:
            result.step(
                False, "最新树头与回执中的树头不一致：日志被改写过", f"the newest tree head is not consistent with the receipt's: {exc}"
            )
    try:
        verify_inclusion(
            ballot.leaf_index,
            latest.size,
            leaf,
            ballot_log.inclusion(assembly.id, ballot.leaf_index, latest.size),
            bytes.fromhex(latest.root),
        )
        what_zh = "最终树头（投票截止时签名）" if latest.final else f"最新树头（第 {latest.n} 号）"
        what_en = "the final tree head (signed at the close)" if latest.final else f"the newest tree head (no. {latest.n})"
        result.step(True, f"您的选票包含在{what_zh}中", f"your ballot is included in {what_en}")
    except (CryptoError, ValueError) as exc:
        result.step(False, "您的选票不在最新树头中", f"your ballot is not included in the newest tree head: {exc}")
    return result


def ballot_by_code(assembly: Assembly, code: str) -> Ballot | None:
    """The assembly's ballot whose leaf hash begins with this tracking code (None if none, or if
    the code is malformed)."""
    try:
        canon = normalize_tracking_code(code)
    except FormatError:
        return None
    bits = 0
    for ch in canon.replace("-", ""):
        bits = bits * 32 + _CROCKFORD_READ[ch]
    prefix = f"{bits:015x}"  # the code is the leaf hash's first 60 bits: 15 hex digits
    return db.session.scalar(select(Ballot).where(Ballot.assembly_id == assembly.id, Ballot.leaf_hash.startswith(prefix)).limit(1))
