"""Typed, immutable inputs of the tally and the statute's thresholds.

Areas are integers in hundredths of a square metre and heads are integers, so every test of
Civil Code Art. 278 is decided by integer cross-multiplication: no float ever reaches a
comparison.  The dataclasses validate themselves, so a :class:`TallyInput` built directly (by
the web app from its database) is held to the same rules as one loaded from JSON.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import chain
from math import gcd
from types import MappingProxyType
from typing import Any, Literal, TypeGuard

AT_LEAST: Literal["at_least"] = "at_least"
MORE_THAN: Literal["more_than"] = "more_than"
KINDS = ("resolution", "election", "selection", "plan")
#: Kinds decided by choosing at most one option: a selection (typically the property-service
#: firm) and a choice among plans (方案选择, e.g. renovation or parking plans).  Both are decided by
#: the same rule (engine._one_of): the option reaching both thresholds wins, or none does.
ONE_OF_KINDS = ("selection", "plan")
Kind = Literal["resolution", "election", "selection", "plan"]
CATEGORIES = range(1, 10)
# An election fills seats with people: the owners' committee (category 3) or, where an estate's
# rules create one, another body such as a supervisory board, which falls under "other major
# matters" (category 9).  An election under any other category would apply a threshold the
# statute never meant for choosing people, so it is refused rather than guessed at.
ELECTION_CATEGORIES = (3, 9)


class TallyInputError(ValueError):
    """The input cannot be tallied.

    ``path`` locates the problem in JSON-path-like notation (``members[3].area``,
    ``rules.thresholds.6.approval``); ``problem`` says what is wrong.  ``str(error)`` is
    ``"path: problem"``, ready for a command-line message.
    """

    def __init__(self, path: str, problem: str):
        self.path = path
        self.problem = problem
        super().__init__(f"{path}: {problem}" if path else problem)

    def within(self, prefix: str) -> TallyInputError:
        """The same error located inside ``prefix`` (``members[3]`` + ``area``)."""
        if not self.path:
            return TallyInputError(prefix, self.problem)
        sep = "" if self.path.startswith("[") else "."
        return TallyInputError(f"{prefix}{sep}{self.path}", self.problem)


def _is_int(value: object) -> TypeGuard[int]:
    # bool is a subclass of int; True must never count as one head.
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True, slots=True)
class Threshold:
    """A share that area and heads must each reach: ``at_least p/q`` (以上, the figure itself
    included, Civil Code Art. 1259) or ``more_than p/q`` (超过 / 过半数, the figure excluded).

    Stored in lowest terms.  ``0 < p/q <= 1``, and ``more_than 1/1`` is refused because no vote
    could ever meet it.
    """

    op: Literal["at_least", "more_than"]
    p: int
    q: int

    def __post_init__(self) -> None:
        if self.op not in (AT_LEAST, MORE_THAN):
            raise TallyInputError("", f'threshold must be "at_least" or "more_than", not {self.op!r}')
        if not (_is_int(self.p) and _is_int(self.q)) or self.q <= 0 or self.p <= 0:
            raise TallyInputError("", f"fraction {self.p}/{self.q} must be p/q with positive integers")
        if self.p > self.q or (self.op == MORE_THAN and self.p == self.q):
            raise TallyInputError("", f"{self.op} {self.p}/{self.q} can never be met")
        g = gcd(self.p, self.q)
        if g != 1:
            object.__setattr__(self, "p", self.p // g)
            object.__setattr__(self, "q", self.q // g)

    def met(self, part: int, whole: int) -> bool:
        """Whether ``part`` reaches this share of ``whole``; never when ``whole`` is zero (a vote
        in which nobody holds any area or head decides nothing)."""
        if whole <= 0:
            return False
        if self.op == AT_LEAST:
            return part * self.q >= self.p * whole
        return part * self.q > self.p * whole

    def at_least_as_strict_as(self, other: Threshold) -> bool:
        """Whether every share meeting ``self`` also meets ``other``.

        Shares are compared as exact rationals: for ``at_least x`` the passing shares are
        ``[x, 1]``, for ``more_than x`` they are ``(x, 1]``.  So ``at_least x`` is within
        ``at_least y`` or ``more_than y`` iff ``x >= y`` or ``x > y`` respectively, and
        ``more_than x`` is within either iff ``x >= y``.  ``at_least 1/2`` is therefore looser
        than the statute's ``more_than 1/2`` (it lets exactly half pass), and ``more_than 2/3``
        is stricter than ``at_least 2/3``.
        """
        lhs, rhs = self.p * other.q, other.p * self.q  # x >= y  <=>  lhs >= rhs
        if self.op == AT_LEAST and other.op == MORE_THAN:
            return lhs > rhs
        return lhs >= rhs

    @property
    def fraction(self) -> str:
        return f"{self.p}/{self.q}"

    def to_document(self) -> dict[str, str]:
        return {self.op: self.fraction}

    def __str__(self) -> str:
        return f"{self.op.replace('_', ' ')} {self.fraction}"


#: Civil Code Art. 278 ¶2: participation by at least 2/3 of the area and of the heads.
STATUTE_QUORUM = Threshold(AT_LEAST, 2, 3)
_MAJORITY = Threshold(MORE_THAN, 1, 2)
_THREE_QUARTERS = Threshold(AT_LEAST, 3, 4)
#: Civil Code Art. 278 ¶2: approval among participants, by category (items 6–8 of ¶1 need 3/4).
STATUTE_APPROVAL: Mapping[int, Threshold] = MappingProxyType({c: (_THREE_QUARTERS if c in (6, 7, 8) else _MAJORITY) for c in CATEGORIES})


@dataclass(frozen=True, slots=True)
class CategoryRule:
    """An estate's own thresholds for one category; ``None`` means the statute's."""

    quorum: Threshold | None = None
    approval: Threshold | None = None


@dataclass(frozen=True)
class Rules:
    """The estate's rules of procedure as far as the tally needs them.

    ``thresholds`` maps a category (1–9) to stricter thresholds; a rule looser than the statute
    is refused (Civil Code Art. 278 sets a floor, not a default).  ``alternates`` is how many
    候补委员 an election designates after the seats (0 = none).
    """

    thresholds: Mapping[int, CategoryRule] = field(default_factory=dict)
    alternates: int = 0

    def __post_init__(self) -> None:
        if not _is_int(self.alternates) or self.alternates < 0:
            raise TallyInputError("alternates", "must be a non-negative integer")
        frozen: dict[int, CategoryRule] = {}
        for category, rule in self.thresholds.items():
            where = f"thresholds.{category}"
            if not _is_int(category) or category not in CATEGORIES:
                raise TallyInputError(where, "category must be 1 to 9")
            if rule.quorum is not None and not rule.quorum.at_least_as_strict_as(STATUTE_QUORUM):
                raise TallyInputError(
                    f"{where}.quorum",
                    f"looser than the statute ({STATUTE_QUORUM}); an estate's rules may only be stricter than Civil Code Art. 278 ¶2",
                )
            statute = STATUTE_APPROVAL[category]
            if rule.approval is not None and not rule.approval.at_least_as_strict_as(statute):
                raise TallyInputError(
                    f"{where}.approval",
                    f"looser than the statute ({statute}); an estate's rules may only be stricter than Civil Code Art. 278 ¶2",
                )
            frozen[category] = rule
        object.__setattr__(self, "thresholds", MappingProxyType(frozen))

    def quorum(self, category: int) -> tuple[Threshold, bool]:
        """The quorum threshold for ``category`` and whether it is the estate's own (stricter)."""
        rule = self.thresholds.get(category)
        if rule is None or rule.quorum is None or rule.quorum == STATUTE_QUORUM:
            return STATUTE_QUORUM, False
        return rule.quorum, True

    def approval(self, category: int) -> tuple[Threshold, bool]:
        """The approval threshold for ``category`` and whether it is the estate's own (stricter)."""
        statute = STATUTE_APPROVAL[category]
        rule = self.thresholds.get(category)
        if rule is None or rule.approval is None or rule.approval == statute:
            return statute, False
        return rule.approval, True


