"""Accepting a ballot (docs/security.md): only when the signature verifies against a key on the
assembly's frozen roll for that member, the ballot names this assembly, this notice and this
roll, the window is open by the database's clock in the same transaction as the insert, every
choice is valid, and the member has no counted ballot yet (or the assembly allows replacing it).

A ballot is acknowledged only after its row is committed, with the server's signed promise of
inclusion (crypto.promise): the request accepts, it does not integrate.  The sequencer
(webapp.voting.sequencer) makes accepted ballots leaves in batches, apart from the requests, and
the receipt (promise and inclusion proof) is there once a signed tree head covers the ballot.
Concurrent submissions for one member meet at a unique constraint: exactly one is counted.
Resending the same signed ballot returns the same promise (and the receipt, once integrated).
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta

import psycopg
from flask import current_app
from psycopg.types.json import Json
from sqlalchemy import Interval, bindparam, false, insert, literal_column, or_, select, text
from sqlalchemy.exc import IntegrityError

from crypto.ballot import BALLOT_TYPE, ONLINE, PAPER, choice_problems, entry_leaf_data, parse_ballot, sign_ballot
from crypto.canonical import canonical_json, parse_canonical
from crypto.errors import CanonicalJSONError, CryptoError, FormatError
from crypto.keys import Signer, jwk_thumbprint, verify
from crypto.notice import tally_items
from crypto.promise import make_promise
from crypto.treehead import tracking_code
from webapp.assemblies.models import Assembly, NoticeVersion
from webapp.audit.operations import record
from webapp.core import db as database
from webapp.core.db import db
from webapp.core.driver import driver_cursor, run_first, run_for_id
from webapp.core.errors_base import UserError
from webapp.core.models import InstallationKey
from webapp.core.serverkey import KeyNotUsable, signer, signing_key, usable_at
from webapp.core.timefmt import local
from webapp.devices.models import DeviceKey
from webapp.estates.models import Estate
from webapp.rolls.models import Roll, RollEntry, RollSupplement
from webapp.rolls.operations import keys_in_force
from webapp.voting import log as ballot_log
from webapp.voting.models import Ballot, BallotLog

log = logging.getLogger("ownersvote.casting")
MAX_BALLOT_BYTES = 64 * 1024


class BallotRefused(UserError):
    """A ballot the server will not accept; nothing was written."""

    # What the metrics call a refusal when its raiser names no reason (a few fixed words only).
    REASONS = {400: "malformed", 403: "key", 409: "conflict", 503: "receipt_pending"}

    def __init__(self, zh: str, en: str, status: int = 400, reason: str | None = None):
        super().__init__(zh, en)
        self.status = status
        self.reason = reason or self.REASONS.get(status, "other")


@dataclass(frozen=True)
class Cast:
    ballot: Ballot
    promise: dict | None
    repeated: bool  # the same signed ballot had already been accepted

    @property
    def code(self) -> str:
        return tracking_code(bytes.fromhex(self.ballot.leaf_hash))


DEFAULT_MERGE_DELAY_SECONDS = 60


def merge_delay_ms() -> int:
    """The maximum merge delay every promise states: how long after its acceptance a ballot may
    wait for a signed tree head (the sequencer integrates every second or so)."""
    return int(current_app.config.get("OWNERSVOTE_MERGE_DELAY_SECONDS", DEFAULT_MERGE_DELAY_SECONDS)) * 1000


def promise_for(log_id: str, leaf_hex: str, accepted, signer: Signer | None = None) -> dict:
    """The server's signed promise for a ballot accepted (committed) at ``accepted``, signed by
    the configured key once the key set says it is valid then (webapp.core.serverkey), or by
    ``signer`` when the caller has checked that already (the fast path reads the key's period
    with its first statement)."""
    at = ballot_log.ms(accepted)
    return make_promise(signer or signing_key(at), log_id, bytes.fromhex(leaf_hex), at, at + merge_delay_ms())


def _waiting_for_supplement(assembly, member: str, kid: str) -> bool:
    """Is ``kid`` a key that a roll supplement still waiting for signatures would add?"""
    for payload in db.session.scalars(
        select(RollSupplement.payload).where(
            RollSupplement.assembly_id == assembly.id, RollSupplement.member == member, RollSupplement.state == "signing"
        )
    ):
        if any(jwk_thumbprint(k["jwk"]) == kid for k in payload["add"]):
            return True
    return False


def entry_json(kind: str, ballot_text: str, kid: str, sig: str) -> str:
    return entry_leaf_data({"kind": kind, "ballot": ballot_text, "kid": kid, "sig": sig}).decode("utf-8")


def check_ballot(assembly, ballot_text: str, *, strict: bool = True) -> dict:
    """Parse a signed ballot and check what it names and chooses (not its signature)."""
    if not isinstance(ballot_text, str) or len(ballot_text.encode("utf-8")) > MAX_BALLOT_BYTES:
        raise BallotRefused("选票格式不正确或过大", "the ballot is missing, malformed or too large")
    try:
        parse_canonical(ballot_text)
    except CanonicalJSONError as exc:
        raise BallotRefused(
            "选票不是规范格式（RFC 8785）：请用本系统的投票页面投票", f"the ballot is not canonical JSON (RFC 8785): {exc}"
        ) from exc
    try:
        ballot = parse_ballot(ballot_text)
    except FormatError as exc:
        raise BallotRefused(
            f"选票内容不完整或有无效的选择：{exc}", f"the ballot is not well formed or has an invalid choice: {exc}"
        ) from exc
    notice = assembly.current_notice
    if ballot["assembly"] != assembly.log_id:
        raise BallotRefused("这张选票属于另一次会议", f"this ballot is for assembly {ballot['assembly']}, not {assembly.log_id}")
    if notice is None or ballot["notice"] != notice.sha256:
        raise BallotRefused(
            "这张选票回答的不是现行公告：请刷新页面后重新投票",
            "the ballot answers another version of the notice: reload the page and vote again",
        )
    if assembly.roll is None or ballot["roll_root"] != assembly.roll.root:
        raise BallotRefused("这张选票针对的不是本次会议的表决名册", "the ballot names another electoral roll")
    problems = choice_problems(ballot["choices"], tally_items(notice.document), strict=strict)
    if problems:
        raise BallotRefused("选票中有无效的选择：" + "；".join(problems), "invalid choices: " + "; ".join(problems))
    return ballot


def _window_open(assembly) -> None:
    """Checked by the database's clock in the inserting transaction, under a shared lock on the
    assembly row that the sealer must wait for."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT 1 FROM assemblies WHERE id = :id FOR SHARE"), {"id": assembly.id})
    row = db.session.execute(text("SELECT state FROM assemblies WHERE id = :id"), {"id": assembly.id}).first()
    now = database.db_now()
    estate = assembly.estate
    if now < assembly.opens_at:
        raise BallotRefused(
            f"投票尚未开始，开始时间：{local(assembly.opens_at, estate)}",
            f"voting has not opened yet; it opens {local(assembly.opens_at, estate)}",
            409,
            "not_open",
        )
    if now >= assembly.closes_at or row is None or row.state != "voting":
        raise BallotRefused(
            f"投票已于 {local(assembly.closes_at, estate)} 截止，这张选票没有被接收",
            f"voting closed at {local(assembly.closes_at, estate)}: this ballot was not accepted",
            409,
            "closed",
        )


