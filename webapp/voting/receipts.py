"""Checking what a voter kept against the log as it stands now: a receipt (version 2, or 3 with
the server's promise), the promise alone, or the tracking code.

A receipt: its signature and proof, that its ballot is still at its place, and that the newest
signed tree head (the final one after the close) is consistent with the one the receipt carries
and still includes the ballot.  A promise (docs/bundle-format.md §9a): the server's signature,
that the ballot it promises is in the log, and that the first tree head covering it was signed
by its deadline; a ballot accepted and not yet integrated is waiting for the sequencer's next
batch, which is no alarm until the deadline has passed.  A broken promise is evidence against
the server, and the page says so."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from crypto.canonical import loads
from crypto.errors import CryptoError, FormatError
from crypto.merkle import verify_consistency, verify_inclusion
from crypto.promise import PROMISE_TYPE, Promise, parse_promise, verify_promise
from crypto.treehead import _CROCKFORD_READ, normalize_tracking_code, parse_receipt, tracking_code, verify_receipt
from webapp.assemblies.models import Assembly
from webapp.core import db as database
from webapp.core.db import db, utcnow
from webapp.core.serverkey import key_set
from webapp.core.timefmt import local
from webapp.voting import log as ballot_log
from webapp.voting import publication
from webapp.voting.models import Ballot

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MALFORMED_CODE = (
    "这不是一个完整的追踪码。追踪码是 12 位字母和数字，分成三组，例如 ABCD-EFGH-JKMN；大小写都可以，"
    "字母 O 与数字 0、字母 I 或 L 与数字 1 视为相同，横线和空格可以省略。请对照回执逐个字符核对后再试。",
    "This is not a whole tracking code. A code is 12 letters and digits in three groups, like ABCD-EFGH-JKMN; "
    "either case will do, O counts as 0 and I or L as 1, and dashes and spaces may be left out. "
    "Check it character by character against your receipt and try again.",
)
UNKNOWN_CODE = (
    "公开的投票记录中没有这个追踪码的选票。最常见的原因是抄错了一个字符：请对照回执逐个字符核对后再试。"
    "如果核对无误，请上传回执文件再核验一次；仍然找不到时，请告知监督员。",
    "No ballot in the log has this tracking code. The likeliest reason is one character typed wrong: check it "
    "character by character against your receipt and try again. If it is right, check the receipt file itself "
    "(upload it below); if the ballot is still not found, tell the supervisors.",
)
NOTHING_TO_CHECK = (
    "请输入回执上的追踪码，或粘贴、上传回执文件，再点“核对”。",
    "Type the tracking code from your receipt, or paste or upload the receipt file, then press Check.",
)
EVIDENCE_ZH = "这份有服务器签名的受理凭证是对服务器不利的证据：请保存它并立即告知监督员"
EVIDENCE_EN = "this signed promise is evidence against the server: keep it and tell the supervisors at once"


@dataclass
class ReceiptCheck:
    found: bool = False
    steps: list[tuple[bool, str, str]] = field(default_factory=list)  # (passed, zh, en)
    index: int | None = None
    code: str | None = None
    head: object = None  # the newest tree head it was checked against
    final: bool = False
    pending: bool = False  # accepted, waiting for the sequencer's next batch (within its promise)
    deadline: str | None = None  # the promise's deadline, in the estate's time
    evidence: bool = False  # a promise the server signed and broke (docs/bundle-format.md §9a)
    # A typed code that is not a code, or names no ballot: most likely a typing slip, said as a
    # hint (zh, en), not as the alarm a ballot missing from the log or changed in it is.
    hint: tuple[str, str] | None = None
    elsewhere: Assembly | None = None  # the estate's other assembly whose ballot the typed code is

    @property
    def ok(self) -> bool:
        return self.found and all(passed for passed, _, _ in self.steps)

    def step(self, passed: bool, zh: str, en: str) -> None:
        self.steps.append((passed, zh, en))

    def broken(self, zh: str, en: str) -> None:
        """A failed step that the server's own signed promise proves."""
        self.evidence = True
        self.step(False, f"{zh}；{EVIDENCE_ZH}", f"{en}; {EVIDENCE_EN}")


