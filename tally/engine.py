"""Civil Code Art. 278, applied item by item in exact integer arithmetic."""

from __future__ import annotations

import dataclasses
import os
import pickle
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypedDict

from .explain import explain
from .model import ONE_OF_KINDS, Item, Member, TallyInput, Threshold
from .results import (
    Check,
    ElectionResult,
    ItemResult,
    OptionTally,
    Reason,
    ResolutionResult,
    SelectionResult,
    TallyResult,
    Weight,
)

_MISSING = object()
_RESOLUTION_MARKS = ("agree", "disagree", "abstain")
_PENDING = Reason("", "")


@dataclass(frozen=True, slots=True)
class _Rows:
    """The submitted ballots as columns: each ballot's member's area and heads, and its marks
    (item id → mark, as submitted).  Each item is counted in one pass over them, with the sums
    in local variables: with 100,000 members the counting loops are most of the tally's time."""

    areas: list[int]
    heads: list[int]
    choices: list[Mapping[str, Any]]

    @classmethod
    def of(cls, voters: Sequence[Member], choices: list[Mapping[str, Any]]) -> _Rows:
        return cls([m.area for m in voters], [m.heads for m in voters], choices)


class _Common(TypedDict):
    """The fields every kind of :class:`ItemResult` shares, before its own counts are added."""

    item_id: str
    kind: Literal["resolution", "election", "selection", "plan"]
    category: int
    title: str | None
    totals: Weight
    participation: Weight
    quorum: Check
    approval_rule: Threshold
    approval_estate_rule: bool
    reason: Reason


#: Below this many ballot × item marks a second process costs more than it saves.
FORK_AT = 200_000
#: What deciding an item costs, roughly, by kind: for sharing the items between two processes.
_COST = {"resolution": 1, "election": 4, "selection": 2, "plan": 2}


def compute(inp: TallyInput, *, processes: int = 1) -> TallyResult:
    """Decide every item of ``inp``.  Pure: the same input always gives an equal result.

    With ``processes=2`` (``ownersvote tally``, where fork exists) a large tally shares its items
    with a forked child process; the results are the same, in agenda order."""
    total_area = sum(m.area for m in inp.members)
    total_heads = sum(m.heads for m in inp.members)
    totals = Weight(total_area, total_heads)
    # Every submitted ballot takes part in every item (docs/tally-format.md): participation is the same
    # for all items, but it is still reported and tested per item.
    rows = _Rows.of([inp.member(b.member) for b in inp.ballots], [b.choices for b in inp.ballots])
    participation = Weight(sum(rows.areas), sum(rows.heads))

    def decide(items: Sequence[Item]) -> list[ItemResult]:
        return [_decide(item, inp, rows, totals, participation) for item in items]

    if processes > 1 and hasattr(os, "fork") and len(inp.items) > 1 and len(rows.choices) * len(inp.items) >= FORK_AT:
        results = _decide_in_two(inp.items, decide)
    else:
        results = decide(inp.items)
    return TallyResult(totals, len(rows.choices), tuple(results))


def _decide(item: Item, inp: TallyInput, rows: _Rows, totals: Weight, participation: Weight) -> ItemResult:
    if item.kind == "resolution":
        result: ItemResult = _resolution(item, inp, rows, totals, participation)
    elif item.kind == "election":
        result = _election(item, inp, rows, totals, participation)
    else:
        # A selection and a choice among plans are one rule: at most one mark, and the
        # option reaching both thresholds wins.
        assert item.kind in ONE_OF_KINDS, item.kind
        result = _one_of(item, inp, rows, totals, participation)
    return dataclasses.replace(result, reason=explain(result))


def _decide_in_two(items: Sequence[Item], decide: Callable[[Sequence[Item]], list[ItemResult]]) -> list[ItemResult]:
    """``decide(items)``, a share of the items decided by a forked child process at the same time.

    The child inherits the ballots (no copy but the pages it touches) and sends back its results
    pickled; if it fails in any way, this process decides its share too."""
    by_cost = sorted(range(len(items)), key=lambda i: -_COST.get(items[i].kind, 1))
    mine: list[int] = []
    theirs: list[int] = []
    load = [0, 0]
    for i in by_cost:  # the costliest first, each to the lighter side
        side = 0 if load[0] <= load[1] else 1
        (mine if side == 0 else theirs).append(i)
        load[side] += _COST.get(items[i].kind, 1)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child process (its work is checked through the parent)
        try:
            os.close(read)
            data = pickle.dumps(decide([items[i] for i in theirs]), protocol=pickle.HIGHEST_PROTOCOL)
            with os.fdopen(write, "wb") as out:
                out.write(data)
        finally:
            os._exit(0)
    os.close(write)
    results = dict(zip(mine, decide([items[i] for i in mine]), strict=True))
    with os.fdopen(read, "rb") as incoming:
        data = incoming.read()
    os.waitpid(pid, 0)
    try:
        shared = pickle.loads(data)
        if not isinstance(shared, list) or len(shared) != len(theirs):
            raise ValueError("the child process's results are incomplete")
    except Exception:  # the child failed: its share is decided here
        shared = decide([items[i] for i in theirs])
    results.update(zip(theirs, shared, strict=True))
    return [results[i] for i in range(len(items))]