def _existing(assembly_id: int, member: str) -> list[Ballot]:
    return list(db.session.scalars(select(Ballot).where(Ballot.assembly_id == assembly_id, Ballot.member == member).order_by(Ballot.id)))


def _store(
    assembly, *, member: str, channel: str, signer: str, kid: str, entry: str, registration_id: int | None, attempt: int = 0
) -> tuple[Ballot, bool]:
    """Insert the ballot (or find the identical one) and commit; the caller has checked it."""
    leaf = ballot_log.leaf_hash_of(entry)
    same = db.session.scalar(select(Ballot).where(Ballot.assembly_id == assembly.id, Ballot.leaf_hash == leaf))
    if same is not None:
        return same, True
    _window_open(assembly)
    earlier = _existing(assembly.id, member)
    if earlier:
        last = earlier[-1]
        if not assembly.replace_allowed:
            how = "纸质选票" if last.channel == PAPER else "网上投票"
            raise BallotRefused(
                f"这个业主已经投过票（{how}），每位业主只计一张选票",
                f"this member has already voted ({last.channel}); one ballot per member",
                409,
            )
        if last.channel != channel or channel == PAPER:
            raise BallotRefused(
                "网上投票和纸质选票只能选一种：先到者计入", "online and paper ballots exclude each other: the first one counts", 409
            )
        if last.signer != signer:
            raise BallotRefused("业主和受托人只能有一方投票", "an owner and their proxy cannot both vote: the first one counts", 409)
    version = (max((b.version for b in earlier), default=0) + 1) if assembly.replace_allowed else 1
    now = database.db_now()
    promise = promise_for(assembly.log_id, leaf, now)
    try:
        with db.session.begin_nested():
            result = db.session.execute(
                insert(Ballot)
                .values(
                    assembly_id=assembly.id,
                    member=member,
                    version=version,
                    channel=channel,
                    signer=signer,
                    kid=kid,
                    entry=entry,
                    leaf_hash=leaf,
                    registration_id=registration_id,
                    received_at=now,
                    promise=promise,
                )
                .returning(Ballot.id)
            )
            ballot_id = result.scalar_one()
    except IntegrityError:
        db.session.rollback()
        same = db.session.scalar(select(Ballot).where(Ballot.assembly_id == assembly.id, Ballot.leaf_hash == leaf))
        if same is not None:
            return same, True
        if assembly.replace_allowed and attempt < 3:
            return _store(
                assembly,
                member=member,
                channel=channel,
                signer=signer,
                kid=kid,
                entry=entry,
                registration_id=registration_id,
                attempt=attempt + 1,
            )
        raise BallotRefused(
            "这个业主已经投过票，每位业主只计一张选票", "this member has already voted; one ballot per member", 409, "already_voted"
        ) from None
    db.session.commit()  # durable before anything is acknowledged
    return db.session.get(Ballot, ballot_id), False


