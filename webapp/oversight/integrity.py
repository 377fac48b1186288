"""``ownersvote check ESTATE`` and the supervisors' integrity page: re-verify everything the
estate's results stand on, from what was signed, and say what differs.

- the audit chain, and its anchors: server-signed checkpoints, tree heads and tally statements
  each name a head of the chain (sequence, hash); an anchor naming an event that is gone or
  different means events were deleted or rewritten after it;
- the registry against the fingerprint recorded by its last import (an edit outside the app);
- every frozen roll against its signatures, and against the registry it froze while the
  registry has not been re-imported since;
- every notice version against the server's signature;
- every ballot log: leaves against their entries, the root from the stored nodes and from the
  frontier against the newest tree head, every tree head's signature and consistency with the
  next, and its time against the ballots under it (a head dated before one of them was signed
  by a server whose clock was wrong);
- every tally against its digest, the server's statement and the supervisors' certifications;
- every file the estate's records name (attachments, audit bundles) against its SHA-256 in the
  file store (a restore that missed the files, or a file changed on disk).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from sqlalchemy import select

from crypto import evaluation as evaluation_format
from crypto.errors import CryptoError
from crypto.merkle import TreeState, append, leaf_hash, verify_consistency
from crypto.serverkeys import verify_signed_at
from crypto.treehead import verify_tree_head
from webapp.assemblies.models import Assembly
from webapp.assemblies.presentation import verified
from webapp.attachments.models import Attachment
from webapp.attachments.storage import path_for, root
from webapp.audit.chain import verify_chain
from webapp.audit.models import AuditCheckpoint
from webapp.audit.operations import chain_events
from webapp.core.db import db
from webapp.core.filestore import STORE_MARKER, mounted, not_mounted
from webapp.core.serverkey import installation_jwk, key_set
from webapp.disclosures import operations as disclosures
from webapp.evaluations.models import Evaluation
from webapp.inspections import operations as inspections
from webapp.inspections.models import FollowUp, Inspection, RectificationNotice
from webapp.registry.operations import estate_roster, registry_fingerprint
from webapp.results.models import TallyRecord
from webapp.results.signatures import verified_result
from webapp.rolls.models import Roll, RollEntry
from webapp.rolls.verification import check_roll
from webapp.voting import log as ballot_log
from webapp.voting.models import Ballot, BallotLog, TreeHead


@dataclass
class Finding:
    area: str
    zh: str
    en: str


@dataclass
class IntegrityReport:
    findings: list[Finding] = field(default_factory=list)
    checked: list[tuple[str, str]] = field(default_factory=list)  # (zh, en) of what passed
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (zh, en) of what could not be checked, and why

    @property
    def ok(self) -> bool:
        return not self.findings

    def bad(self, area: str, zh: str, en: str) -> None:
        self.findings.append(Finding(area, zh, en))

    def good(self, zh: str, en: str) -> None:
        self.checked.append((zh, en))

    def skip(self, zh: str, en: str) -> None:
        self.skipped.append((zh, en))


def anchors(estate_id: int) -> list[tuple[int, str, str, int]]:
    """(seq, hash, where it comes from, signed at ms) of every signed anchor of the chain."""

    keys = key_set()
    found = []
    for cp in db.session.scalars(select(AuditCheckpoint).where(AuditCheckpoint.chain == estate_id)):
        try:
            verify_signed_at(cp.document, keys, cp.document.get("at"))
        except (CryptoError, ValueError):
            continue
        found.append((cp.document["seq"], cp.document["hash"], "checkpoint", cp.document["at"]))
    assembly_ids = list(db.session.scalars(select(Assembly.id).where(Assembly.estate_id == estate_id)))
    if assembly_ids:
        for head in db.session.scalars(select(TreeHead).where(TreeHead.assembly_id.in_(assembly_ids))):
            audit = head.document.get("audit")
            if audit:
                try:
                    verify_tree_head(head.document, keys.jwk_at(head.document.get("kid"), head.document.get("timestamp")))
                except (CryptoError, ValueError):
                    continue
                found.append(
                    (audit["seq"], audit["hash"], f"tree head {head.n} of assembly {head.assembly_id}", head.document["timestamp"])
                )
        for tally in db.session.scalars(select(TallyRecord).where(TallyRecord.assembly_id.in_(assembly_ids))):
            audit = tally.statement.get("audit")
            if audit:
                try:
                    verify_signed_at(tally.statement, keys, tally.statement.get("computed_at"))
                except (CryptoError, ValueError):
                    continue
                found.append((audit["seq"], audit["hash"], f"tally of assembly {tally.assembly_id}", tally.statement["computed_at"]))
    return sorted(found)


def check_audit(estate_id: int, report: IntegrityReport) -> None:
    events = chain_events(estate_id)
    for problem in verify_chain(events):
        report.bad("audit", f"审计日志第 {problem.seq} 条：{problem.message}", f"audit event #{problem.seq}: {problem.message}")
    by_seq = {e.seq: e.hash for e in events}
    last = events[-1].seq if events else 0
    marks = anchors(estate_id)
    for seq, hash_, source, _at in marks:
        if seq > last:
            report.bad(
                "audit",
                f"签名锚点（{source}）指向第 {seq} 条审计记录，但日志只到第 {last} 条：第 {last + 1}–{seq} 条被删除",
                f"a signed anchor ({source}) names audit event #{seq}, but the log ends at #{last}: events #{last + 1}–#{seq} are missing",
            )
        elif by_seq.get(seq) != hash_:
            report.bad(
                "audit",
                f"签名锚点（{source}）与第 {seq} 条审计记录不符",
                f"a signed anchor ({source}) does not match audit event #{seq}: it was changed or removed",
            )
    if report.ok:
        newest = marks[-1][0] if marks else None
        report.good(
            f"审计日志 {len(events)} 条记录构成完整的哈希链；最新锚点：第 {newest} 条"
            if newest
            else f"审计日志 {len(events)} 条记录构成完整的哈希链",
            f"the audit log's {len(events)} events form an unbroken chain" + (f"; newest signed anchor: #{newest}" if newest else ""),
        )


def check_registry(estate, report: IntegrityReport) -> None:

    imports = [e for e in chain_events(estate.id) if e.action == "registry.import" and "fingerprint" in (e.details or {})]
    if not imports:
        report.skip(
            "名册未核对：最近一次导入时尚未记录指纹（早于指纹功能的导入）；重新导入一次名册即可开始核对",
            "the registry was not checked: its last import recorded no fingerprint (an import from before fingerprints "
            "existed); importing the registry again starts the check",
        )
        return
    recorded = imports[-1].details["fingerprint"]
    if registry_fingerprint(estate) != recorded:
        report.bad(
            "registry",
            f"名册（房屋、面积、业主）自第 {imports[-1].seq} 条审计记录导入后在应用之外被改动",
            f"the registry (units, areas, owners) was changed outside the app after its import (audit event #{imports[-1].seq})",
        )
    else:
        report.good("名册与最近一次导入时记录的指纹一致", "the registry matches the fingerprint recorded at its last import")


def check_rolls(estate, report: IntegrityReport) -> None:

    events = chain_events(estate.id)
    rolls = list(db.session.scalars(select(Roll).where(Roll.estate_id == estate.id).order_by(Roll.seq)))
    roster = None
    for roll in rolls:
        check = check_roll(roll)
        for zh, en in check.problems:
            report.bad("roll", f"名册第 {roll.seq} 号：{zh}", f"roll no. {roll.seq}: {en}")
        frozen_seq = next((e.seq for e in events if e.action == "roll.freeze" and e.object_id == str(roll.id)), None)
        reimported = any(e.action == "registry.import" and frozen_seq is not None and e.seq > frozen_seq for e in events)
        if reimported:
            continue  # the registry changed through the app since: the roll stays as frozen
        roster = roster or {m.id: m for m in estate_roster(estate)[0].members}
        for member_ref, area, heads in db.session.execute(
            select(RollEntry.member_ref, RollEntry.area_centi, RollEntry.heads).where(RollEntry.roll_id == roll.id)
        ):
            now = roster.get(member_ref)
            if now is None or now.area_centi != area or now.heads != heads:
                report.bad(
                    "roll",
                    f"名册第 {roll.seq} 号冻结后，成员 {member_ref} 在名册中的面积或人数被改动（未经导入）",
                    f"roll no. {roll.seq}: member {member_ref}'s area or heads in the registry changed since the freeze, with no import",
                )
        if check.certified:
            report.good(f"名册第 {roll.seq} 号与监督员签名一致", f"roll no. {roll.seq} matches its supervisors' signatures")
        elif check.intact:
            # Consistent so far, but not in force: saying only "matches" read as certified.
            n, required = len(check.signers), check.required
            report.good(
                f"名册第 {roll.seq} 号已有的 {n} 个签名有效（需要 {required} 个，尚未生效）",
                f"roll no. {roll.seq}: its {n} signature(s) so far are valid ({required} needed; not in force yet)",
            )


def check_assemblies(estate, report: IntegrityReport) -> None:

    keys = key_set()
    for assembly in db.session.scalars(select(Assembly).where(Assembly.estate_id == estate.id).order_by(Assembly.id)):
        name = f"“{assembly.title}”"
        for version in assembly.notices:
            for zh, en in verified(version).problems:
                report.bad(
                    "notice", f"{name} 公告第 {version.version} 版：{zh}", f"{assembly.title}, notice version {version.version}: {en}"
                )
        log = db.session.get(BallotLog, assembly.id)
        if log is None:
            continue
        ballots = list(
            db.session.scalars(
                select(Ballot).where(Ballot.assembly_id == assembly.id, Ballot.leaf_index.is_not(None)).order_by(Ballot.leaf_index)
            )
        )
        # Ballots accepted and waiting for the sequencer: their entry must still hash to the leaf
        # their promise was signed over (the sequencer appends the stored leaf hash).
        for waiting in db.session.scalars(select(Ballot).where(Ballot.assembly_id == assembly.id, Ballot.leaf_index.is_(None))):
            if leaf_hash(waiting.entry.encode("utf-8")).hex() != waiting.leaf_hash:
                report.bad(
                    "log",
                    f"{name} 等待记入日志的选票 {waiting.id} 的内容与其哈希不符（被改动）",
                    f"{assembly.title}: waiting ballot {waiting.id} does not hash to its leaf (changed)",
                )
        state = TreeState()

        for position, ballot in enumerate(ballots):
            if ballot.leaf_index != position:
                report.bad(
                    "log", f"{name} 日志位置 {position} 缺失或重复", f"{assembly.title}: log position {position} is missing or repeated"
                )
                break
            if leaf_hash(ballot.entry.encode("utf-8")).hex() != ballot.leaf_hash:
                report.bad(
                    "log",
                    f"{name} 日志第 {position} 项的内容与其哈希不符（被改动）",
                    f"{assembly.title}: log entry {position} does not hash to its leaf (changed)",
                )
            state, _nodes = append(state, bytes.fromhex(ballot.leaf_hash))
        frontier = TreeState.from_bytes(log.frontier)
        if frontier.size != state.size or frontier.root() != state.root():
            report.bad(
                "log",
                f"{name} 日志状态行与选票重算的根不符",
                f"{assembly.title}: the log's frontier row differs from the root recomputed from its ballots",
            )
        heads = ballot_log.heads(assembly.id)
        _check_head_times(assembly, ballots, heads, report)
        previous = None
        for head in heads:
            try:
                # By the key it names, valid at its timestamp (heads before a key rotation: the old key).
                verify_tree_head(head.document, keys.jwk_at(head.document.get("kid"), head.document.get("timestamp")), assembly.log_id)
            except (CryptoError, ValueError):
                report.bad("log", f"{name} 第 {head.n} 号树头签名无效", f"{assembly.title}: tree head no. {head.n} does not verify")
                continue
            if head.size <= state.size and head.size and ballot_log.root(assembly.id, head.size).hex() != head.root:
                report.bad(
                    "log",
                    f"{name} 第 {head.n} 号树头与日志不符：历史被改写",
                    f"{assembly.title}: tree head no. {head.n} does not match the log: history was rewritten",
                )
            if previous is not None and previous.size <= head.size:
                try:
                    verify_consistency(
                        previous.size,
                        head.size,
                        bytes.fromhex(previous.root),
                        bytes.fromhex(head.root),
                        ballot_log.consistency(assembly.id, previous.size, head.size),
                    )
                except (CryptoError, ValueError):
                    report.bad(
                        "log",
                        f"{name} 第 {previous.n} 与 {head.n} 号树头不一致",
                        f"{assembly.title}: tree heads {previous.n} and {head.n} are not consistent",
                    )
            previous = head
        if heads and heads[-1].size != state.size:
            report.bad(
                "log",
                f"{name} 最新树头的大小（{heads[-1].size}）与日志（{state.size}）不符",
                f"{assembly.title}: the newest tree head's size ({heads[-1].size}) differs from the log's ({state.size})",
            )
        if assembly.state in ("tallied", "certified", "published", "archived"):
            for zh, en in verified_result(assembly).problems:
                report.bad("tally", f"{name}：{zh}", f"{assembly.title}: {en}")
        if not any(f.area in ("log", "tally", "notice") and assembly.title in f.en for f in report.findings):
            report.good(
                f"{name} 的公告、投票日志（{state.size} 张选票、{len(heads)} 个树头）{'和计票结果' if assembly.state in ('tallied', 'certified', 'published', 'archived') else ''}均与签名一致",
                f"{assembly.title}: the notice, the ballot log ({state.size} ballots, {len(heads)} tree heads) and any tally match their signatures",
            )


def _check_head_times(assembly, ballots: list, heads: list, report: IntegrityReport) -> None:
    """A tree head is signed after every ballot under it was received, by the same clock (the
    database's): a head dated before a ballot it covers was signed by a server whose clock was
    wrong (issue 18, item 6), and its time cannot be relied on."""
    latest: list[int] = []  # latest[i]: the latest reception (ms) among leaves 0..i
    for ballot in ballots:
        received = ballot_log.ms(ballot.received_at) if ballot.received_at is not None else 0
        latest.append(max(received, latest[-1]) if latest else received)
    early = [head for head in heads if 0 < head.size <= len(latest) and int(head.document.get("timestamp", 0)) < latest[head.size - 1]]
    if early:
        first = early[0]
        behind = (latest[first.size - 1] - int(first.document.get("timestamp", 0))) / 1000
        report.bad(
            "log",
            f"“{assembly.title}” 有 {len(early)} 个树头的时间早于其包含的选票（第 {first.n} 号早 {behind:.0f} 秒）："
            "签名的服务器时钟有误，这些时间不可作为依据",
            f"{assembly.title}: {len(early)} tree head(s) are dated before a ballot they cover (no. {first.n} by {behind:.0f} s): "
            "the signing server's clock was wrong, and their times cannot be relied on",
        )


def check_files(estate, report: IntegrityReport) -> None:
    import hashlib

    named = [
        (a.sha256, f"附件“{a.filename}”", f"attachment '{a.filename}' ({a.kind})")
        for a in db.session.scalars(select(Attachment).where(Attachment.estate_id == estate.id).order_by(Attachment.id))
    ]
    named += [
        (sha, f"第 {assembly_id} 号会议的审计数据包", f"the audit bundle of assembly {assembly_id}")
        for sha, assembly_id in db.session.execute(
            select(TallyRecord.bundle_sha256, TallyRecord.assembly_id)
            .join(Assembly, Assembly.id == TallyRecord.assembly_id)
            .where(Assembly.estate_id == estate.id, TallyRecord.bundle_sha256.is_not(None))
        )
    ]
    if not named:
        return
    if not mounted(root()):
        # Every file would seem missing: one finding, not thousands (webapp/core/filestore.py).
        report.bad(
            "files",
            f"这台服务器无法访问文件存储（{root()} 中没有标记文件 {STORE_MARKER}：未挂载）：{len(named)} 个文件未核对",
            f"the file store is not reachable from this machine ({not_mounted(root())}): its {len(named)} files were not checked",
        )
        return
    bad, seen = 0, {}
    for sha, zh, en in named:
        if sha not in seen:
            path = path_for(sha)
            if not path.is_file():
                seen[sha] = "missing"
            else:
                digest = hashlib.sha256()
                with path.open("rb") as fh:
                    for chunk in iter(lambda: fh.read(1 << 20), b""):
                        digest.update(chunk)
                seen[sha] = "ok" if digest.hexdigest() == sha else "changed"
        if seen[sha] == "missing":
            bad += 1
            report.bad("files", f"{zh}不在文件存储中（{sha[:12]}…）", f"{en} is missing from the file store ({sha[:12]}…)")
        elif seen[sha] == "changed":
            bad += 1
            report.bad("files", f"{zh}的内容与其 SHA-256 不符（被改动或损坏）", f"{en} does not match its SHA-256 (changed or damaged)")
    if not bad:
        report.good(
            f"{len(named)} 个文件（附件、审计数据包）都在文件存储中，内容与其 SHA-256 一致",
            f"the {len(named)} files (attachments, audit bundles) are all in the file store and match their SHA-256",
        )


def check_accountability(estate, report: IntegrityReport) -> None:
    """What holds the firm to account, checked as its pages check it before showing it: every
    inspection, rectification notice and follow-up against its inspector's signature, every
    published evaluation result recounted under the installation's key it names, every version of
    the estate's open accounts against the server's signature and its sums."""
    signed = 0
    for model, zh, en in (
        (Inspection, "检查记录", "inspection"),
        (RectificationNotice, "整改通知", "rectification notice"),
        (FollowUp, "复查记录", "follow-up"),
    ):
        for row in db.session.scalars(select(model).where(model.estate_id == estate.id).order_by(model.id)):
            signed += 1
            for problem_zh, problem_en in inspections.checked(row).problems:
                report.bad("inspections", f"{zh}第 {row.id} 号：{problem_zh}", f"{en} no. {row.id}: {problem_en}")
    results = 0
    for evaluation in db.session.scalars(select(Evaluation).where(Evaluation.estate_id == estate.id, Evaluation.result.is_not(None))):
        results += 1
        try:
            document = json.loads(evaluation.result)
            evaluation_format.verify_result(document, installation_jwk(document))
        except (CryptoError, ValueError, KeyError, TypeError, AttributeError) as exc:
            report.bad(
                "evaluations",
                f"测评 {evaluation.id} 的公布结果核验失败：{exc}",
                f"the published result of evaluation {evaluation.id} does not verify: {exc}",
            )
    published = 0
    for disclosure in disclosures.estate_disclosures(estate):
        for version in disclosure.versions:
            published += 1
            for problem_zh, problem_en in disclosures.verified(version).problems:
                report.bad(
                    "accounts",
                    f"公开账目“{disclosure.title}”第 {version.version} 版：{problem_zh}",
                    f"open accounts '{disclosure.title}' version {version.version}: {problem_en}",
                )
    report.good(
        f"检查、整改和复查记录 {signed} 份、测评结果 {results} 份、公开账目 {published} 版均已核验",
        f"{signed} inspection documents, {results} evaluation results and {published} versions of the open accounts checked",
    )


def check_estate(estate) -> IntegrityReport:
    report = IntegrityReport()
    check_audit(estate.id, report)
    check_registry(estate, report)
    check_rolls(estate, report)
    check_assemblies(estate, report)
    check_accountability(estate, report)
    check_files(estate, report)
    return report