@dataclass(frozen=True, slots=True)
class Member:
    """A voting member: one owner of record with all of its units (SPC interpretation Art. 8–9).

    ``area`` is the exclusive area in hundredths of m² (8950 = 89.50 m²); ``heads`` is normally
    1 (the developer's unsold units together are one member with one head).
    """

    id: str
    area: int
    heads: int = 1

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not self.id:
            raise TallyInputError("id", "must be a non-empty string")
        if not _is_int(self.area) or self.area < 0:
            raise TallyInputError("area", f"must be a non-negative integer of hundredths of m², not {self.area!r}")
        if not _is_int(self.heads) or self.heads < 0:
            raise TallyInputError("heads", f"must be a non-negative integer, not {self.heads!r}")


@dataclass(frozen=True, slots=True)
class Item:
    """An agenda item.

    ``kind`` is ``resolution`` (agree / disagree / abstain), ``election`` (mark up to ``seats``
    candidates among ``options``), ``selection`` (mark at most one of ``options``, e.g. a
    property-service firm) or ``plan`` (a choice among plans, 方案选择: mark at most one of
    ``options``, decided exactly like a selection).  ``category`` (1–9) is the matter's number in
    Civil Code Art. 278 ¶1 and fixes the thresholds; a selection or a plan may have any category,
    an election only 3 or 9.  ``options`` are option ids: names, texts and attachments of
    candidates, bidders and plans are the notice's business, not the tally's.
    """

    id: str
    category: int
    kind: Kind = "resolution"
    options: tuple[str, ...] = ()
    seats: int | None = None
    title: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not self.id:
            raise TallyInputError("id", "must be a non-empty string")
        if not _is_int(self.category) or self.category not in CATEGORIES:
            raise TallyInputError("category", f"must be an integer from 1 to 9 (Civil Code Art. 278 ¶1), not {self.category!r}")
        if self.kind not in KINDS:
            raise TallyInputError("kind", f'must be "resolution", "election", "selection" or "plan", not {self.kind!r}')
        if self.title is not None and not isinstance(self.title, str):
            raise TallyInputError("title", "must be a string")
        object.__setattr__(self, "options", tuple(self.options))
        if self.kind == "resolution":
            if self.options:
                raise TallyInputError("options", "a resolution has no options (its choices are agree, disagree, abstain)")
            if self.seats is not None:
                raise TallyInputError("seats", "only an election has seats")
            return
        if not self.options:
            article = "a" if self.kind == "plan" else "an"
            raise TallyInputError("options", f"{article} {self.kind} needs at least one option")
        seen: set[str] = set()
        for i, option in enumerate(self.options):
            if not isinstance(option, str) or not option:
                raise TallyInputError(f"options[{i}]", "must be a non-empty string")
            if option in seen:
                raise TallyInputError(f"options[{i}]", f"duplicate option {option!r}")
            seen.add(option)
        if self.kind in ONE_OF_KINDS:
            if self.seats is not None:
                raise TallyInputError("seats", f"only an election has seats (a {self.kind} picks one option)")
            return
        if self.category not in ELECTION_CATEGORIES:
            raise TallyInputError(
                "category",
                f"an election must be category 3 (owners' committee) or 9 (other major matters), not {self.category}",
            )
        # More seats than candidates is allowed: the seats left over are reported unfilled
        # and a by-election (补选) follows, which is what happens when too few candidates pass
        # vetting.
        if not _is_int(self.seats) or self.seats < 1:
            got = "it is missing" if self.seats is None else f"not {self.seats!r}"
            raise TallyInputError("seats", f"an election needs a positive integer number of seats; {got}")


