"""Organisers' work on an assembly's agenda: create, edit, items, bidders, attachments.

Every operation checks who may do it (an organiser of this estate), what state allows it, and
the input; it writes its audit event in the caller's transaction, so a refusal leaves nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from webapp.assemblies import hooks
from webapp.assemblies.kinds import KINDS, ItemKind, kind_of
from webapp.assemblies.models import KINDS as ASSEMBLY_KINDS
from webapp.assemblies.models import AgendaItem, Assembly, Bidder, PlanOption
from webapp.assemblies.rules import window_problems
from webapp.assemblies.states import LifecycleError, editable, touch
from webapp.attachments.models import Attachment
from webapp.attachments.storage import check, store
from webapp.audit.operations import record
from webapp.core.db import db, utcnow
from webapp.core.errors_base import UserError
from webapp.core.identity import is_uscc, normalize_id
from webapp.core.roles import Role
from webapp.estates.thresholds import CATEGORIES
from webapp.firms.models import Firm
from webapp.pool.operations import in_pool


class AssemblyError(UserError):
    pass


ORGANISERS_ONLY = ("只有本小区的组织者可以编辑会议和议程", "only an organiser of this estate can edit assemblies and agendas")


def require_organiser(actor, estate_id: int) -> None:

    role = actor.role_in(estate_id) if hasattr(actor, "role_in") else None
    if role is not Role.organiser:
        raise AssemblyError(*ORGANISERS_ONLY)


def require_editable(assembly: Assembly) -> None:
    if not editable(assembly):
        raise LifecycleError("投票已经开始，议程不能再修改", "voting has started: the agenda can no longer change")


def _check_window(opens: datetime, closes: datetime, nomination_deadline: datetime | None, now: datetime) -> None:
    problems = window_problems(opens, closes, now)
    if nomination_deadline is not None and nomination_deadline >= opens:
        problems.append(("提名截止时间须早于投票开始时间", "nominations must close before voting opens"))
    if problems:
        raise AssemblyError("；".join(p[0] for p in problems), "; ".join(p[1] for p in problems))


@dataclass(frozen=True)
class AssemblyFields:
    """What an organiser sets of an assembly (its form, the CLI, the demo)."""

    title: str
    kind: str
    opens_at: datetime
    closes_at: datetime
    replace_allowed: bool = False
    publication_days: int | None = None  # None: the estate's setting
    nomination_deadline: datetime | None = None
    description: str | None = None


def create_assembly(estate, fields: AssemblyFields, *, actor, now: datetime | None = None) -> Assembly:
    require_organiser(actor, estate.id)
    return _create(estate, fields, actor=actor, now=now)


def prepare_draft(
    estate, fields: AssemblyFields, items: list[tuple[str, ItemFields]], *, prepared_by: str, now: datetime | None = None
) -> Assembly:
    """A draft the system prepares for the estate's organisers (a re-selection of the firm after
    failing periods, webapp/rankings): the checks of an organiser's draft, its audit events under
    ``prepared_by`` (a label, not a person), and nothing more than a draft — the organisers edit
    it and publish its notice, and the owners decide as they always do."""
    assembly = _create(estate, fields, actor=prepared_by, now=now)
    for form, item in items:
        _add_item(assembly, form, item, actor=prepared_by)
    return assembly


def _create(estate, fields: AssemblyFields, *, actor, now: datetime | None) -> Assembly:
    title, kind, opens_at, closes_at = fields.title, fields.kind, fields.opens_at, fields.closes_at
    replace_allowed, publication_days = fields.replace_allowed, fields.publication_days
    nomination_deadline, description = fields.nomination_deadline, fields.description
    now = now or utcnow()
    title = (title or "").strip()
    if not title:
        raise AssemblyError("请填写会议名称", "give the assembly a title")
    if kind not in ASSEMBLY_KINDS:
        raise AssemblyError("会议类型须为首次、定期或临时", "the kind must be first, regular or extraordinary")
    _check_window(opens_at, closes_at, nomination_deadline, now)
    days = publication_days if publication_days is not None else estate.results_publication_days
    if not 1 <= days <= 90:
        raise AssemblyError("结果公示期须在 1 到 90 天之间", "the results' publication period must be 1 to 90 days")
    assembly = Assembly(
        estate_id=estate.id,
        title=title[:200],
        kind=kind,
        description=(description or "").strip() or None,
        opens_at=opens_at,
        closes_at=closes_at,
        replace_allowed=replace_allowed,
        publication_days=days,
        nomination_deadline=nomination_deadline,
        state="draft",
        created_by_id=getattr(actor, "id", None),
        created_at=now,
        notice_version=0,
    )
    db.session.add(assembly)
    db.session.flush()
    record(
        "assembly.create",
        actor=actor,
        estate_id=estate.id,
        obj=assembly,
        title=assembly.title,
        kind=kind,
        opens=opens_at.isoformat(),
        closes=closes_at.isoformat(),
        replace_allowed=replace_allowed,
    )
    return assembly


# What of an assembly's own fields its notice shows: a change to one of them needs a new version
# (the description, the nomination deadline and the results' period are not on the notice).
NOTICE_FIELDS = {"title", "kind", "opens_at", "closes_at", "replace_allowed"}


def update_assembly(assembly: Assembly, fields: AssemblyFields, *, actor, now: datetime | None = None) -> dict:
    title, kind, opens_at, closes_at = fields.title, fields.kind, fields.opens_at, fields.closes_at
    replace_allowed, nomination_deadline, description = fields.replace_allowed, fields.nomination_deadline, fields.description
    publication_days = fields.publication_days if fields.publication_days is not None else assembly.publication_days
    require_organiser(actor, assembly.estate_id)
    require_editable(assembly)
    now = now or utcnow()
    if not (title or "").strip():
        raise AssemblyError("请填写会议名称", "give the assembly a title")
    if kind not in ASSEMBLY_KINDS:
        raise AssemblyError("会议类型须为首次、定期或临时", "the kind must be first, regular or extraordinary")
    _check_window(opens_at, closes_at, nomination_deadline, now)
    if not 1 <= publication_days <= 90:
        raise AssemblyError("结果公示期须在 1 到 90 天之间", "the results' publication period must be 1 to 90 days")
    new = {
        "title": title.strip()[:200],
        "kind": kind,
        "opens_at": opens_at,
        "closes_at": closes_at,
        "replace_allowed": replace_allowed,
        "publication_days": publication_days,
        "nomination_deadline": nomination_deadline,
        "description": (description or "").strip() or None,
    }
    changed = {k: (getattr(assembly, k), v) for k, v in new.items() if getattr(assembly, k) != v}
    for key, (_old, value) in changed.items():
        setattr(assembly, key, value)
    if changed:
        if NOTICE_FIELDS & set(changed):
            touch(assembly)
        db.session.flush()
        record(
            "assembly.edit",
            actor=actor,
            estate_id=assembly.estate_id,
            obj=assembly,
            changes={k: {"from": str(a), "to": str(b)} for k, (a, b) in changed.items()},
        )
    return changed


@dataclass(frozen=True)
class ItemFields:
    """What an organiser sets of an agenda item."""

    category: int
    title: str
    text: str | None = None
    seats: int | None = None  # elections only
    by_election: bool = False  # elections only


def _item_problem(kind: ItemKind, fields: ItemFields) -> None:
    if not (fields.title or "").strip():
        raise AssemblyError("请填写事项标题", "give the item a title")
    if fields.category not in CATEGORIES:
        raise AssemblyError(*kind.category_problem())
    problem = kind.field_problem(fields.category, fields.seats, fields.by_election)
    if problem:
        raise AssemblyError(*problem)


def add_item(assembly: Assembly, form: str, fields: ItemFields, *, actor) -> AgendaItem:
    require_organiser(actor, assembly.estate_id)
    return _add_item(assembly, form, fields, actor=actor)


def _add_item(assembly: Assembly, form: str, fields: ItemFields, *, actor) -> AgendaItem:
    require_editable(assembly)
    if form not in KINDS:
        raise AssemblyError("事项形式须为表决、选举、选聘或方案选择", "the form must be resolution, election, selection or plan")
    kind = kind_of(form)
    _item_problem(kind, fields)
    seats, by_election = (fields.seats, fields.by_election) if kind.has_seats else (None, False)
    position = (db.session.scalar(select(func.max(AgendaItem.position)).where(AgendaItem.assembly_id == assembly.id)) or 0) + 1
    item = AgendaItem(
        assembly_id=assembly.id,
        position=position,
        form=form,
        category=fields.category,
        title=fields.title.strip()[:300],
        text=(fields.text or "").strip() or None,
        seats=seats,
        by_election=by_election,
    )
    assembly.items.append(item)
    touch(assembly)
    db.session.flush()
    record(
        "item.add",
        actor=actor,
        estate_id=assembly.estate_id,
        obj=item,
        assembly=assembly.id,
        form=form,
        category=fields.category,
        title=item.title,
        seats=seats,
    )
    return item


def elections_of(assembly: Assembly) -> list[AgendaItem]:
    """The items that take nominations (elections)."""
    return [i for i in assembly.items if kind_of(i.form).takes_nominations]


def nominations_open(assembly: Assembly, now: datetime | None = None) -> bool:
    """Whether owners may nominate online now: an election on the agenda, the organisers' call
    for candidates made (or the notice published), voting not begun, the deadline not passed.
    A draft whose nominations are not open is the organisers' working copy: owners see none of it."""
    now = now or utcnow()
    return (
        bool(elections_of(assembly))
        and (assembly.state == "notice" or (assembly.state == "draft" and assembly.nominations_opened_at is not None))
        and (assembly.nomination_deadline is None or now <= assembly.nomination_deadline)
    )