def _not_here(result: ReceiptCheck, assembly: Assembly, code: str) -> None:
    """The hint for a well-formed code that names none of this assembly's ballots."""
    result.elsewhere = assembly_with_code(assembly, code)
    if result.elsewhere is not None:  # the right code on the wrong assembly's page
        title = result.elsewhere.title
        result.hint = (
            f"这个追踪码属于本小区另一场会议“{title}”的选票，不是这场会议的。请到那场会议的核对页面核对。",
            f"This tracking code is of a ballot in another assembly of the estate, “{title}”, not this one: check it there.",
        )
    else:  # a slip of one character is the likeliest reason
        result.hint = UNKNOWN_CODE


def _when(ms: int, estate) -> str:
    """A promise's times in the estate's zone, to the second (the deadline is a minute or so after
    the acceptance): the time alone on the day it is read, the date kept to its time (a no-break
    space) on any other, so that a phone does not wrap a date from its time."""
    text = local(EPOCH + timedelta(milliseconds=ms), estate, "%Y-%m-%d %H:%M:%S")
    today = local(utcnow(), estate, "%Y-%m-%d ")
    return text[len(today) :] if text.startswith(today) else text.replace(" ", "\u00a0")


def _checked_against(assembly, newest, index: int, receipt_size: int):
    """The head a receipt is checked against: the newest one published (while voting, heads are
    published batch by batch: webapp.voting.publication), or, when that does not yet reach this
    ballot or the receipt's own head, the first head that does (it tells the holder of this
    receipt nothing about anyone else's ballot)."""
    public = publication.public_heads(assembly)
    need = max(index + 1, receipt_size)
    if public and public[-1].size >= need:
        return public[-1]
    later = [h for h in ballot_log.heads(assembly.id) if h.size >= need]
    return later[0] if later else newest


