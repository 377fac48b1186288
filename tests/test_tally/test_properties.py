"""Properties of the tally that must hold for every estate, checked with Hypothesis."""

from __future__ import annotations

import dataclasses
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from tally import Ballot, CategoryRule, Item, Member, Rules, TallyInput, Threshold, compute, result_to_document
from tally.results import ElectionResult, ResolutionResult, SelectionResult

# Local settings, not a global profile: other packages' tests keep their own.
PROPERTY = settings(max_examples=200, deadline=None)

OPTIONS = ("a", "b", "c", "d")
ITEMS = (
    Item("r", 2, "resolution"),
    Item("r6", 6, "resolution"),
    Item("e", 3, "election", OPTIONS, seats=2),
    Item("s", 4, "selection", OPTIONS[:3]),
)
RES_MARK = st.sampled_from(["agree", "disagree", "abstain", "spoil"])
LIST_MARK = st.lists(st.sampled_from(OPTIONS + ("zz",)), max_size=3)


@st.composite
def estates(draw):
    n = draw(st.integers(0, 12))
    ms = tuple(Member(f"m{i}", draw(st.integers(0, 100_000)), draw(st.integers(0, 2))) for i in range(n))
    voters = draw(st.lists(st.sampled_from([m.id for m in ms]), unique=True)) if ms else []
    ballots = []
    for v in voters:
        choices = {}
        for it in ITEMS:
            if draw(st.integers(0, 5)) == 0:
                continue  # left unmarked: an abstention
            choices[it.id] = draw(RES_MARK if it.kind == "resolution" else LIST_MARK)
        ballots.append(Ballot(v, choices))
    rules = draw(st.sampled_from([Rules(), Rules(alternates=2)]))
    return TallyInput(ms, ITEMS, tuple(ballots), rules)


def outcome(r):
    """The decisions of an item, without any area figure."""
    base = (r.passed, r.quorum.area_met, r.quorum.heads_met)
    if isinstance(r, ResolutionResult):
        return base + (r.approval.area_met, r.approval.heads_met)
    if isinstance(r, ElectionResult):
        return base + (r.elected, r.tie, r.unfilled, r.alternates, r.alternates_pending, r.alternates_tie)
    return base + (r.winner, r.closest, r.closest_tie)


@PROPERTY
@given(estates(), st.randoms())
def test_result_does_not_depend_on_ballot_order(inp, rnd):
    shuffled = list(inp.ballots)
    rnd.shuffle(shuffled)
    other = TallyInput(inp.members, inp.items, tuple(shuffled), inp.rules)
    assert result_to_document(compute(inp)) == result_to_document(compute(other))


@PROPERTY
@given(estates(), st.integers(2, 1000))
def test_scaling_every_area_changes_no_decision(inp, k):
    scaled = TallyInput(tuple(Member(m.id, m.area * k, m.heads) for m in inp.members), inp.items, inp.ballots, inp.rules)
    a, b = compute(inp), compute(scaled)
    assert [outcome(r) for r in a.items] == [outcome(r) for r in b.items]
    da, db = result_to_document(a), result_to_document(b)
    for iid in da["items"]:
        assert da["items"][iid]["participation"]["of_totals"] == db["items"][iid]["participation"]["of_totals"]


@PROPERTY
@given(estates(), st.data())
def test_adding_an_agreeing_ballot_never_turns_a_pass_into_a_fail(inp, data):
    voted = {b.member for b in inp.ballots}
    absent = [m.id for m in inp.members if m.id not in voted]
    if not absent:
        return
    who = data.draw(st.sampled_from(absent))
    before = {r.item_id: r for r in compute(inp).items}
    winner = before["s"].winner
    marks = {"r": "agree", "r6": "agree", "s": [winner] if winner else []}
    after = {r.item_id: r for r in compute(TallyInput(inp.members, inp.items, inp.ballots + (Ballot(who, marks),), inp.rules)).items}
    for iid in ("r", "r6", "s"):
        if before[iid].passed:
            assert after[iid].passed
    if winner:
        assert after["s"].winner == winner


@PROPERTY
@given(estates())
def test_participation_never_exceeds_totals_and_counts_add_up(inp):
    res = compute(inp)
    for r in res.items:
        assert r.participation.area <= r.totals.area
        assert r.participation.heads <= r.totals.heads
        if isinstance(r, ResolutionResult):
            parts = (r.agree, r.disagree, r.abstain, r.invalid)
        else:
            options = r.candidates if isinstance(r, ElectionResult) else r.options
            assert all(o.votes.heads <= r.participation.heads for o in options)
            voted_heads = r.participation.heads - r.abstain.heads - r.invalid.heads
            assert voted_heads >= 0
            parts = (r.abstain, r.invalid)
        assert sum(p.area for p in parts) <= r.participation.area
        if isinstance(r, ResolutionResult):
            assert sum(p.area for p in parts) == r.participation.area
            assert sum(p.heads for p in parts) == r.participation.heads


def _oracle_pass(r, inp, item_id):
    """Art. 278 ¶2 for a resolution, spelt out with Fractions instead of cross-multiplication."""
    ta = sum(m.area for m in inp.members)
    th = sum(m.heads for m in inp.members)
    voters = [inp.member(b.member) for b in inp.ballots]
    agree = [inp.member(b.member) for b in inp.ballots if b.choices.get(item_id) == "agree"]
    pa, ph = sum(m.area for m in voters), sum(m.heads for m in voters)
    aa, ah = sum(m.area for m in agree), sum(m.heads for m in agree)
    if not (ta and th and pa and ph):
        return False
    quorum = Fraction(pa, ta) >= Fraction(2, 3) and Fraction(ph, th) >= Fraction(2, 3)
    if item_id == "r6":
        return quorum and Fraction(aa, pa) >= Fraction(3, 4) and Fraction(ah, ph) >= Fraction(3, 4)
    return quorum and Fraction(aa, pa) > Fraction(1, 2) and Fraction(ah, ph) > Fraction(1, 2)