def open_nominations(assembly: Assembly, *, actor, now: datetime | None = None) -> None:
    """The organisers' call for candidates (征集候选人): from now, the estate's owners see the
    election on their page and may nominate, until the nomination deadline."""
    now = now or utcnow()
    require_organiser(actor, assembly.estate_id)
    if assembly.state not in ("draft", "notice"):
        raise LifecycleError("投票已经开始，不再接受提名", "voting has started: nominations are closed")
    if not elections_of(assembly):
        raise AssemblyError("议程中没有选举事项，无需征集候选人", "the agenda has no election: there are no candidates to call for")
    if assembly.nominations_opened_at is not None:
        raise AssemblyError("已经开始征集候选人", "the call for candidates has already been made")
    if assembly.nomination_deadline is not None and now > assembly.nomination_deadline:
        raise AssemblyError("提名截止时间已过：请先修改提名截止时间", "the nomination deadline has passed: change it first")
    assembly.nominations_opened_at = now
    db.session.flush()
    record(
        "assembly.nominations_open",
        actor=actor,
        estate_id=assembly.estate_id,
        obj=assembly,
        until=assembly.nomination_deadline.isoformat() if assembly.nomination_deadline else None,
    )


def update_item(item: AgendaItem, fields: ItemFields, *, actor) -> None:
    assembly = item.assembly
    require_organiser(actor, assembly.estate_id)
    require_editable(assembly)
    kind = kind_of(item.form)
    _item_problem(kind, fields)
    seats, by_election = (fields.seats, fields.by_election) if kind.has_seats else (None, False)
    before = {"category": item.category, "title": item.title, "text": item.text, "seats": item.seats, "by_election": item.by_election}
    item.category, item.title, item.text, item.seats, item.by_election = (
        fields.category,
        fields.title.strip()[:300],
        (fields.text or "").strip() or None,
        seats,
        by_election,
    )
    after = {"category": item.category, "title": item.title, "text": item.text, "seats": item.seats, "by_election": item.by_election}
    if before != after:
        touch(assembly)
        db.session.flush()
        record(
            "item.edit",
            actor=actor,
            estate_id=assembly.estate_id,
            obj=item,
            changes={k: {"from": before[k], "to": after[k]} for k in before if before[k] != after[k]},
        )