def _common(item: Item, inp: TallyInput, totals: Weight, participation: Weight) -> _Common:
    quorum_rule, quorum_own = inp.rules.quorum(item.category)
    approval_rule, approval_own = inp.rules.approval(item.category)
    return _Common(
        item_id=item.id,
        kind=item.kind,
        category=item.category,
        title=item.title,
        totals=totals,
        participation=participation,
        quorum=Check.of(quorum_rule, quorum_own, participation, totals),
        approval_rule=approval_rule,
        approval_estate_rule=approval_own,
        reason=_PENDING,
    )


def _resolution(item: Item, inp: TallyInput, rows: _Rows, totals: Weight, participation: Weight) -> ResolutionResult:
    w = _count_resolution(item.id, rows)
    common = _common(item, inp, totals, participation)
    approval = Check.of(common["approval_rule"], common["approval_estate_rule"], w["agree"], participation)
    return ResolutionResult(
        **common,
        agree=w["agree"],
        disagree=w["disagree"],
        abstain=w["abstain"],
        invalid=w["invalid"],
        approval=approval,
        passed=common["quorum"].met and approval.met,
    )


def _count_resolution(item_id: str, rows: _Rows) -> dict[str, Weight]:
    """Agree, disagree, abstain (a missing mark included) and invalid on one resolution."""
    agree_area = agree_heads = disagree_area = disagree_heads = abstain_area = abstain_heads = invalid_area = invalid_heads = 0
    for area, heads, choices in zip(rows.areas, rows.heads, rows.choices, strict=True):
        mark = choices.get(item_id, "abstain")
        # A str subclass or any other value that is not exactly one of the three marks spoils.
        if type(mark) is str:
            if mark == "agree":
                agree_area += area
                agree_heads += heads
                continue
            if mark == "disagree":
                disagree_area += area
                disagree_heads += heads
                continue
            if mark == "abstain":
                abstain_area += area
                abstain_heads += heads
                continue
        invalid_area += area
        invalid_heads += heads
    return {
        "agree": Weight(agree_area, agree_heads),
        "disagree": Weight(disagree_area, disagree_heads),
        "abstain": Weight(abstain_area, abstain_heads),
        "invalid": Weight(invalid_area, invalid_heads),
    }


def _count_marks(item: Item, rows: _Rows, limit: int) -> tuple[dict[str, Weight], Weight, Weight]:
    """Votes per option, abstentions and spoiled items for an election, a selection or a plan.

    A missing mark or an empty list abstains; a mark that is not a list (or tuple) of at most
    ``limit`` different options of the item, each exactly a str, spoils the item."""
    optset = frozenset(item.options)
    o_area = dict.fromkeys(item.options, 0)
    o_heads = dict.fromkeys(item.options, 0)
    ab_area = ab_heads = inv_area = inv_heads = 0
    iid = item.id
    for area, heads, choices in zip(rows.areas, rows.heads, rows.choices, strict=True):
        mark = choices.get(iid, _MISSING)
        if mark is _MISSING:
            ab_area += area
            ab_heads += heads
            continue
        kind = type(mark)
        if kind is list or kind is tuple:
            n = len(mark)
            if n == 0:
                ab_area += area
                ab_heads += heads
                continue
            if n <= limit:
                for option in mark:
                    if type(option) is not str or option not in optset:
                        break
                else:
                    if n == 1 or len(set(mark)) == n:  # no option marked twice
                        for option in mark:
                            o_area[option] += area
                            o_heads[option] += heads
                        continue
        inv_area += area
        inv_heads += heads
    votes = {o: Weight(o_area[o], o_heads[o]) for o in item.options}
    return votes, Weight(ab_area, ab_heads), Weight(inv_area, inv_heads)


def _rank_groups(tallies: Sequence[OptionTally]) -> list[list[str]]:
    """Groups of fully tied options (same heads and area), best first (heads, then area).

    Within a group the agenda's option order is kept, only so that output is deterministic; it
    never decides anything.
    """
    groups: list[list[str]] = []
    last = None
    ordered = sorted(enumerate(tallies), key=lambda it: (-it[1].votes.heads, -it[1].votes.area, it[0]))
    for _, t in ordered:
        key = (t.votes.heads, t.votes.area)
        if key != last:
            groups.append([])
            last = key
        groups[-1].append(t.option)
    return groups