@PROPERTY
@given(estates())
def test_resolutions_agree_with_a_fraction_oracle(inp):
    for r in compute(inp).items:
        if isinstance(r, ResolutionResult):
            assert r.passed == _oracle_pass(r, inp, r.item_id)


@PROPERTY
@given(estates())
def test_elections_never_seat_more_than_seats_nor_an_ineligible_candidate(inp):
    for r in compute(inp).items:
        if isinstance(r, ElectionResult):
            assert len(r.elected) + r.unfilled == r.seats
            reached = {c.option for c in r.candidates if c.reached}
            assert set(r.elected) <= reached
            assert set(r.alternates) <= reached
            assert not set(r.elected) & set(r.alternates)
            assert len(r.alternates) + r.alternates_pending <= r.alternates_wanted
            assert r.passed == (r.quorum.met and not r.unfilled)
        if isinstance(r, SelectionResult):
            assert (r.winner is None) == (not r.passed)


@PROPERTY
@given(estates())
def test_a_selections_options_abstentions_and_spoiled_items_add_up_to_participation(inp):
    """Marks on a selection are exclusive: every participant is in exactly one of the options,
    the abstentions or the spoiled items, with all of its area and heads."""
    for r in compute(inp).items:
        if isinstance(r, SelectionResult):
            parts = [o.votes for o in r.options] + [r.abstain, r.invalid]
            assert sum(p.area for p in parts) == r.participation.area
            assert sum(p.heads for p in parts) == r.participation.heads


def _expected_abstain_and_invalid(inp, item):
    """The marks of docs/tally-format.md (`ballots`) by hand: no mark or an empty list abstains; anything that is not a list of distinct
    known options, at most ``seats`` of them (one for a selection), is spoiled."""
    limit = item.seats if item.kind == "election" else 1
    abstain, invalid = [], []
    for b in inp.ballots:
        m = inp.member(b.member)
        mark = b.choices.get(item.id)
        if mark is None or mark == []:
            abstain.append(m)
        elif len(mark) > limit or len(set(mark)) < len(mark) or not set(mark) <= set(item.options):
            invalid.append(m)
    weigh = lambda ms: (sum(m.area for m in ms), sum(m.heads for m in ms))  # noqa: E731
    return weigh(abstain), weigh(invalid)


@PROPERTY
@given(estates())
def test_abstentions_and_spoiled_items_of_elections_and_selections_carry_their_members_weight(inp):
    items = {it.id: it for it in inp.items}
    for r in compute(inp).items:
        if isinstance(r, (ElectionResult, SelectionResult)):
            abstain, invalid = _expected_abstain_and_invalid(inp, items[r.item_id])
            assert (r.abstain.area, r.abstain.heads) == abstain
            assert (r.invalid.area, r.invalid.heads) == invalid


# A mark as paper ballots give it: a list of (possibly unknown or repeated) options, or junk.
ANY_MARK = st.one_of(LIST_MARK, st.sampled_from(["a", "agree", None, 1]), st.lists(st.sampled_from(OPTIONS), max_size=2).map(tuple))


@st.composite
def plan_and_selection(draw):
    """The same estate, options and marks twice: once as a plan (方案选择), once as a selection."""
    category = draw(st.integers(1, 9))
    options = OPTIONS[: draw(st.integers(1, 4))]
    n = draw(st.integers(0, 12))
    ms = tuple(Member(f"m{i}", draw(st.integers(0, 100_000)), draw(st.integers(0, 2))) for i in range(n))
    voters = draw(st.lists(st.sampled_from([m.id for m in ms]), unique=True)) if ms else []
    ballots = []
    for v in voters:
        marked = draw(st.integers(0, 5)) != 0  # else left unmarked: an abstention
        ballots.append(Ballot(v, {"x": draw(ANY_MARK)} if marked else {}))
    stricter = Threshold("at_least", 4, 5) if category in (6, 7, 8) else Threshold("at_least", 2, 3)
    rules = draw(st.sampled_from([Rules(), Rules({category: CategoryRule(Threshold("at_least", 3, 4), stricter)})]))
    as_plan = TallyInput(ms, (Item("x", category, "plan", options),), tuple(ballots), rules)
    as_selection = TallyInput(ms, (Item("x", category, "selection", options),), tuple(ballots), rules)
    return as_plan, as_selection


@PROPERTY
@given(plan_and_selection())
def test_a_plan_is_decided_exactly_as_a_selection_with_the_same_options_and_marks(pair):
    as_plan, as_selection = pair
    (p,), (s,) = compute(as_plan).items, compute(as_selection).items
    assert isinstance(p, SelectionResult)
    assert (p.kind, s.kind) == ("plan", "selection")
    # Every number and decision is the same; only the kind and the words of the reason differ.
    assert dataclasses.replace(p, kind="selection", reason=s.reason) == s
    assert outcome(p) == outcome(s)
    plan_doc, selection_doc = (result_to_document(compute(x))["items"]["x"] for x in (as_plan, as_selection))
    for d in (plan_doc, selection_doc):
        del d["kind"], d["reason"]
    assert plan_doc == selection_doc
    assert "方案" in p.reason.zh
    assert "plan" in p.reason.en