def cast_online(assembly, payload: object) -> Cast:
    """An owner's (or a proxy's) signed ballot: {"ballot": canonical text, "kid": …, "sig": …}.
    It is tied to the registration whose key signed it, never to the session that carried it
    (an owner may relay another's signed ballot; that makes it neither theirs nor readable)."""
    if (
        not isinstance(payload, dict)
        or set(payload) - {"ballot", "kid", "sig"}
        or not all(isinstance(payload.get(k), str) for k in ("ballot", "kid", "sig"))
    ):
        raise BallotRefused("提交的内容格式不正确", "malformed submission: {ballot, kid, sig} (strings) expected")
    ballot_text, kid, sig = payload["ballot"], payload["kid"], payload["sig"]
    # The very bytes already stored (a phone resending after an answer it never got, perhaps
    # after the close): the same ballot, answered with its receipt, never a second vote.
    same = db.session.scalar(
        select(Ballot).where(
            Ballot.assembly_id == assembly.id, Ballot.leaf_hash == ballot_log.leaf_hash_of(entry_json(ONLINE, ballot_text, kid, sig))
        )
    )
    if same is not None:
        return Cast(same, same.promise, True)
    if assembly.state != "voting":
        _window_open(assembly)  # says why: not yet open, or closed
    ballot = check_ballot(assembly, ballot_text)
    if ballot["type"] != BALLOT_TYPE:
        raise BallotRefused("网上只接受业主设备签名的选票", "only ballots signed on a device are accepted online")
    keys, replaced = keys_in_force(assembly, ballot["member"])
    if kid in replaced:
        raise BallotRefused(
            "这个密钥已被名册补充换成新的密钥：请用新登记的手机投票，或向组织者领取纸质选票",
            "a roll supplement replaced this key with a newer one: vote on the phone you registered last, or ask the organisers for a paper ballot",
            403,
            "key_replaced",
        )
    if kid not in keys and _waiting_for_supplement(assembly, ballot["member"], kid):
        raise BallotRefused(
            "您的新密钥正在等待监督员签署名册补充，签署后才能投票：请稍后再试，或向组织者领取纸质选票",
            "your new key is waiting for the supervisors to sign a supplement to the roll: try again once they have, or ask the organisers for a paper ballot",
            403,
            "key_pending",
        )
    if kid not in keys:
        raise BallotRefused(
            "签名的密钥不在冻结名册上这位业主的名下：请用登记时的手机投票，或向组织者领取纸质选票",
            "the signing key is not on the frozen roll for this member: vote on your registered phone, or ask the organisers for a paper ballot",
            403,
        )
    jwk, use = keys[kid]

    device = db.session.execute(select(DeviceKey.state, DeviceKey.registration_id).where(DeviceKey.kid == kid)).first()
    state, signed_by = (device.state, device.registration_id) if device is not None else (None, None)
    if state == "revoked":
        raise BallotRefused(
            "这个密钥已被注销（例如手机丢失）：请向组织者领取纸质选票",
            "this key was revoked (e.g. a lost phone): ask the organisers for a paper ballot",
            403,
            "key_revoked",
        )
    try:
        verify(jwk, ballot_text.encode("utf-8"), sig)
    except (CryptoError, ValueError) as exc:
        raise BallotRefused("选票签名无效", f"the ballot's signature does not verify: {exc}", 403, "signature") from exc
    entry = entry_json(ONLINE, ballot_text, kid, sig)
    stored, repeated = _store(
        assembly,
        member=ballot["member"],
        channel=ONLINE,
        signer="proxy" if use == "proxy" else "owner",
        kid=kid,
        entry=entry,
        registration_id=signed_by,
    )
    # Its "ballot.accept" audit event is written by the sequencer, in the transaction that makes
    # it a leaf (webapp.voting.log.integrate).
    return Cast(stored, stored.promise, repeated)


