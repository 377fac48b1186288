"""The kinds of agenda item, one class each: what an item of the kind asks of the owners, which
categories it may stand in, what its notice entry carries, what stops its notice, how a paper
sheet lays it out and reads it back, and how pages name it.

A new kind is one class here (registered in :data:`KINDS`) plus its tally rule in ``tally/``
(CONTRIBUTING.md).  The rest of the application asks the kind, never ``if form == ...``.

The kind is an item's ``form`` on the agenda row and ``kind`` in the signed notice.
"""

from __future__ import annotations

from typing import Any, ClassVar

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from webapp.assemblies import hooks
from webapp.assemblies.files import attachments_of
from webapp.assemblies.rules import seats_problem

Problem = tuple[str, str]
ALL_CATEGORIES = frozenset(range(1, 10))
RESOLUTION_MARKS = ("agree", "disagree", "abstain")


class ItemKind:
    name: ClassVar[str]
    choice: ClassVar[Any]  # the organiser's choice of kind (a lazy string)
    title_zh: ClassVar[str]  # how printed notices name the kind
    categories: ClassVar[frozenset[int]] = ALL_CATEGORIES
    has_seats: ClassVar[bool] = False
    has_options: ClassVar[bool] = True
    takes_nominations: ClassVar[bool] = False  # owners nominate its options (webapp.candidates)

    # ---------------------------------------------------------------- the agenda (rows)

    def field_problem(self, category: int, seats: int | None, by_election: bool) -> Problem | None:
        """What is wrong with an item's fields for this kind (None if nothing)."""
        if category not in self.categories:
            return self.category_problem()
        return None

    def category_problem(self) -> Problem:
        return ("事项类别须为《民法典》第二百七十八条第一款的第 1 至 9 项", "the category must be 1 to 9 of Civil Code Art. 278 ¶1")

    def notice_fields(self, item) -> dict[str, Any]:
        """What the kind adds to the item's entry in the notice (crypto.notice)."""
        return {}

    def publish_problems(self, item) -> list[Problem]:
        """What stops a notice with this item from being published."""
        return []

    def describe(self, item) -> str:
        """The kind and its size, for staff pages: "election, 7 seats"."""
        raise NotImplementedError

    # ---------------------------------------------------------------- the notice (entries)

    def ballot_hint(self, entry: dict) -> str:
        """What an owner may mark, in the reader's language."""
        raise NotImplementedError

    def sheet_hint_zh(self, entry: dict) -> str:
        """The line a printed paper sheet prints above the boxes."""
        raise NotImplementedError

    def sheet_boxes_zh(self, entry: dict) -> list[str]:
        """The boxes a printed paper sheet offers, one line each."""
        return [option["name"] for option in entry["options"]]

    def mark_from_form(self, entry: dict, form) -> object:
        """What an organiser entered for this item of a paper sheet (a request form)."""
        return form.getlist(f"m-{entry['id']}")

    def choice_from_mark(self, entry: dict, mark: object) -> object | None:
        """The ballot's choice for what was read off a sheet; None when nothing was marked (an
        abstention).  A mark that is not on the sheet is refused."""
        marked = [m for m in (mark or []) if isinstance(m, str)]  # type: ignore[union-attr]
        known = {option["id"] for option in entry["options"]}
        if any(m not in known for m in marked):
            raise ValueError(f"“{entry['title']}”中有不在选票上的选项", f"'{entry['title']}' has a mark for an option not on the ballot")
        return sorted(set(marked)) or None


class Resolution(ItemKind):
    name = "resolution"
    choice = _l("Resolution: agree, disagree or abstain")
    title_zh = "表决事项（同意／反对／弃权）"
    has_options = False

    def describe(self, item) -> str:
        return _("resolution")

    def ballot_hint(self, entry: dict) -> str:
        return _("Agree, disagree or abstain.")

    def sheet_hint_zh(self, entry: dict) -> str:
        return "在“同意”“反对”“弃权”中选一项。"

    def sheet_boxes_zh(self, entry: dict) -> list[str]:
        return ["同意　　　□ 反对　　　□ 弃权"]

    def mark_from_form(self, entry: dict, form) -> object:
        return form.get(f"m-{entry['id']}", "blank")

    def choice_from_mark(self, entry: dict, mark: object) -> object | None:
        if mark in RESOLUTION_MARKS:
            return mark
        if mark == "spoiled":  # marked both ways: kept as spoiled (废票)
            return ["agree", "disagree"]
        if mark in (None, "", "blank"):
            return None
        raise ValueError(f"“{entry['title']}”的标记无法识别", f"the mark for '{entry['title']}' is not recognised")


