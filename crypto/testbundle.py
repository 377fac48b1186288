"""``ownersvote make-test-bundle``: a synthetic but fully valid audit bundle.

Real keys (P-256 "browser" keys and Ed25519 keys, derived from the seed so that a seed gives
the same bundle byte for byte), real signatures, a real Merkle log with checkpoints and
consistency proofs, a real tally by the tally engine and real certifications.  The bundle says
``"synthetic": true`` and the estate and assembly names say so too.

Signing 100,000 ballots is the slow part; it runs in a process pool over both cores.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from . import bundle as bundle_mod
from .ballot import entry_leaf_hash, make_ballot, make_paper_ballot, sign_ballot
from .keys import Signer, ed25519_from_seed, p256_from_seed
from .merkle import MerkleLog
from .notice import notice_digest, sign_notice
from .promise import make_promise
from .roll import (
    certification_payload,
    pseudonymous_member_id,
    roll_entry,
    roll_leaf_hash,
    roll_payload,
    roll_totals,
    sign_payload,
    tally_digest,
)
from .serverkeys import key_record
from .treehead import make_receipt, sign_tree_head

PARALLEL_THRESHOLD = 3000
MERGE_DELAY_MS = 60_000  # the web app's default maximum merge delay
CHUNK = 2000
# 2025-03-01 09:00 Asia/Shanghai: a fixed clock, so that a seed fixes the whole bundle.
BASE_MS = 1740790800000


def _derive(seed: int, *parts: Any) -> bytes:
    return hashlib.sha256(("ownersvote-test\x00" + "\x00".join(str(p) for p in (seed, *parts))).encode()).digest()


def _key(seed: int, spec: tuple[str, str]) -> Signer:
    alg, label = spec
    material = _derive(seed, "key", label)
    return ed25519_from_seed(material) if alg == "Ed25519" else p256_from_seed(material)


def server_signer(seed: int) -> Signer:
    return ed25519_from_seed(_derive(seed, "server"))


def rotated_server_signer(seed: int) -> Signer:
    """The server's second key, when the test bundle rotates the key mid-vote."""
    return ed25519_from_seed(_derive(seed, "server", 2))


#: A job's key spec for a paper ballot signed by the server's second key.
ROTATED = ("Ed25519", "server/2")
#: The first server key's period starts 30 days before the fixed clock's opening.
KEY_SINCE_MS = BASE_MS - 86_400_000 * 30


def supervisor_signers(seed: int) -> list[Signer]:
    # Two supervisors sign in their browsers (P-256), one with an Ed25519 tool.
    return [
        p256_from_seed(_derive(seed, "supervisor", 0)),
        p256_from_seed(_derive(seed, "supervisor", 1)),
        ed25519_from_seed(_derive(seed, "supervisor", 2)),
    ]


@dataclass
class MemberPlan:
    ref: str
    member: str
    area: int
    heads: int
    keys: list[tuple[str, str]] = field(default_factory=list)  # (algorithm, label) → derived key


# --- work done in the pool (module-level functions: picklable) -------------------------------


def _roll_chunk(seed: int, plans: Sequence[MemberPlan]) -> list[tuple[dict[str, Any], bytes]]:
    out = []
    for p in plans:
        entry = roll_entry(p.member, p.area, p.heads, [_key(seed, spec).jwk for spec in p.keys])
        out.append((entry, roll_leaf_hash(entry)))
    return out


def _sign_chunk(seed: int, jobs: Sequence[tuple[tuple[str, str] | None, dict[str, Any]]]) -> list[tuple[dict[str, Any], bytes]]:
    server = server_signer(seed)
    cache: dict[tuple[str, str], Signer] = {}
    out = []
    for spec, ballot in jobs:
        # No key spec: a paper ballot, whose double entry the server attests (ROTATED: with its second key).
        if spec is None:
            signer = server
        elif spec == ROTATED:
            signer = rotated_server_signer(seed)
        else:
            signer = cache.get(spec) or cache.setdefault(spec, _key(seed, spec))
        entry = sign_ballot(signer, ballot)
        out.append((entry, entry_leaf_hash(entry)))
    return out


_Job = TypeVar("_Job")
_Done = TypeVar("_Done")