def cast_paper(assembly, ballot: dict, *, actor) -> Cast:
    """A paper ballot whose double entry matched (or a supervisor decided): signed by the server."""

    text_ = canonical_json(ballot).decode("utf-8")
    check_ballot(assembly, text_, strict=False)
    server = signing_key()
    entry = sign_ballot(server, ballot)
    stored, repeated = _store(
        assembly,
        member=ballot["member"],
        channel=PAPER,
        signer="server",
        kid=server.kid,
        entry=entry_json(PAPER, entry["ballot"], entry["kid"], entry["sig"]),
        registration_id=None,
    )
    if not repeated:
        record(
            "ballot.accept",
            actor=actor,
            estate_id=assembly.estate_id,
            obj=stored,
            assembly=assembly.id,
            channel=PAPER,
            leaf_hash=stored.leaf_hash,
            serial=ballot["paper"]["serial"],
        )
        db.session.commit()
    return Cast(stored, stored.promise, repeated)


def counted(assembly_id: int, *, replace_allowed: bool) -> dict[str, Ballot]:
    """Member → the ballot that counts: the only one, or the last in log order."""
    out: dict[str, Ballot] = {}
    for ballot in db.session.scalars(
        select(Ballot).where(Ballot.assembly_id == assembly_id).order_by(Ballot.leaf_index.is_(None), Ballot.leaf_index, Ballot.id)
    ):
        if replace_allowed or ballot.member not in out:
            out[ballot.member] = ballot
    return out


def voted_members(assembly_id: int) -> set[str]:
    return set(db.session.scalars(select(Ballot.member).where(Ballot.assembly_id == assembly_id).distinct()))


def signed_by(ballot: Ballot, registration_id: int) -> bool:
    """Whether the registration's own key signed the ballot: only then may its choices be shown to
    that registration (whoever's session carried it to the server)."""
    if ballot.channel != ONLINE:
        return False
    owner = db.session.scalar(select(DeviceKey.registration_id).where(DeviceKey.kid == ballot.kid))
    return owner is not None and owner == registration_id


def ballot_choices(ballot: Ballot) -> dict:
    return json.loads(json.loads(ballot.entry)["ballot"])["choices"]


def entry_of(ballot: Ballot) -> dict:
    return json.loads(ballot.entry)


def digest(text_: str) -> str:
    return hashlib.sha256(text_.encode()).hexdigest()