def check_receipt(assembly, *, code: str | None = None, document: str | None = None) -> ReceiptCheck:

    result = ReceiptCheck()
    estate = assembly.estate
    if not document:  # a typed code: what it names, before anything else is read
        try:
            normalize_tracking_code(code or "")
        except FormatError:
            result.hint = MALFORMED_CODE
            return result
        typed = ballot_by_code(assembly, code or "")
        if typed is None:
            _not_here(result, assembly, code or "")
            return result
    latest = ballot_log.latest_head(assembly.id)
    if latest is None:
        result.step(False, "这次会议还没有投票记录", "this assembly has no ballot log yet")
        return result
    result.head, result.final = latest, latest.final
    receipt = promise = None
    if document:
        try:
            doc = loads(document.encode("utf-8"))
        except (CryptoError, ValueError, UnicodeError) as exc:
            result.step(False, "粘贴的内容不是有效的 JSON", f"what was pasted is not valid JSON: {exc}")
            return result
        if isinstance(doc, dict) and doc.get("type") == PROMISE_TYPE:
            try:
                # The key that signed it, valid when the ballot was accepted (webapp.core.serverkey).
                promise = verify_promise(doc, key_set().jwk_at(doc.get("kid"), doc.get("accepted")), assembly.log_id)
            except (CryptoError, ValueError) as exc:
                result.step(False, "受理凭证本身无效（签名或格式不对）", f"the promise itself does not verify: {exc}")
                return result
            kept_leaf = promise.leaf_hash
        else:
            try:
                # Each signature by the key it names, valid at the object's own time: the tree head's
                # timestamp, the promise's acceptance (a key may have been rotated in between).
                parsed = parse_receipt(doc)
                keys = key_set()
                promise_jwk = None if parsed.promise is None else keys.jwk_at(parsed.promise.kid, parsed.promise.accepted)
                receipt = verify_receipt(doc, keys.jwk_at(parsed.sth.kid, parsed.sth.timestamp), assembly.log_id, promise_jwk=promise_jwk)
            except (CryptoError, ValueError) as exc:
                result.step(False, "回执本身无效（签名、追踪码或证明不对）", f"the receipt itself does not verify: {exc}")
                return result
            result.step(True, "回执的签名、追踪码和包含证明都有效", "the receipt's signature, tracking code and inclusion proof are valid")
            promise, kept_leaf = receipt.promise, receipt.leaf_hash
        if promise is not None:
            accepted, due = _when(promise.accepted, estate), _when(promise.deadline, estate)
            result.step(
                True,
                f"服务器的受理凭证签名有效：{accepted} 受理了这张选票，承诺在 {due} 前记入公开的投票记录",
                f"the server's promise is validly signed: it accepted this ballot at {accepted} and promised to put it in the "
                f"public log by {due}",
            )
        ballot = db.session.scalar(select(Ballot).where(Ballot.assembly_id == assembly.id, Ballot.leaf_hash == kept_leaf.hex()))
    else:
        ballot = typed
        if ballot.promise is not None:
            try:
                promise = parse_promise(ballot.promise)
            except FormatError:
                promise = None
    if promise is not None:
        result.deadline = _when(promise.deadline, estate)
        if promise.accepted > ballot_log.ms(assembly.closes_at):
            closes = _when(ballot_log.ms(assembly.closes_at), estate)
            result.broken(
                f"可疑：承诺说这张选票在投票截止（{closes}）之后才被受理",
                f"suspicious: the promise says the ballot was accepted after voting closed ({closes})",
            )
    if ballot is None:
        if promise is not None:
            result.broken(
                f"服务器承诺在 {result.deadline} 前记入这张选票，公开的投票记录中却没有它",
                f"the server promised to put this ballot in the log by {result.deadline}, and the log does not have it",
            )
        else:
            result.step(False, "公开的投票记录中没有这个追踪码的选票", "no ballot with this tracking code is in the log")
        return result
    result.code = tracking_code(bytes.fromhex(ballot.leaf_hash))
    if ballot.leaf_index is None:
        return _waiting(result, promise)
    result.found, result.index = True, ballot.leaf_index
    latest = _checked_against(assembly, latest, ballot.leaf_index, receipt.sth.size if receipt is not None else 0)
    result.head, result.final = latest, latest.final
    leaf = bytes.fromhex(ballot.leaf_hash)
    if receipt is not None:
        same = receipt.index == ballot.leaf_index and receipt.leaf_hash == leaf
        result.step(
            same, "您的选票仍在回执所说的位置，内容未变", "your ballot is still where the receipt says, unchanged"
        ) if same else result.step(
            False,
            "公开的投票记录中该位置的选票与回执不符：请立即告知监督员",
            "the ballot at that place differs from the receipt: tell the supervisors at once",
        )
        try:
            proof = ballot_log.consistency(assembly.id, receipt.sth.size, latest.size)
            verify_consistency(receipt.sth.size, latest.size, receipt.sth.root, bytes.fromhex(latest.root), proof)
            result.step(
                True,
                f"服务器最新签名的投票记录（第 {latest.n} 号，{latest.size} 张选票）与回执中的记录前后一致：此后没有改写历史",
                f"the newest tree head (no. {latest.n}, {latest.size} ballots) is consistent with the receipt's: no history was rewritten",
            )
        except (CryptoError, ValueError) as exc:
            result.step(
                False,
                "最新的投票记录与回执中的记录前后不一致：投票记录被改写过",
                f"the newest tree head is not consistent with the receipt's: {exc}",
            )
    try:
        verify_inclusion(
            ballot.leaf_index,
            latest.size,
            leaf,
            ballot_log.inclusion(assembly.id, ballot.leaf_index, latest.size),
            bytes.fromhex(latest.root),
        )
        what_zh = "投票截止时签名的最终投票记录" if latest.final else f"服务器第 {latest.n} 次签名的最新投票记录"
        what_en = "the final tree head (signed at the close)" if latest.final else f"the newest tree head (no. {latest.n})"
        result.step(
            True,
            f"您的选票（公开投票记录第 {ballot.leaf_index + 1} 条）包含在{what_zh}中",
            f"your ballot (entry no. {ballot.leaf_index + 1} of the log) is included in {what_en}",
        )
    except (CryptoError, ValueError) as exc:
        result.step(False, "您的选票不在服务器最新签名的投票记录中", f"your ballot is not included in the newest tree head: {exc}")
    if promise is not None:
        _kept_in_time(result, assembly, promise, ballot.leaf_index)
    return result