def _run(pool: ProcessPoolExecutor | None, fn: Callable[[int, Sequence[_Job]], list[_Done]], seed: int, work: list[_Job]) -> list[_Done]:
    if pool is None:
        return fn(seed, work)
    chunks = [work[i : i + CHUNK] for i in range(0, len(work), CHUNK)]
    out: list[_Done] = []
    for part in pool.map(fn, [seed] * len(chunks), chunks):
        out.extend(part)
    return out


# --- the agenda ----------------------------------------------------------------------------

_RESOLUTIONS = [
    (1, "修改业主大会议事规则 / Amend the rules of procedure"),
    (5, "使用维修资金更换 3 号楼电梯 / Use the maintenance fund to replace the lifts of building 3"),
    (6, "续筹维修资金 / Raise the maintenance fund"),
    (8, "将 5 号楼架空层改作活动室 / Turn the open ground floor of building 5 into a club room"),
    (2, "修订管理规约 / Amend the management statute"),
    (9, "增设电动自行车充电桩 / Install e-bike chargers"),
    (7, "改建小区南门 / Rebuild the south gate"),
]


_CANDIDATES = ["王建国", "李秀英", "张伟", "刘芳", "陈静"]
_FIRMS = [("杭州安居物业服务有限公司", "2.30"), ("浙江绿城物业服务集团有限公司", "2.80"), ("杭州明珠物业管理有限公司", "2.10")]


_PLANS = [
    (
        "方案一：原井道更换电梯 / Plan 1: new lifts in the existing shafts",
        "拆除旧电梯，在原井道内安装新电梯，工期约 45 天。/ The old lifts are removed and new ones installed in the "
        "same shafts; about 45 days.",
        "方案一-施工图.pdf",
    ),
    ("方案二：更换主机与控制柜 / Plan 2: new machines and controllers only", "保留轿厢与导轨。/ Cars and rails are kept.", None),
    ("方案三：暂缓更换，加强维保 / Plan 3: defer, with more maintenance", None, None),
]


def plan_item(qid: str) -> dict[str, Any]:
    """A choice among plans (方案选择) as the notice lists it: category 5 (using the maintenance
    fund), three plans, one with a description and an attachment, one with a description only,
    one with neither."""
    options: list[dict[str, Any]] = []
    for j, (name, text, attachment) in enumerate(_PLANS, start=1):
        option: dict[str, Any] = {"id": f"{qid}-p{j}", "name": name}
        if text is not None:
            option["text"] = text
        if attachment is not None:
            option["attachment_sha256"] = hashlib.sha256(f"drawings of {qid} plan {j}".encode()).hexdigest()
            option["attachment_name"] = attachment
        options.append(option)
    return {
        "id": qid,
        "category": 5,
        "kind": "plan",
        "title": "3 号楼电梯更新方案（合成）/ Plans to renew the lifts of building 3 (synthetic)",
        "text": "使用维修资金，三个方案中选定一个。/ Using the maintenance fund; one of three plans is chosen.",
        "options": options,
    }


def make_items(k: int, with_plan: bool = False) -> list[dict[str, Any]]:
    """Agenda items in the tally's format (option ids only)."""
    return [{key: ([o["id"] for o in v] if key == "options" else v) for key, v in item.items()} for item in notice_items(k, with_plan)]


def notice_items(k: int, with_plan: bool = False) -> list[dict[str, Any]]:
    """Agenda items as the notice lists them (options with names).

    q2 is an election and q3 a firm selection; with ``with_plan`` a choice among plans follows the
    ``k`` items as ``q{k+1}``.
    """
    items: list[dict[str, Any]] = []
    r = 0
    for i in range(k):
        qid = f"q{i + 1}"
        if i == 1:
            items.append(
                {
                    "id": qid,
                    "category": 3,
                    "kind": "election",
                    "seats": 3,
                    "options": [
                        {
                            "id": f"{qid}-c{j}",
                            "name": f"{_CANDIDATES[j - 1]}（合成）",
                            "statement": "我承诺符合候选人条件。/ I meet the conditions.",
                        }
                        for j in range(1, 6)
                    ],
                    "title": "选举业主委员会委员 / Elect the owners' committee",
                }
            )
        elif i == 2:
            items.append(
                {
                    "id": qid,
                    "category": 4,
                    "kind": "selection",
                    "options": [{"id": f"{qid}-f{j}", "name": _FIRMS[j - 1][0], "fee": _FIRMS[j - 1][1]} for j in range(1, 4)],
                    "title": "选聘物业服务企业 / Select the property-service firm",
                }
            )
        else:
            category, title = _RESOLUTIONS[r % len(_RESOLUTIONS)]
            r += 1
            items.append({"id": qid, "category": category, "kind": "resolution", "title": title})
    if with_plan:
        items.append(plan_item(f"q{k + 1}"))
    return items