# ---------------------------------------------------------------- the common case, fast
#
# Casting is the one path that many owners take at once.  ``cast_fast`` takes the common case
# (voting open, an online ballot that passes every check, a member without a ballot) with the
# fewest round trips the guarantees allow, and leaves every other case to ``cast_online``, which
# also gives every refusal its reason.  On PostgreSQL, one statement per ballot:
#
# 1. what the ballot is checked against comes from this process's memory: the assembly as read
#    at most a second ago (state, window, notice, roll, the server key's period, and the
#    database's clock at that read), and the member's keys from the frozen roll, which never
#    changes (read whole, once per process: ``roll_keys``);
# 2. the ballot is checked and its signature verified;
# 3. the promise is signed (the ballot has been checked: the server verifies before it signs),
#    dated by the database's clock as read with the assembly and carried forward by this
#    process's monotonic clock;
# 4. one INSERT … SELECT … ON CONFLICT DO NOTHING checks again, by the database's clock and under
#    the shared lock on the assembly row that the sealer waits for, everything that can change:
#    the assembly still voting with the same notice and roll, its log not sealed, the voter's key
#    not revoked nor replaced, the server key valid at the promise's time, and that time neither
#    after the database's clock nor more than PROMISE_SLACK before it.  It commits on its own
#    (autocommit): durable before anything is acknowledged.  If it inserts nothing, the full path
#    decides, and says why.
# On SQLite (one writer at a time, the whole request in its transaction) the assembly and the
# member are read in the request's transaction, uncached, and the insert follows.
# The sequencer (webapp.voting.sequencer) integrates the ballot later, with whatever else waits.


@dataclass(frozen=True)
class VotingContext:
    assembly_id: int
    slug: str
    log_id: str
    notice: str  # digest
    roll_root: str
    items: tuple  # the notice's items as choice_problems reads them


_CONTEXTS: dict[tuple, VotingContext] = {}


def voting_context(
    assembly_id: int, estate_id: int, slug: str, notice_version: int, notice_sha256: str, roll_root: str
) -> VotingContext | None:
    """What the fast path checks a ballot against, kept per process under the notice's digest and
    the roll's root as read with the assembly row: a stale entry cannot be found.  None when the
    database has no such notice (the row was read before it changed): the full path decides."""
    key = (assembly_id, estate_id, slug, notice_sha256, roll_root)
    found = _CONTEXTS.get(key)
    if found is not None:
        return found

    document = db.session.scalar(
        select(NoticeVersion.document).where(
            NoticeVersion.assembly_id == assembly_id, NoticeVersion.version == notice_version, NoticeVersion.sha256 == notice_sha256
        )
    )
    if document is None:
        return None
    log_id = f"{slug}/assembly-{assembly_id}"  # Assembly.log_id
    found = VotingContext(
        assembly_id,
        slug,
        log_id,
        notice_sha256,
        roll_root,
        tuple(tally_items(document)),
    )
    if len(_CONTEXTS) > 64:
        _CONTEXTS.clear()
    _CONTEXTS[key] = found
    return found


# How long a process goes on using what it read of an assembly.  Nothing depends on it being
# fresh (the insert checks again); it only bounds how often the read is made.
ASSEMBLY_SECONDS = 1.0
# How far before the database's clock at the insert the promise's time may lie: the time read
# with the assembly (at most ASSEMBLY_SECONDS old) plus the request's own time.  A promise older
# than that is not given: the full path dates it afresh.
PROMISE_SLACK = timedelta(seconds=10)


@dataclass(frozen=True)
class Seen:
    """The assembly as the fast path read it (``_fast_statements``), with the database's clock at
    that read and this process's monotonic clock when the answer came."""

    row: object  # the read's named tuple
    read_mono: float

    def now(self) -> datetime:
        """The database's clock now, as estimated from the read: never ahead of it, since the
        read's clock was taken before its answer arrived."""
        return self.row.now + timedelta(seconds=time.monotonic() - self.read_mono)


_SEEN: dict[tuple[int, str], Seen] = {}


def _taking_ballots(row) -> bool:
    """Whether the fast path's read of an assembly (``_fast_statements``) found it voting, one
    ballot per member, its log open; anything else is for the full path to decide."""
    return row is not None and row.state == "voting" and not row.replace_allowed and not row.sealed


def _seen(cursor, query, assembly_id: int, server_kid: str) -> Seen | None:
    """The assembly as read at most ASSEMBLY_SECONDS ago by this process, if it is voting; None
    when it is not (or has no notice, roll or log yet, or the server key is not in the set): the
    full path decides those, and they are read again next time."""
    key = (assembly_id, server_kid)
    found = _SEEN.get(key)
    if found is not None and time.monotonic() - found.read_mono < ASSEMBLY_SECONDS:
        return found
    row = run_first(cursor, query, {"assembly_id": assembly_id, "server_kid": server_kid})
    if not _taking_ballots(row):
        _SEEN.pop(key, None)
        return None
    found = Seen(row, time.monotonic())
    if len(_SEEN) > 256:
        _SEEN.clear()
    _SEEN[key] = found
    return found