def remove_item(item: AgendaItem, *, actor) -> None:
    assembly = item.assembly
    require_organiser(actor, assembly.estate_id)
    require_editable(assembly)
    problems = hooks.item_removal_problems(item)
    if problems:
        raise AssemblyError("；".join(zh for zh, _ in problems), "; ".join(en for _, en in problems))
    record("item.remove", actor=actor, estate_id=assembly.estate_id, obj=item, title=item.title)
    assembly.items.remove(item)
    touch(assembly)
    db.session.flush()


def parse_fee(text: str) -> int:
    """Yuan per m² per month, at most two decimals → fen; a clear refusal otherwise."""
    import re

    match = re.fullmatch(r"\s*(\d{1,4})(?:\.(\d{1,2}))?\s*", text or "")
    if not match:
        raise AssemblyError(
            "物业费请写成每平方米每月多少元，最多两位小数，例如 2.50",
            "write the fee as yuan per m² per month with at most two decimals, e.g. 2.50",
        )
    fen = int(match.group(1)) * 100 + int((match.group(2) or "0").ljust(2, "0"))
    if fen <= 0:
        raise AssemblyError("物业费须大于零", "the fee must be more than zero")
    return fen


def same_firm_name(a: str, b: str) -> bool:
    """Two names of one firm as people type them: full- or half-width, spacing and case aside."""
    import unicodedata

    def key(name: str) -> str:
        return "".join(unicodedata.normalize("NFKC", name).split()).casefold()

    return key(a) == key(b)