def _waiting(result: ReceiptCheck, promise: Promise | None) -> ReceiptCheck:
    """Accepted, not yet a leaf: the sequencer's next batch will take it — no alarm until the
    promise's deadline has passed (by the database's clock)."""
    if promise is None:  # every ballot a request accepted was promised; only a bulk load was not
        result.step(False, "公开的投票记录中还没有这张选票", "this ballot is not in the log yet")
        return result
    result.found = True
    if ballot_log.ms(database.db_now()) <= promise.deadline:
        result.pending = True
        result.step(
            True,
            f"您的选票已被受理，正在等待下一批记入公开的投票记录（最迟 {result.deadline}）",
            f"your ballot is accepted and waiting for the next batch of the public log (by {result.deadline} at the latest)",
        )
    else:
        result.broken(
            f"承诺的期限（{result.deadline}）已过，您的选票仍未记入公开的投票记录",
            f"the promised deadline ({result.deadline}) has passed and your ballot is still not in the log",
        )
    return result


def _kept_in_time(result: ReceiptCheck, assembly, promise: Promise, index: int) -> None:
    """The first signed tree head covering the ballot was signed by the promise's deadline."""
    head = ballot_log.covering_head(assembly.id, index)
    if head is None:  # cannot be: the newest head includes it
        return
    signed = _when(head.timestamp, assembly.estate)
    if head.timestamp <= promise.deadline:
        result.step(
            True,
            f"服务器守约：它的第 {head.n} 次签名（{signed}）已记入您的选票，未超过承诺的期限（{result.deadline}）",
            f"the server kept its promise: tree head no. {head.n} covered your ballot at {signed}, by the deadline ({result.deadline})",
        )
    else:
        result.broken(
            f"服务器违背了承诺：最早记入您选票的是它的第 {head.n} 次签名（{signed}），晚于承诺的期限（{result.deadline}）",
            f"the server broke its promise: the first tree head covering your ballot (no. {head.n}) was signed at {signed}, "
            f"after the promised deadline ({result.deadline})",
        )


def _leaf_prefix(code: str) -> str | None:
    """The leaf hash's first 60 bits (15 hex digits) that a tracking code spells, or None."""
    try:
        canon = normalize_tracking_code(code)
    except FormatError:
        return None
    bits = 0
    for ch in canon.replace("-", ""):
        bits = bits * 32 + _CROCKFORD_READ[ch]
    return f"{bits:015x}"


def ballot_by_code(assembly: Assembly, code: str) -> Ballot | None:
    """The assembly's ballot whose leaf hash begins with this tracking code (None if none, or if
    the code is malformed)."""
    prefix = _leaf_prefix(code)
    if prefix is None:
        return None
    return db.session.scalar(select(Ballot).where(Ballot.assembly_id == assembly.id, Ballot.leaf_hash.startswith(prefix)).limit(1))


def assembly_with_code(assembly: Assembly, code: str) -> Assembly | None:
    """Another assembly of the same estate with a ballot of this tracking code: an owner who
    voted in two assemblies may type one's code on the other's page."""
    prefix = _leaf_prefix(code)
    if prefix is None:
        return None
    return db.session.scalar(
        select(Assembly)
        .join(Ballot, Ballot.assembly_id == Assembly.id)
        .where(Assembly.estate_id == assembly.estate_id, Assembly.id != assembly.id, Ballot.leaf_hash.startswith(prefix))
        .limit(1)
    )