# Each member's keys on a frozen roll, kept per process: a roll's entries never change once it is
# frozen (its root is computed over them), so a roll read once serves every ballot of its
# assembly without a round trip.  Kept as JSON text, parsed for the one ballot that needs it
# (about 250 bytes a member rather than a kilobyte of dicts); bounded by members in all, a roll
# larger than the bound being read member by member instead.
DEFAULT_ROLL_CACHE_MEMBERS = 200_000
_ROLLS: OrderedDict[tuple[int, str], dict[str, str]] = OrderedDict()
_ROLLS_LOCK = threading.Lock()


def roll_keys(cursor, roll_id: int, root: str, size: int) -> dict[str, str] | None:
    """Member → the keys of its roll entry as JSON text, for the frozen roll ``roll_id`` (of root
    ``root``), or None when the roll is larger than this process keeps."""
    key = (roll_id, root)
    found = _ROLLS.get(key)
    if found is not None:
        return found
    limit = int(current_app.config.get("OWNERSVOTE_ROLL_CACHE_MEMBERS", DEFAULT_ROLL_CACHE_MEMBERS))
    if size > limit:
        return None
    with _ROLLS_LOCK:  # one thread reads the roll; the others wait for it rather than read it too
        found = _ROLLS.get(key)
        if found is None:
            cursor.execute("SELECT member, (entry -> 'keys')::text FROM roll_entries WHERE roll_id = %s", (roll_id,))
            found = {member: keys for member, keys in cursor.fetchall()}
            while _ROLLS and sum(map(len, _ROLLS.values())) + len(found) > limit:
                _ROLLS.popitem(last=False)
            _ROLLS[key] = found
    return found


@dataclass(frozen=True)
class FastCast:
    ballot_id: int
    promise: dict
    code: str
    slug: str