@dataclass(frozen=True, slots=True)
class Ballot:
    """One voting member's submitted ballot.

    ``choices`` maps item ids to marks: ``"agree"``, ``"disagree"`` or ``"abstain"`` for a
    resolution, a list (or tuple) of option ids for an election, selection or plan.  A missing item is
    an abstention; any other mark spoils that item (废票) — it takes part and counts for nothing.
    Every submitted ballot takes part in every item.
    """

    member: str
    choices: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.member, str) or not self.member:
            raise TallyInputError("member", "must be a non-empty string")
        if not isinstance(self.choices, Mapping):
            raise TallyInputError("choices", "must be an object mapping item ids to marks")
        object.__setattr__(self, "choices", MappingProxyType(dict(self.choices)))


# Built from values already checked one by one (tally.document.load_document, 100,000 members
# and their ballots): the instance is made and its slots filled directly, without running the
# checks of __post_init__ a second time (they cost more than the rest of loading together).
_new = object.__new__
_set_member_id, _set_member_area, _set_member_heads = (Member.__dict__[name].__set__ for name in ("id", "area", "heads"))
_set_ballot_member, _set_ballot_choices = (Ballot.__dict__[name].__set__ for name in ("member", "choices"))


def checked_member(member_id: str, area: int, heads: int) -> Member:
    """``Member(member_id, area, heads)`` for values the caller has checked as ``Member`` would:
    a non-empty ``str`` id and non-negative ``int`` area and heads (``bool`` is not an int)."""
    member: Member = _new(Member)
    _set_member_id(member, member_id)
    _set_member_area(member, area)
    _set_member_heads(member, heads)
    return member