def add_bidder(item: AgendaItem, *, actor, name: str, uscc: str, fee: str, plan: str | None, from_pool: bool = False) -> Bidder:
    assembly = item.assembly
    require_organiser(actor, assembly.estate_id)
    require_editable(assembly)
    if item.form != "selection":
        raise AssemblyError("只有选聘事项有参选企业", "only a selection has bidders")
    name = " ".join((name or "").split())
    if not name:
        raise AssemblyError("请填写企业名称", "give the firm's name")
    code = normalize_id(uscc or "")
    if not is_uscc(code):
        raise AssemblyError(
            f"统一社会信用代码“{uscc}”无效（18 位，校验位须符合 GB 32100）",
            f"unified social credit code '{uscc}' is not valid (18 characters with the GB 32100 check character)",
        )
    for other in item.bidders:
        if other.uscc == code:
            raise AssemblyError(
                f"统一社会信用代码 {code} 已属于参选企业“{other.name}”", f"credit code {code} already belongs to the bidder '{other.name}'"
            )
        if same_firm_name(other.name, name):
            raise AssemblyError(f"参选名单中已有同名企业“{other.name}”", f"a firm of the same name is already a bidder: '{other.name}'")
    bidder = Bidder(item_id=item.id, name=name[:200], uscc=code, fee_centi=parse_fee(fee), plan=(plan or "").strip() or None)
    item.bidders.append(bidder)
    touch(assembly)
    db.session.flush()
    record(
        "bidder.add",
        actor=actor,
        estate_id=assembly.estate_id,
        obj=bidder,
        item=item.id,
        name=bidder.name,
        uscc=code,
        fee_centi=bidder.fee_centi,
        **({"from_pool": True} if from_pool else {}),
    )
    return bidder


def add_pool_bidder(item: AgendaItem, firm: Firm, *, actor, fee: str, plan: str | None) -> Bidder:
    """A bidder from the district's pool (优势资源库): the firm's name and credit code as the
    register has them; a firm not in the pool now is refused (add it by hand, or ask the
    district to take it into the pool)."""
    require_organiser(actor, item.assembly.estate_id)
    if not in_pool(firm):
        raise AssemblyError(
            f"{firm.name}不在区物业服务企业优势资源库中，不能从资源库添加；如它参与投标，请在“添加参选企业”中填写其名称和统一社会信用代码",
            f"{firm.name} is not in the district's pool of firms; if it bids, add it under 'Add a bidder' with its name and credit code",
        )
    return add_bidder(item, actor=actor, name=firm.name, uscc=firm.uscc, fee=fee, plan=plan, from_pool=True)


def remove_bidder(bidder: Bidder, item: AgendaItem, *, actor) -> None:
    assembly = item.assembly
    require_organiser(actor, assembly.estate_id)
    require_editable(assembly)
    record("bidder.remove", actor=actor, estate_id=assembly.estate_id, obj=bidder, name=bidder.name)
    item.bidders.remove(bidder)
    touch(assembly)
    db.session.flush()