def _fill(groups: list[list[str]], places: int) -> tuple[list[str], list[str] | None, int, int]:
    """Give ``places`` to ranked groups without ever breaking a full tie.

    Returns (chosen, tie, tied_places, groups_used): a group that does not fit in the places
    left becomes ``tie`` for those ``tied_places``, and filling stops there.
    """
    chosen: list[str] = []
    for used, group in enumerate(groups):
        left = places - len(chosen)
        if left <= 0:
            return chosen, None, 0, used
        if len(group) > left:
            return chosen, list(group), left, used + 1
        chosen.extend(group)
    return chosen, None, 0, len(groups)


def _election(item: Item, inp: TallyInput, rows: _Rows, totals: Weight, participation: Weight) -> ElectionResult:
    seats = item.seats
    assert seats is not None, "Item refuses an election without seats"
    votes, abstain, invalid = _count_marks(item, rows, seats)
    common = _common(item, inp, totals, participation)
    rule, own = common["approval_rule"], common["approval_estate_rule"]
    quorum_met = common["quorum"].met
    candidates = tuple(OptionTally(o, votes[o], Check.of(rule, own, votes[o], participation)) for o in item.options)
    # Without a quorum the item decides nothing, so nobody is eligible for a seat.
    eligible = [t for t in candidates if quorum_met and t.reached]
    groups = _rank_groups(eligible)
    elected, tie, tied_seats, used = _fill(groups, seats)
    wanted = inp.rules.alternates
    # Alternates follow the seats in the same order.  When the last seats are tied, the
    # candidates who lose the re-vote rank above everyone below the tie, so they take the first
    # alternate places; those places are reported as pending rather than guessed, and only the
    # places whose holder is already certain are filled from the candidates below the tie.
    pending = min(wanted, len(tie) - tied_seats) if tie else 0
    alternates, alt_tie, _, _ = _fill(groups[used:], wanted - pending)
    return ElectionResult(
        **common,
        abstain=abstain,
        invalid=invalid,
        seats=seats,
        candidates=candidates,
        eligible=tuple(o for g in groups for o in g),
        elected=tuple(elected),
        tie=tuple(tie) if tie else None,
        tied_seats=tied_seats,
        unfilled=seats - len(elected),
        alternates_wanted=wanted,
        alternates=tuple(alternates),
        alternates_pending=pending,
        alternates_tie=tuple(alt_tie) if alt_tie else None,
        passed=quorum_met and len(elected) == seats,
    )


def _one_of(item: Item, inp: TallyInput, rows: _Rows, totals: Weight, participation: Weight) -> SelectionResult:
    """Decide an item on which an owner marks at most one option: a selection or a plan.

    ``kind`` is carried into the result (and so into the reasons and the output document); the
    decision does not look at it.
    """
    votes, abstain, invalid = _count_marks(item, rows, 1)
    common = _common(item, inp, totals, participation)
    rule, own = common["approval_rule"], common["approval_estate_rule"]
    options = tuple(OptionTally(o, votes[o], Check.of(rule, own, votes[o], participation)) for o in item.options)
    reached = [t.option for t in options if t.reached]
    # Marks are exclusive, so the options' areas add up to at most the participating area; the
    # statute's floor (more than 1/2), which no estate rule may undercut, lets at most one reach.
    assert len(reached) <= 1, reached
    winner = reached[0] if reached and common["quorum"].met else None
    closest, closest_tie = (None, None) if winner else _closest(options, participation)
    return SelectionResult(
        **common,
        abstain=abstain,
        invalid=invalid,
        options=options,
        winner=winner,
        closest=closest,
        closest_tie=closest_tie,
        passed=winner is not None,
    )


def _closest(options: Sequence[OptionTally], participation: Weight) -> tuple[str | None, tuple[str, ...] | None]:
    """The option nearest to the threshold: the largest smaller-of-two shares among participants.

    The same share is required of area and of heads, so the binding one is the smaller:
    min(area/P_area, heads/P_heads), compared exactly as min(area*P_heads, heads*P_area) since
    both denominators are common to all options.  Ties go to more heads, then more area; a full
    tie after that names nobody.  An option with no votes at all is never "closest".
    """
    pa, ph = participation.area, participation.heads
    if pa <= 0 or ph <= 0:
        return None, None
    keyed = [
        ((min(t.votes.area * ph, t.votes.heads * pa), t.votes.heads, t.votes.area), t.option)
        for t in options
        if t.votes.heads or t.votes.area
    ]
    if not keyed:
        return None, None
    best = max(k for k, _ in keyed)
    top = tuple(o for k, o in keyed if k == best)
    return (top[0], None) if len(top) == 1 else (None, top)
