"""Typed, immutable results: every number behind each decision, and why it was taken."""

from __future__ import annotations

from dataclasses import dataclass

from .model import Kind, Threshold


@dataclass(frozen=True, slots=True)
class Weight:
    """Area (hundredths of m²) and heads held by a set of members."""

    area: int = 0
    heads: int = 0


@dataclass(frozen=True, slots=True)
class Check:
    """One threshold applied to a part against a whole, on area and on heads separately.

    ``estate_rule`` is true when the threshold is the estate's own (stricter) rule rather than
    Civil Code Art. 278 ¶2.  ``met`` requires both ``area_met`` and ``heads_met``.
    """

    threshold: Threshold
    estate_rule: bool
    area_met: bool
    heads_met: bool

    @property
    def met(self) -> bool:
        return self.area_met and self.heads_met

    @classmethod
    def of(cls, threshold: Threshold, estate_rule: bool, part: Weight, whole: Weight) -> Check:
        return cls(
            threshold,
            estate_rule,
            threshold.met(part.area, whole.area),
            threshold.met(part.heads, whole.heads),
        )


@dataclass(frozen=True, slots=True)
class Reason:
    """The explanation a supervisor reads out, in Chinese and in English."""

    zh: str
    en: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ItemResult:
    """What every item's result has.

    ``participation`` is the area and heads of all submitted ballots (each takes part in every
    item); ``quorum`` tests it against the estate's ``totals``.  ``approval_rule`` is the
    threshold a yes-vote, a candidate or a bidder must reach among the participants.
    """

    item_id: str
    kind: Kind
    category: int
    title: str | None
    totals: Weight
    participation: Weight
    quorum: Check
    approval_rule: Threshold
    approval_estate_rule: bool
    abstain: Weight
    invalid: Weight
    passed: bool
    reason: Reason


@dataclass(frozen=True, slots=True, kw_only=True)
class ResolutionResult(ItemResult):
    """An agree / disagree / abstain item; ``approval`` tests ``agree`` against participation."""

    agree: Weight
    disagree: Weight
    approval: Check


@dataclass(frozen=True, slots=True)
class OptionTally:
    """Votes for one candidate or bidder, and its approval test among participants.

    ``reached`` is the approval test alone; for a candidate, ``eligible`` also needs the quorum.
    """

    option: str
    votes: Weight
    check: Check

    @property
    def reached(self) -> bool:
        return self.check.met


@dataclass(frozen=True, slots=True, kw_only=True)
class ElectionResult(ItemResult):
    """An election of ``seats`` members.

    ``elected`` and ``alternates`` are in rank order (heads, then area).  ``tie`` lists the
    candidates fully tied across the last seat(s) (a re-vote among them decides ``tied_seats``
    seats); ``unfilled`` = ``seats - len(elected)`` and so includes ``tied_seats``.
    ``alternates_pending`` alternate places, ahead of ``alternates``, go to the candidates who
    lose that re-vote; ``alternates_tie`` is a full tie across the last alternate place.
    """

    seats: int
    candidates: tuple[OptionTally, ...]
    eligible: tuple[str, ...]
    elected: tuple[str, ...]
    tie: tuple[str, ...] | None
    tied_seats: int
    unfilled: int
    alternates_wanted: int
    alternates: tuple[str, ...]
    alternates_pending: int
    alternates_tie: tuple[str, ...] | None


@dataclass(frozen=True, slots=True, kw_only=True)
class SelectionResult(ItemResult):
    """A choice of at most one option: a ``selection`` (typically the property-service firm) or,
    with ``kind == "plan"``, a choice among plans (方案选择).  Both kinds are decided alike.

    ``winner`` reached the approval rule on area and heads, with the quorum met.  Without a
    winner, ``closest`` is the option with the largest smaller-of-its-two shares of the
    participants (ties: more heads, then more area); ``closest_tie`` lists options still equal
    after that, in which case ``closest`` is ``None``.
    """

    options: tuple[OptionTally, ...]
    winner: str | None
    closest: str | None
    closest_tie: tuple[str, ...] | None


@dataclass(frozen=True, slots=True)
class TallyResult:
    """The whole tally: estate totals, number of ballots and one result per item, in agenda order."""

    totals: Weight
    ballots: int
    items: tuple[ItemResult, ...]