@functools.cache
def _fast_statements(dialect: str, clock) -> tuple:
    """The fast path's statements, built once per process (building a statement costs about as
    much as running it); the values are bound parameters.  PostgreSQL: the assembly's read, a
    member's keys (for a roll too large to keep) and the insert that checks again.  SQLite: one
    read of the assembly and the member, and the insert."""
    from sqlalchemy.dialects import postgresql, sqlite

    postgres = dialect == "postgresql"
    a = Assembly.__table__
    assembly = (
        select(
            a.c.state,
            a.c.roll_id,
            a.c.opens_at,
            a.c.closes_at,
            a.c.notice_version,
            a.c.replace_allowed,
            a.c.estate_id,
            Estate.slug,
            NoticeVersion.sha256.label("notice"),
            Roll.root.label("roll_root"),
            Roll.size.label("roll_size"),
            BallotLog.sealed,
            (clock() if postgres else literal_column("NULL")).label("now"),
            # The period of the key this process signs with (webapp.core.serverkey), read here
            # rather than in a round trip of its own: a key not in the set has no row, and the
            # full path (which records a first key, or refuses) takes the ballot.
            InstallationKey.not_before.label("key_not_before"),
            InstallationKey.retired_at.label("key_retired_at"),
        )
        .join(Estate, Estate.id == a.c.estate_id)
        .join(InstallationKey, InstallationKey.kid == bindparam("server_kid"))
        .join(BallotLog, BallotLog.assembly_id == a.c.id)
        .join(NoticeVersion, (NoticeVersion.assembly_id == a.c.id) & (NoticeVersion.version == a.c.notice_version))
        .join(Roll, Roll.id == a.c.roll_id)
        .where(a.c.id == bindparam("assembly_id"))
    )
    key_registration = select(DeviceKey.registration_id).where(DeviceKey.kid == bindparam("kid")).limit(1).scalar_subquery()
    b = Ballot.__table__
    columns = ["assembly_id", "member", "version", "channel", "signer", "kid", "entry", "leaf_hash", "received_at", "promise"]
    values = {c: bindparam(c, type_=b.c[c].type) for c in columns}
    if not postgres:
        entry = select(RollEntry.entry).where(RollEntry.roll_id == a.c.roll_id, RollEntry.member == bindparam("member")).scalar_subquery()
        key_state = select(DeviceKey.state).where(DeviceKey.kid == bindparam("kid")).limit(1).scalar_subquery()
        # A member whose keys a certified roll supplement changed takes the full path (keys_in_force).
        supplemented = (
            select(RollSupplement.id)
            .where(RollSupplement.assembly_id == a.c.id, RollSupplement.member == bindparam("member"), RollSupplement.state == "certified")
            .limit(1)
            .scalar_subquery()
        )
        read = assembly.add_columns(
            entry.label("entry"),
            key_state.label("key_state"),
            key_registration.label("key_registration"),
            supplemented.label("supplemented"),
        )
        values["registration_id"] = bindparam("registration_id", type_=b.c.registration_id.type)
        return read, None, sqlite.insert(b).values(values).on_conflict_do_nothing().returning(b.c.id)
    member_keys = select(RollEntry.entry).where(RollEntry.roll_id == bindparam("roll_id"), RollEntry.member == bindparam("member"))
    # The insert checks again, in the statement that writes, what may have changed since the
    # assembly was read: see the comment above.  Its shared locks on the assembly row and on the
    # server key's row are those the sealer's and a retirement's exclusive ones wait for (so that
    # every ballot inserted before the close is seen by the sealer; serverkey._row_for).  A
    # member's second ballot conflicts and inserts nothing.
    received_at = values["received_at"]
    revoked = select(DeviceKey.id).where(DeviceKey.kid == bindparam("kid"), DeviceKey.state == "revoked").exists()
    supplement_certified = (
        select(RollSupplement.id)
        .where(RollSupplement.assembly_id == a.c.id, RollSupplement.member == bindparam("member"), RollSupplement.state == "certified")
        .exists()
    )
    checked = (
        select(*[values[c] for c in columns], key_registration)
        .select_from(a)
        .join(BallotLog, BallotLog.assembly_id == a.c.id)
        .join(InstallationKey, InstallationKey.kid == bindparam("server_kid"))
        .where(
            a.c.id == bindparam("assembly_id"),
            a.c.state == "voting",
            a.c.replace_allowed == false(),
            a.c.opens_at <= clock(),
            clock() < a.c.closes_at,
            a.c.opens_at <= received_at,
            received_at < a.c.closes_at,
            received_at <= clock(),
            clock() - bindparam("slack", PROMISE_SLACK, type_=Interval) < received_at,
            a.c.notice_version == bindparam("notice_version"),
            a.c.roll_id == bindparam("roll_id"),
            BallotLog.sealed == false(),
            InstallationKey.not_before <= received_at,
            or_(InstallationKey.retired_at.is_(None), InstallationKey.retired_at > received_at),
            ~revoked,
            ~supplement_certified,
        )
        .with_for_update(read=True, of=[a, InstallationKey.__table__])
    )
    store = postgresql.insert(b).from_select([*columns, "registration_id"], checked).on_conflict_do_nothing().returning(b.c.id)
    return assembly, member_keys, store


def _parsed(payload: object) -> tuple[dict, str, str, str] | None:
    """The ballot of a payload the fast path may take: its parsed ballot, text, key id and
    signature; None for anything else (the full path says what is wrong)."""
    if not isinstance(payload, dict) or set(payload) != {"ballot", "kid", "sig"} or not all(isinstance(v, str) for v in payload.values()):
        return None
    ballot_text, kid, sig = payload["ballot"], payload["kid"], payload["sig"]
    if len(ballot_text) > MAX_BALLOT_BYTES // 4 and len(ballot_text.encode("utf-8")) > MAX_BALLOT_BYTES:
        return None
    try:
        ballot = parse_ballot(ballot_text)
    except FormatError:
        return None
    if ballot["type"] != BALLOT_TYPE:
        return None
    return ballot, ballot_text, kid, sig