def checked_ballot(member: str, choices: dict[str, Any]) -> Ballot:
    """``Ballot(member, choices)`` for a non-empty ``str`` member and a ``dict`` of choices the
    caller has checked; the choices are copied and frozen as ``Ballot`` does."""
    ballot: Ballot = _new(Ballot)
    _set_ballot_member(ballot, member)
    _set_ballot_choices(ballot, MappingProxyType(dict(choices)))
    return ballot


@dataclass(frozen=True)
class TallyInput:
    """Everything the tally needs: the frozen roll, the agenda, the counted ballots, the rules.

    Construction checks the cross-references: unique member, item and option ids, one ballot per
    member, ballots naming only known members and items.
    """

    members: tuple[Member, ...]
    items: tuple[Item, ...]
    ballots: tuple[Ballot, ...]
    rules: Rules = field(default_factory=Rules)
    _member_index: Mapping[str, Member] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        members = tuple(self.members)
        items = tuple(self.items)
        ballots = tuple(self.ballots)
        object.__setattr__(self, "members", members)
        object.__setattr__(self, "items", items)
        object.__setattr__(self, "ballots", ballots)
        if not isinstance(self.rules, Rules):
            raise TallyInputError("rules", "must be a Rules instance")
        index = self._members_index(members)
        item_ids: set[str] = set()
        for i, it in enumerate(items):
            if not isinstance(it, Item):
                raise TallyInputError(f"items[{i}]", "must be an Item")
            if it.id in item_ids:
                raise TallyInputError(f"items[{i}].id", f"duplicate item {it.id}")
            item_ids.add(it.id)
        # The usual case checked as a whole, set against set; anything amiss is looked for again
        # ballot by ballot, which names the first problem.
        named = [b.member for b in ballots] if set(map(type, ballots)) <= {Ballot} else None
        if (
            named is None
            or len(set(named)) != len(named)
            or not index.keys() >= set(named)
            or not item_ids.issuperset(chain.from_iterable(b.choices for b in ballots))
        ):
            self._check_ballots(ballots, index, item_ids)
        object.__setattr__(self, "_member_index", MappingProxyType(index))

    @staticmethod
    def _members_index(members: tuple[Member, ...]) -> dict[str, Member]:
        if set(map(type, members)) <= {Member}:
            index = {m.id: m for m in members}
            if len(index) == len(members):
                return index
        index = {}
        for i, m in enumerate(members):
            if not isinstance(m, Member):
                raise TallyInputError(f"members[{i}]", "must be a Member")
            if m.id in index:
                raise TallyInputError(f"members[{i}].id", f"duplicate member {m.id}")
            index[m.id] = m
        return index

    @staticmethod
    def _check_ballots(ballots: tuple[Ballot, ...], index: Mapping[str, Member], item_ids: set[str]) -> None:
        first_ballot: dict[str, int] = {}
        for i, b in enumerate(ballots):
            if not isinstance(b, Ballot):
                raise TallyInputError(f"ballots[{i}]", "must be a Ballot")
            if b.member not in index:
                raise TallyInputError(f"ballots[{i}].member", f"unknown member {b.member}")
            if b.member in first_ballot:
                raise TallyInputError(
                    f"ballots[{i}]", f"second ballot for member {b.member} (the first is ballots[{first_ballot[b.member]}])"
                )
            first_ballot[b.member] = i
            for item_id in b.choices:
                if item_id not in item_ids:
                    raise TallyInputError(f"ballots[{i}].choices.{item_id}", f"unknown item {item_id}")

    def member(self, member_id: str) -> Member:
        return self._member_index[member_id]
