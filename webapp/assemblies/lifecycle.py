"""An assembly's life, as explicit transitions: draft → notice → voting → closed (→ tallied →
certified → published → archived, in webapp.results).  Each transition checks where it may
happen, records its actor and time in the audit log, and can be neither skipped nor reversed.

Voting opens at its time by the server's clock and closes at its time by the database's clock,
with no manual step and no scheduler that might not run: ``advance`` makes every transition
that is due, and every page and every ballot that touches an assembly calls it first.  A
transition is a conditional update (``… WHERE state = 'notice'``), so of two requests that see
it due at once exactly one makes it and records it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update

from crypto.notice import notice_digest, sign_notice
from webapp.assemblies import hooks
from webapp.assemblies.kinds import kind_of
from webapp.assemblies.models import Assembly, NoticeVersion
from webapp.assemblies.notice import build_payload, changes
from webapp.assemblies.rules import first_allowed_opening, window_problems
from webapp.assemblies.states import LifecycleError
from webapp.audit.operations import record
from webapp.core import db as database
from webapp.core.db import db
from webapp.core.serverkey import signing_key
from webapp.core.timefmt import local, zone_names
from webapp.estates.thresholds import rules_snapshot

# Not a task but the reason a published notice needs no new version: the staff page says it apart.
UNCHANGED = ("公告没有改动，无需发布新版本", "nothing changed since the last version")


def notice_problems(assembly: Assembly, now: datetime) -> list[tuple[str, str]]:
    """Everything that stops this assembly's notice from being published now."""
    estate = assembly.estate
    problems: list[tuple[str, str]] = []
    if assembly.state not in ("draft", "notice"):
        return [("投票开始后不能再修改公告", "the notice cannot change once voting has opened")]
    if assembly.state == "notice" and not assembly.notice_dirty:
        problems.append(UNCHANGED)
    if not assembly.items:
        problems.append(("议程至少要有一个事项", "the agenda needs at least one item"))
    problems += window_problems(assembly.opens_at, assembly.closes_at, now)
    first = first_allowed_opening(now, estate.notice_period_days)
    if assembly.opens_at < first:
        zone_zh, zone_en = zone_names(estate)
        problems.append(
            (
                f"公告须在投票开始前至少 {estate.notice_period_days} 天发布：现在发布，最早可于 {local(first, estate)}（{zone_zh}）开始投票，"
                "请推迟投票开始时间",
                f"the notice must be out {estate.notice_period_days} days before voting opens: published now, voting may open "
                f"at {local(first, estate)} ({zone_en}) at the earliest; move the opening",
            )
        )
    for item in assembly.items:
        problems += kind_of(item.form).publish_problems(item)
        problems += hooks.item_notice_problems(item, now)
    return problems


def publish_notice(assembly: Assembly, *, actor, now: datetime | None = None) -> NoticeVersion:
    """Publish the notice (or a new version of it): signed by the server (the key the key set
    says is valid at ``published_at``, the database's clock), the period restarting."""
    now = now or database.db_now()
    problems = notice_problems(assembly, now)
    if problems:
        raise LifecycleError("；".join(zh for zh, _ in problems), "; ".join(en for _, en in problems))
    estate = assembly.estate
    if assembly.rules_snapshot is None:
        assembly.rules_snapshot = rules_snapshot(
            thresholds=estate.thresholds or {},
            alternates=estate.alternates,
            required_signatures=estate.tally_signatures_required,
            counting_rule=estate.counting_rule,
        )
    version = assembly.notice_version + 1
    payload = build_payload(assembly, version=version, published_at=now, rules=assembly.rules_snapshot)
    document = sign_notice(signing_key(now), payload)
    previous = assembly.current_notice
    notice = NoticeVersion(
        assembly_id=assembly.id,
        version=version,
        published_at=now,
        published_by_id=getattr(actor, "id", None),
        document=document,
        sha256=notice_digest(document),
        changes=changes(previous.document if previous else None, document, estate),
    )
    assembly.notices.append(notice)
    assembly.notice_version = version
    assembly.notice_dirty = False
    first = assembly.state == "draft"
    assembly.state = "notice"
    db.session.flush()
    record(
        "assembly.notice",
        actor=actor,
        estate_id=assembly.estate_id,
        obj=assembly,
        version=version,
        sha256=notice.sha256,
        opens=assembly.opens_at.isoformat(),
        closes=assembly.closes_at.isoformat(),
        first=first,
        changes=[c["en"] for c in notice.changes],
    )
    return notice


def _transition(assembly: Assembly, old: str, new: str, **values) -> bool:
    done = db.session.execute(
        update(Assembly)
        .where(Assembly.id == assembly.id, Assembly.state == old)
        .values(state=new, **values)
        .execution_options(synchronize_session=False)
    ).rowcount
    if done:
        db.session.refresh(assembly)
    return bool(done)


def opening_blockers(assembly: Assembly) -> list[tuple[str, str]]:
    """Why voting cannot open when its time comes (nothing, if it can)."""
    problems = []
    if assembly.notice_dirty:
        problems.append(
            (
                "公告发布后有改动但未发布新版本：须发布新版本并重新公告",
                "the notice was changed after publication: a new version must be published",
            )
        )
    problems += hooks.opening_blockers(assembly)
    return problems


def open_if_due(assembly: Assembly, now: datetime | None = None) -> bool:
    """Open voting when its time has come by the database's clock (the one that accepts ballots
    and closes the vote: an app server whose clock is fast must not show voting open while every
    ballot is refused), on a fully signed roll."""
    if assembly.state != "notice":
        return False
    now = now or database.db_now()
    due = assembly.opens_at <= now < assembly.closes_at
    if due and not opening_blockers(assembly) and _transition(assembly, "notice", "voting", opened_at=now):
        hooks.voting_opened(assembly, now)
        record(
            "assembly.open",
            actor="clock",
            estate_id=assembly.estate_id,
            obj=assembly,
            due=assembly.opens_at.isoformat(),
            roll=assembly.roll.seq,
        )
        return True
    return False


def advance_estate(estate, now: datetime | None = None) -> bool:
    """Make every transition due in the estate's assemblies; True when one was made (the caller
    commits, once, for its request)."""
    assemblies = db.session.scalars(select(Assembly).where(Assembly.estate_id == estate.id, Assembly.state.in_(("notice", "voting"))))
    return any([advance(assembly, now) for assembly in assemblies])


def advance(assembly: Assembly, now: datetime | None = None) -> bool:
    """Make every transition that is due by the clock; True when one was made (caller commits)."""
    changed = open_if_due(assembly, now)
    if assembly.state == "voting":
        changed = hooks.voting_due(assembly) or changed
    return changed