class Election(ItemKind):
    name = "election"
    choice = _l("Election of committee members (category 3)")
    title_zh = "选举事项"
    # The owners' committee (category 3) or, where an estate's rules say so, other major matters (9).
    categories = frozenset({3, 9})
    has_seats = True
    takes_nominations = True

    def field_problem(self, category: int, seats: int | None, by_election: bool) -> Problem | None:
        if category not in self.categories:
            return ("选举事项须属于第 3 类（业主委员会）或第 9 类", "an election belongs to category 3 (the committee) or 9")
        return seats_problem(seats, by_election)

    def notice_fields(self, item) -> dict[str, Any]:
        return {"seats": item.seats, "options": hooks.election_options(item)}

    def publish_problems(self, item) -> list[Problem]:
        problem = seats_problem(item.seats, item.by_election)
        return [(f"“{item.title}”：{problem[0]}", f"'{item.title}': {problem[1]}")] if problem else []

    def describe(self, item) -> str:
        return _("election, %(n)d seats", n=item.seats or 0)

    def ballot_hint(self, entry: dict) -> str:
        return _("Elect %(n)d. You may mark at most %(n)d candidates; more marks spoil this item of your ballot.", n=entry["seats"])

    def sheet_hint_zh(self, entry: dict) -> str:
        return f"最多选 {entry['seats']} 名，多选则本事项作废。"


class Selection(ItemKind):
    name = "selection"
    choice = _l("Selection of a property-service firm among bidders (category 4)")
    title_zh = "选聘事项（选一家）"

    def notice_fields(self, item) -> dict[str, Any]:
        return {"options": [bidder_option(bidder) for bidder in item.bidders]}

    def publish_problems(self, item) -> list[Problem]:
        if len(item.bidders) < 2:
            return [
                (
                    f"“{item.title}”：选聘至少需要两家参选企业（只有一家时请改为表决事项）",
                    f"'{item.title}': a selection needs at least two bidders (for one firm, put a resolution)",
                )
            ]
        return []

    def describe(self, item) -> str:
        return _("selection among %(n)d bidders", n=len(item.bidders))

    def ballot_hint(self, entry: dict) -> str:
        return _("Choose one firm, or abstain.")

    def sheet_hint_zh(self, entry: dict) -> str:
        return "只能选一家，多选则本事项作废。"


class Plan(ItemKind):
    """A choice among plans (方案选择): renovation, parking or lift plans, each with a title, a
    text and an optional attachment, in any category.  Decided like a selection: the plan that
    passes both thresholds, or none, with the closest named (tally: ``plan``)."""

    name = "plan"
    choice = _l("Choice among plans (e.g. renovation or parking plans)")
    title_zh = "方案选择（选一个方案）"

    def notice_fields(self, item) -> dict[str, Any]:
        return {"options": [plan_option(plan) for plan in item.plans]}

    def publish_problems(self, item) -> list[Problem]:
        if len(item.plans) < 2:
            return [
                (
                    f"“{item.title}”：方案选择至少需要两个方案（只有一个方案时请改为表决事项）",
                    f"'{item.title}': a choice among plans needs at least two plans (for one plan, put a resolution)",
                )
            ]
        return []

    def describe(self, item) -> str:
        return _("choice among %(n)d plans", n=len(item.plans))

    def ballot_hint(self, entry: dict) -> str:
        return _("Choose one plan, or abstain.")

    def sheet_hint_zh(self, entry: dict) -> str:
        return "只能选一个方案，多选则本事项作废。"


KINDS: dict[str, ItemKind] = {kind.name: kind for kind in (Resolution(), Election(), Selection(), Plan())}


def kind_of(name: str) -> ItemKind:
    """The kind of an item (its ``form``) or of a notice entry (its ``kind``)."""
    return KINDS[name]


def fee_text(fee_centi: int) -> str:
    return f"{fee_centi // 100}.{fee_centi % 100:02d}"


def bidder_option(bidder) -> dict[str, Any]:
    option: dict[str, Any] = {"id": bidder.ballot_id, "name": bidder.name, "uscc": bidder.uscc, "fee": fee_text(bidder.fee_centi)}
    if bidder.plan:
        option["statement"] = bidder.plan
    files = attachments_of("bidder", bidder.id)
    if files:
        option["attachments"] = files
    return option


def plan_option(plan) -> dict[str, Any]:
    """A plan as the notice lists it (docs/bundle-format.md): its title, text and attachment."""
    option: dict[str, Any] = {"id": plan.ballot_id, "name": plan.name}
    if plan.text:
        option["text"] = plan.text
    if plan.attachment is not None:
        option["attachment_sha256"] = plan.attachment.sha256
        option["attachment_name"] = plan.attachment.filename
    return option