def cast_fast(assembly_id: int, payload: object) -> FastCast | None:
    """Accept a ballot in the common case, or return None (having written nothing) for the caller
    to roll back and take ``cast_online``, which decides every other case.  Like there, the
    ballot belongs to the registration whose key signed it."""
    parsed = _parsed(payload)
    if parsed is None:
        return None
    ballot, ballot_text, kid, sig = parsed
    server = signer()
    if db.engine.dialect.name == "postgresql":
        # Through psycopg itself: SQLAlchemy's session, transaction and execution around the
        # statement cost more CPU than the statement (bench/cast.py, py-spy).
        query, member_keys, store = _fast_statements("postgresql", database.db_clock)
        try:
            with driver_cursor() as cursor:
                seen = _seen(cursor, query, assembly_id, server.kid)
                if seen is None:
                    return None
                row = seen.row
                on_roll = roll_keys(cursor, row.roll_id, row.roll_root, row.roll_size)
                if on_roll is not None:
                    text_ = on_roll.get(ballot["member"])
                    keys = None if text_ is None else json.loads(text_)
                else:
                    found = run_first(cursor, member_keys, {"roll_id": row.roll_id, "member": ballot["member"]})
                    keys = None if found is None else found.entry["keys"]
                accepted = _accept(assembly_id, ballot, ballot_text, kid, sig, row, keys, seen.now(), server)
                if accepted is None:
                    return None
                values, promise, slug = accepted
                rechecked = {"notice_version": row.notice_version, "roll_id": row.roll_id, "server_kid": server.kid}
                ballot_id = run_for_id(cursor, store, {**values, **rechecked, "promise": Json(promise)})
        except psycopg.Error:
            # The full path decides with the session's own error handling (a ballot stored before
            # a lost connection is found there as a repeat, with its promise).
            log.warning("the fast path of casting failed; the full path takes the ballot", exc_info=True)
            return None
    else:
        connection = db.session.connection()
        query, _, store = _fast_statements(connection.dialect.name, database.db_clock)
        row = connection.execute(
            query, {"assembly_id": assembly_id, "member": ballot["member"], "kid": kid, "server_kid": server.kid}
        ).first()
        if not _taking_ballots(row):
            return None
        if row.entry is None or row.key_state == "revoked" or row.supplemented is not None:
            return None
        accepted = _accept(assembly_id, ballot, ballot_text, kid, sig, row, row.entry["keys"], database.db_now(), server)
        if accepted is None:
            return None
        values, promise, slug = accepted
        ballot_id = connection.execute(store, {**values, "registration_id": row.key_registration}).scalar()
        if ballot_id is not None:
            db.session.commit()  # durable before anything is acknowledged
    if ballot_id is None:  # this exact ballot again, the member has voted, or something changed: cast_online says which
        return None
    leaf = values["leaf_hash"]
    return FastCast(ballot_id, promise, tracking_code(bytes.fromhex(leaf)), slug)


def _accept(
    assembly_id: int, ballot: dict, ballot_text: str, kid: str, sig: str, row, keys: list | None, now, server: Signer
) -> tuple[dict, dict, str] | None:
    """The values to store for a ballot the fast path accepts, its signed promise and the
    estate's slug; None for anything the full path must decide.  ``row`` is the assembly as read
    (_fast_statements), ``keys`` the member's keys on its roll (None: not on the roll), ``now``
    the database's clock."""
    if keys is None or not (row.opens_at <= now < row.closes_at):
        return None
    ctx = voting_context(assembly_id, row.estate_id, row.slug, row.notice_version, row.notice, row.roll_root)
    if ctx is None or ballot["assembly"] != ctx.log_id or ballot["notice"] != ctx.notice or ballot["roll_root"] != ctx.roll_root:
        return None
    if choice_problems(ballot["choices"], ctx.items, strict=True):
        return None
    found = [k for k in keys if jwk_thumbprint(k["jwk"]) == kid]
    if not found:
        return None
    try:
        verify(found[0]["jwk"], ballot_text.encode("utf-8"), sig)
    except (CryptoError, ValueError):
        return None
    entry_text = entry_json(ONLINE, ballot_text, kid, sig)
    leaf = ballot_log.leaf_hash_of(entry_text)
    try:
        usable_at(server.kid, (row.key_not_before, row.key_retired_at), ballot_log.ms(now))
    except KeyNotUsable:
        return None  # the full path says so (503), with the key set read afresh
    promise = promise_for(ctx.log_id, leaf, now, server)  # signed only once the ballot has been checked
    values = {
        "assembly_id": assembly_id,
        "member": ballot["member"],
        "version": 1,
        "channel": ONLINE,
        "signer": "proxy" if found[0]["use"] == "proxy" else "owner",
        "kid": kid,
        "entry": entry_text,
        "leaf_hash": leaf,
        "received_at": now,
        "promise": promise,
    }
    return values, promise, ctx.slug