def add_plan(item: AgendaItem, *, actor, name: str, text: str | None, file: tuple[bytes, str] | None = None) -> PlanOption:
    """A plan of a choice among plans: its title, its text and, optionally, one document
    (``file``: its bytes and name), all of which the notice lists."""
    assembly = item.assembly
    require_organiser(actor, assembly.estate_id)
    require_editable(assembly)
    if item.form != "plan":
        raise AssemblyError("只有方案选择事项有方案", "only a choice among plans has plans")
    name = " ".join((name or "").split())
    if not name:
        raise AssemblyError("请填写方案名称", "give the plan a title")
    if any(" ".join(other.name.split()) == name for other in item.plans):
        raise AssemblyError(f"已有同名方案“{name}”", f"there is already a plan called '{name}'")
    plan = PlanOption(item_id=item.id, name=name[:300], text=(text or "").strip() or None)
    item.plans.append(plan)
    db.session.flush()
    if file is not None:
        data, filename = file
        plan.attachment = attach(assembly, actor=actor, kind="plan", owner_id=plan.id, data=data, filename=filename)
    touch(assembly)
    db.session.flush()
    record("plan.add", actor=actor, estate_id=assembly.estate_id, obj=plan, item=item.id, name=plan.name)
    return plan


def remove_plan(plan: PlanOption, item: AgendaItem, *, actor) -> None:
    assembly = item.assembly
    require_organiser(actor, assembly.estate_id)
    require_editable(assembly)
    record("plan.remove", actor=actor, estate_id=assembly.estate_id, obj=plan, name=plan.name)
    item.plans.remove(plan)
    touch(assembly)
    db.session.flush()


def attach(
    assembly: Assembly,
    *,
    actor,
    kind: str,
    owner_id: int,
    data: bytes,
    filename: str,
    images_only: bool = False,
    max_bytes: int | None = None,
):
    """Attach a checked file to an item, a candidate or a bidder of this assembly (at most
    ``max_bytes`` where its kind takes less than the usual limit)."""

    checked = check(data, filename, images_only=images_only, max_bytes=max_bytes)
    store(checked)
    attachment = Attachment(
        estate_id=assembly.estate_id,
        assembly_id=assembly.id,
        kind=kind,
        owner_id=owner_id,
        filename=checked.filename,
        content_type=checked.content_type,
        size=checked.size,
        sha256=checked.sha256,
        uploaded_by=getattr(actor, "username", None) or str(actor),
    )
    db.session.add(attachment)
    if kind in ("item", "candidate", "bidder", "plan", "photo"):
        touch(assembly)
    db.session.flush()
    record(
        "attachment.add",
        actor=actor if not isinstance(actor, str) else actor,
        estate_id=assembly.estate_id,
        obj=attachment,
        kind=kind,
        owner=owner_id,
        filename=checked.filename,
        sha256=checked.sha256,
        size=checked.size,
    )
    return attachment


# Scans that stand as evidence for another record (a paper nomination, a letter of proxy, a paper
# ballot, an owner's objection) or that belong to a candidate (their photo): never removed, or the
# record they back would stand on nothing.  Only the agenda's own papers may be taken back.
REMOVABLE_KINDS = frozenset({"item", "bidder", "candidate"})


def detach(attachment, assembly: Assembly, *, actor) -> None:
    if attachment.kind not in REMOVABLE_KINDS:
        raise AssemblyError(
            "这份文件是存证（提名表、委托书、纸质表决票、异议或候选人照片的扫描件），不能删除；如有错误，请在相应记录上说明。",
            "This file is evidence (the scan of a nomination form, a letter of proxy, a paper ballot, an objection, "
            "or a candidate's photo) and cannot be removed; if it is wrong, say so on its record.",
        )
    require_editable(assembly)
    record(
        "attachment.remove",
        actor=actor,
        estate_id=assembly.estate_id,
        obj=attachment,
        filename=attachment.filename,
        sha256=attachment.sha256,
    )
    db.session.delete(attachment)
    touch(assembly)
    db.session.flush()


def set_roll(assembly: Assembly, roll, *, actor) -> None:
    """Name the frozen roll this assembly votes on (supervisors freeze it for the assembly)."""
    if assembly.state not in ("draft", "notice"):
        raise LifecycleError("投票开始后不能更换名册", "the roll cannot change once voting has opened")
    if roll.estate_id != assembly.estate_id:
        raise AssemblyError("名册不属于本小区", "the roll is not this estate's")
    assembly.roll_id = roll.id
    db.session.flush()
    record("assembly.roll", actor=actor, estate_id=assembly.estate_id, obj=assembly, roll=roll.seq, root=roll.root)