def _choices(rng: random.Random, items: list[dict[str, Any]], bias: dict[str, float]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items:
        x = rng.random()
        if item["kind"] == "resolution":
            if x < 0.03:
                continue  # left unmarked: an abstention
            p = bias[item["id"]]
            out[item["id"]] = "agree" if x < p else ("disagree" if x < p + (1 - p) * 0.7 else "abstain")
        elif item["kind"] == "election":
            # Candidates c1..c3 are popular, c4 and c5 less so.
            weights = [0.9, 0.8, 0.7, 0.35, 0.2]
            marked = [o for o, w in zip(item["options"], weights, strict=True) if rng.random() < w]
            out[item["id"]] = marked[: item["seats"]]
        else:
            # A selection or a plan: at most one of three options.
            out[item["id"]] = [] if x < 0.05 else [rng.choices(item["options"], weights=[6, 3, 1])[0]]
    return out


# --- the generator -------------------------------------------------------------------------


@dataclass
class Generated:
    bundle: dict[str, Any]
    receipts: list[dict[str, Any]]
    server: Signer
    supervisors: list[Signer]
    rotated: Signer | None  # the server's second key, if the key was rotated mid-vote
    rotated_at: int | None  # when (ms): the first key's retirement, the second's start
    seed: int
    key_specs: dict[str, list[tuple[str, str]]]  # member → specs (re-derive with member_signer)
    accepted: list[int] = field(default_factory=list)  # when each log entry's ballot was accepted (ms)
    promises: list[dict[str, Any]] = field(default_factory=list)  # the promises of the receipts' ballots, alone

    def member_signer(self, member: str, n: int = 0) -> Signer:
        return _key(self.seed, self.key_specs[member][n])

    def leaf(self, index: int) -> bytes:
        entry = self.bundle["log"]["entries"][index]
        return entry_leaf_hash({k: v for k, v in entry.items() if k != "index"})

    def promise(
        self, index: int = 0, *, leaf: bytes | None = None, accepted: int | None = None, deadline: int | None = None
    ) -> dict[str, Any]:
        """The promise the server answered log entry ``index``'s ballot with, signed by its key:
        accepted when the ballot was cast, due a merge delay later or when the bundle's first
        tree head covering it was signed, whichever is later (the bundle's tree heads come every
        eighth of the log, far apart).  Any member can be given, to make a broken promise: a
        ``leaf`` the log does not hold, a ``deadline`` before the covering head."""
        if accepted is None:
            accepted = self.accepted[index]
        if deadline is None:
            covering = next(r["sth"] for r in self.bundle["log"]["tree_heads"] if r["sth"]["size"] > index)
            deadline = max(accepted + MERGE_DELAY_MS, covering["timestamp"])
        return make_promise(
            self.server_at(accepted), self.bundle["log"]["id"], self.leaf(index) if leaf is None else leaf, accepted, deadline
        )

    def server_at(self, ms: int) -> Signer:
        """The server's key valid at ``ms`` (the second one from the rotation on)."""
        return self.rotated if self.rotated is not None and self.rotated_at is not None and ms >= self.rotated_at else self.server


def generate(
    members: int,
    items: int,
    seed: int = 1,
    *,
    replace_allowed: bool = False,
    receipts: int = 0,
    jobs: int | None = None,
    turnout: float = 0.88,
    with_plan: bool = False,
    receipt_version: int = 3,
    rotate_server_key: bool = False,
) -> Generated:
    """A bundle of ``members`` members and ``items`` agenda items (plus a choice among plans
    after them with ``with_plan``), and ``receipts`` voters' receipts: version 3, carrying the
    promise the ballot was answered with (``Generated.promises`` holds those promises alone), or
    version 2, from before promises.  With ``rotate_server_key`` the server's key is rotated
    half-way through the vote: the notice, the first tree heads, the paper ballots they cover and
    the promises of ballots accepted before the rotation are signed by the first key (retired
    then), the rest by the second."""
    if receipt_version not in (2, 3):
        raise ValueError("receipts are version 2 or 3")
    if members < 1 or items < 1:
        raise ValueError("a test bundle needs at least one member and one item")
    rng = random.Random(seed)
    estate_id, roll_id, assembly_id = f"test-estate-{seed}", f"roll-{seed}", f"test-assembly-{seed}"
    agenda = make_items(items, with_plan)
    server = server_signer(seed)
    notice = sign_notice(
        server,
        {
            "estate": {"id": estate_id, "name": f"测试小区 {seed}（合成数据）/ Test estate {seed} (synthetic)"},
            "assembly": assembly_id,
            "title": f"第 {seed} 次业主大会（合成测试数据）/ Owners' assembly {seed} (synthetic test data)",
            "kind": "regular",
            "version": 1,
            "published_at": BASE_MS - 86_400_000 * 16,
            "opens": BASE_MS,
            "closes": BASE_MS + 86_400_000 * 21,
            "replace_allowed": replace_allowed,
            "synthetic": True,
            "rules": {
                "thresholds": {},
                "alternates": 1,
                "required_signatures": 2,
                "counting_rule": "按《最高人民法院关于审理建筑物区分所有权纠纷案件适用法律若干问题的解释》第八条、第九条计算面积和人数 / "
                "Area and headcount per SPC interpretation Art. 8 and 9 (the default)",
            },
            "items": notice_items(items, with_plan),
        },
    )
    notice_sha = notice_digest(notice)
    bias = {it["id"]: rng.uniform(0.55, 0.92) for it in agenda}

    # Members: one developer holding the unsold units (large area, one head, no device key),
    # the others owners with 45–160 m², most with a browser key, a few with two.
    plans: list[MemberPlan] = []
    secret = _derive(seed, "pseudonyms")
    for i in range(members):
        ref = f"unit-{i}"
        member = pseudonymous_member_id(secret, estate_id, roll_id, ref)
        if i == 0 and members > 1:
            plan = MemberPlan(ref, member, rng.randint(max(1, members // 10) * 4000, max(1, members // 10) * 9000), 1)
        else:
            plan = MemberPlan(ref, member, rng.randint(4500, 16000), 1)
            x = rng.random()
            if x < 0.92:
                plan.keys.append(("Ed25519" if rng.random() < 0.15 else "P-256", f"{ref}/0"))
            if x < 0.04:
                plan.keys.append(("P-256", f"{ref}/1"))
        plans.append(plan)

    jobs = jobs or os.cpu_count() or 1
    pool = ProcessPoolExecutor(jobs) if members >= PARALLEL_THRESHOLD and jobs > 1 else None
    try:
        rolled = _run(pool, _roll_chunk, seed, plans)
        order = sorted(range(members), key=lambda i: plans[i].member)
        entries = [rolled[i][0] for i in order]
        from .merkle import root_of

        root = root_of([rolled[i][1] for i in order]).hex()

        # Ballots, in the order they reach the log.
        voters = [p for p in plans if rng.random() < turnout] or plans[:1]
        rng.shuffle(voters)
        jobs_list: list[tuple[tuple[str, str] | None, dict[str, Any]]] = []
        casts: list[tuple[MemberPlan, dict[str, Any]]] = []
        for p in voters:
            choices = _choices(rng, agenda, bias)
            nonce = _b64(rng.randbytes(16))
            if not p.keys or rng.random() < 0.04:
                scan = hashlib.sha256(f"scan of the paper ballot of {p.ref}".encode()).hexdigest()
                ballot = make_paper_ballot(
                    assembly_id,
                    notice_sha,
                    root,
                    p.member,
                    choices,
                    scan,
                    ["organiser-1", "organiser-2"],
                    serial=f"S-{seed}-{len(casts) + 1:06d}",
                    nonce=nonce,
                )
                jobs_list.append((None, ballot))
            else:
                ballot = make_ballot(assembly_id, notice_sha, root, p.member, choices, nonce)
                jobs_list.append((p.keys[rng.randrange(len(p.keys))], ballot))
            casts.append((p, ballot))
        if replace_allowed:
            # A few owners change their mind before the close: every version is logged, the last counts.
            online = [(p, b) for p, b in casts if b["type"] == "ownersvote-ballot"]
            for p, _ in rng.sample(online, k=min(len(online), max(1, len(online) // 30))):
                ballot = make_ballot(assembly_id, notice_sha, root, p.member, _choices(rng, agenda, bias), _b64(rng.randbytes(16)))
                jobs_list.append((p.keys[0], ballot))
        n = len(jobs_list)
        times = _times(n, notice["closes"])
        rotated_at = times[n // 2] if rotate_server_key and n > 1 else None
        if rotated_at is not None:
            # A paper ballot entered after the rotation is signed by the second key.
            jobs_list = [(ROTATED if spec is None and times[i] >= rotated_at else spec, b) for i, (spec, b) in enumerate(jobs_list)]
        signed = _run(pool, _sign_chunk, seed, jobs_list)
    finally:
        if pool is not None:
            pool.shutdown()

    supervisors = supervisor_signers(seed)
    log_id = assembly_id
    close_ms = notice["closes"]
    second = rotated_server_signer(seed) if rotated_at is not None else None

    def head_signer(timestamp: int) -> Signer:
        return second if second is not None and rotated_at is not None and timestamp >= rotated_at else server

    log = MerkleLog()
    log_entries = []
    for i, (entry, leaf) in enumerate(signed):
        log.append_leaf_hash(leaf)
        log_entries.append({"index": i, **entry})
    checkpoints = sorted({max(1, (n * k) // 8) for k in range(1, 8)} - {n}) if n > 1 else []
    tree_heads = []
    audit = (1, hashlib.sha256(f"audit head of test estate {seed}".encode()).hexdigest())
    for ordinal, size in enumerate(checkpoints):
        stamp = times[size - 1] + 1
        sth = sign_tree_head(head_signer(stamp), log_id, size, log.root(size), stamp, n=ordinal, notice=notice_sha, audit=audit)
        tree_heads.append(bundle_mod.tree_head_record(sth, log.consistency_proof(size, n)))
    final = sign_tree_head(
        head_signer(close_ms), log_id, n, log.root(), close_ms, n=len(checkpoints), notice=notice_sha, audit=audit, final=True
    )
    tree_heads.append(bundle_mod.tree_head_record(final, []))

    receipt_docs = []
    promise_docs = []
    if receipts and n:
        # A receipt's tree head is the checkpoint that first covered its ballot (every head the
        # server signed is in the bundle); ballots after the last checkpoint get the final head.
        # Its promise: accepted when the ballot was cast, due when that head was signed.
        heads = [(size, ordinal) for ordinal, size in enumerate(checkpoints)] + [(n, len(checkpoints))]
        for i in sorted({(n - 1) * j // max(1, receipts - 1) for j in range(receipts)}):
            size, ordinal = next((sz, o) for sz, o in heads if sz > i)
            sth = tree_heads[ordinal]["sth"]
            promise = make_promise(head_signer(times[i]), log_id, signed[i][1], times[i], max(times[i] + MERGE_DELAY_MS, sth["timestamp"]))
            promise_docs.append(promise)
            receipt_docs.append(make_receipt(sth, i, signed[i][1], log.inclusion_proof(i, size), promise if receipt_version == 3 else None))

    # Count as the verifier will: one ballot per member, the last if replacing is allowed.
    counted: dict[str, dict[str, Any]] = {}
    for entry, _ in signed:
        ballot = json.loads(entry["ballot"])
        if replace_allowed or ballot["member"] not in counted:
            counted[ballot["member"]] = ballot["choices"]
    import tally as tally_engine

    from .notice import tally_input

    area, heads_total = roll_totals(entries)
    frozen_at = BASE_MS - 86_400_000 * 2
    skeleton = {"roll": {"entries": entries}, "tally_input": tally_input(notice)}
    tally_doc = tally_engine.tally_document(bundle_mod.tally_document(skeleton, counted.items()))
    rpayload = roll_payload(estate_id, roll_id, root, len(entries), area, heads_total, frozen_at, 2)
    cpayload = certification_payload(assembly_id, notice_sha, root, n, log.root(), tally_digest(tally_doc))
    server_keys = bundle_mod.by_kid(
        [key_record(server.jwk, KEY_SINCE_MS, rotated_at)] + ([key_record(second.jwk, rotated_at, None)] if second and rotated_at else [])
    )
    bundle = bundle_mod.make_bundle(
        notice=notice,
        supervisors=bundle_mod.by_kid(bundle_mod.supervisor_record(s.jwk) for s in supervisors),
        roll={
            "id": roll_id,
            "frozen_at": frozen_at,
            "root": root,
            "size": len(entries),
            "area": area,
            "heads": heads_total,
            "required_signatures": 2,
            "signatures": bundle_mod.by_kid(sign_payload(s, rpayload) for s in supervisors[:2]),
            "entries": entries,
        },
        log={"id": log_id, "server_keys": server_keys, "tree_heads": tree_heads, "entries": log_entries},
        tally=tally_doc,
        certification={
            "tally_sha256": cpayload["tally_sha256"],
            "required_signatures": 2,
            # The server takes certifications until the notice's requirement is met, then no
            # more: the bundle carries exactly those (docs/bundle-format.md §10).
            "signatures": bundle_mod.by_kid(sign_payload(s, cpayload) for s in supervisors[1:]),
        },
    )
    return Generated(
        bundle, receipt_docs, server, supervisors, second, rotated_at, seed, {p.member: p.keys for p in plans}, times, promise_docs
    )


def _times(n: int, close_ms: int) -> list[int]:
    """When each of ``n`` ballots reached the log: spread over the window, from an hour after the opening."""
    span = close_ms - BASE_MS - 3_600_000
    return [BASE_MS + 3_600_000 + (i * span) // max(1, n) for i in range(n)]


def _b64(data: bytes) -> str:
    from .encoding import b64url_encode

    return b64url_encode(data)


def write_json(path: str | Path, doc: Any) -> None:
    """Write a bundle or receipt: UTF-8 JSON, Chinese kept readable, one line per log entry."""
    Path(path).write_bytes(json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def main(argv: list[str] | None = None, prog: str = "ownersvote make-test-bundle") -> int:
    parser = argparse.ArgumentParser(prog=prog, description="Build a synthetic, fully valid audit bundle for tests and benchmarks.")
    parser.add_argument("--members", type=int, required=True, help="voting members on the roll")
    parser.add_argument("--items", type=int, required=True, help="agenda items (q2 is an election, q3 a firm selection)")
    parser.add_argument("--plan", action="store_true", help="add a choice among plans (方案选择) after the items, as q<items+1>")
    parser.add_argument("--out", required=True, help="bundle file to write")
    parser.add_argument("--seed", type=int, default=1, help="same seed, same bundle (default 1)")
    parser.add_argument("--replace-allowed", action="store_true", help="the assembly lets owners replace their ballot")
    parser.add_argument("--receipts", type=int, default=0, metavar="N", help="also write N voters' receipts")
    parser.add_argument(
        "--receipt-version", type=int, choices=(2, 3), default=3, help="3: receipts carry their promise (default); 2: as before promises"
    )
    parser.add_argument("--promises", action="store_true", help="also write the receipts' promises alone (what an owner may keep)")
    parser.add_argument("--receipts-dir", default=None, help="where to write receipts (default: beside the bundle)")
    parser.add_argument("--jobs", type=int, default=None, help="worker processes (default: all cores)")
    parser.add_argument(
        "--rotate-server-key", action="store_true", help="rotate the server's key half-way through the vote (two keys, two periods)"
    )
    args = parser.parse_args(argv)
    if args.members < 1 or args.items < 1:
        parser.error("--members and --items must be at least 1")
    started = time.perf_counter()
    gen = generate(
        args.members,
        args.items,
        args.seed,
        replace_allowed=args.replace_allowed,
        receipts=args.receipts,
        jobs=args.jobs,
        with_plan=args.plan,
        receipt_version=args.receipt_version,
        rotate_server_key=args.rotate_server_key,
    )
    write_json(args.out, gen.bundle)
    written: list[str] = []
    if gen.receipts:
        folder = Path(args.receipts_dir) if args.receipts_dir else Path(args.out).resolve().parent
        folder.mkdir(parents=True, exist_ok=True)
        for r, promise in zip(gen.receipts, gen.promises, strict=True):
            path = folder / f"{Path(args.out).stem}.receipt-{r['index']}.json"
            write_json(path, r)
            written.append(str(path))
            if args.promises:
                path = folder / f"{Path(args.out).stem}.promise-{r['index']}.json"
                write_json(path, promise)
                written.append(str(path))
    entries = gen.bundle["log"]["entries"]
    print(
        f"wrote {args.out}: synthetic bundle, {args.members} members, {args.items} items{' and a plan choice' if args.plan else ''}, "
        f"{len(entries)} log entries ({sum(e['kind'] == 'paper' for e in entries)} paper), "
        f"in {time.perf_counter() - started:.1f} s"
    )
    for name in written:
        print(f"wrote {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
