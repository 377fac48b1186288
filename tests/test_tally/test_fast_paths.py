"""The tally's fast paths decide exactly as the plain rules do.

Loading a document builds the usual member and ballot without checking it twice, and the engine
counts each item in one pass over columns; anything unusual (an int subclass, a str subclass that
equals a mark, a repeated option, junk) takes the one-by-one path.  These tests hold both to a
reference written out plainly here, on marks Hypothesis draws from everything a caller can pass.
"""

from __future__ import annotations

import enum
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tally import Ballot, Item, Member, Rules, TallyInput, TallyInputError, compute, load_document
from tally.model import checked_ballot, checked_member
from tally.results import ElectionResult, ResolutionResult, SelectionResult

PROPERTY = settings(max_examples=300, deadline=None)
OPTIONS = ("a", "b", "c")
ITEMS = (
    Item("r", 2, "resolution"),
    Item("e", 3, "election", OPTIONS, seats=2),
    Item("s", 4, "selection", OPTIONS),
    Item("p", 5, "plan", OPTIONS[:2]),
)


class Sneaky(str):
    """Equal to a mark or an option, hashes like it, and is still not one."""


class Heads(enum.IntEnum):
    ONE = 1


ELEMENT = st.one_of(
    st.sampled_from(OPTIONS + ("zz", "")),
    st.sampled_from(OPTIONS).map(Sneaky),
    st.sampled_from([None, 1, 1.5, True]),
    st.just(["a"]),
)
MARK = st.one_of(
    st.sampled_from(["agree", "disagree", "abstain", "?", ""]),
    st.sampled_from(["agree", "disagree", "abstain"]).map(Sneaky),
    st.lists(st.sampled_from(OPTIONS), max_size=3),
    st.lists(st.sampled_from(OPTIONS), max_size=3).map(tuple),
    st.lists(ELEMENT, max_size=3),
    st.sampled_from([None, 0, {}, {"a": 1}]),
)


@st.composite
def inputs(draw):
    n = draw(st.integers(1, 8))
    members = tuple(Member(f"m{i}", draw(st.integers(0, 10_000)), draw(st.integers(0, 3))) for i in range(n))
    voters = draw(st.lists(st.sampled_from([m.id for m in members]), unique=True))
    ballots = []
    for v in voters:
        choices = {it.id: draw(MARK) for it in ITEMS if draw(st.booleans())}
        ballots.append(Ballot(v, choices))
    return TallyInput(members, ITEMS, tuple(ballots), Rules())


_MISSING = object()


def reference_counts(inp: TallyInput, item: Item) -> dict[str, tuple[int, int]]:
    """The rules of docs/tally-format.md, one ballot at a time, as the engine applied them before
    its counting was made faster."""
    out: dict[str, list[int]] = {}

    def add(key: str, m: Member) -> None:
        out.setdefault(key, [0, 0])
        out[key][0] += m.area
        out[key][1] += m.heads

    limit = item.seats if item.kind == "election" else 1
    for b in inp.ballots:
        m = inp.member(b.member)
        mark = b.choices.get(item.id, _MISSING)
        if item.kind == "resolution":
            mark = "abstain" if mark is _MISSING else mark
            add(mark if type(mark) is str and mark in ("agree", "disagree", "abstain") else "invalid", m)
        elif mark is _MISSING:
            add("abstain", m)
        elif (
            type(mark) not in (list, tuple)
            or len(mark) > limit
            or not all(type(x) is str and x in item.options for x in mark)
            or len(set(mark)) != len(mark)
        ):
            add("invalid", m)
        elif not mark:
            add("abstain", m)
        else:
            for option in mark:
                add(option, m)
    return {k: (v[0], v[1]) for k, v in out.items()}


def engine_counts(result) -> dict[str, tuple[int, int]]:
    if isinstance(result, ResolutionResult):
        weights = {"agree": result.agree, "disagree": result.disagree, "abstain": result.abstain, "invalid": result.invalid}
    else:
        assert isinstance(result, (ElectionResult, SelectionResult))
        options = result.candidates if isinstance(result, ElectionResult) else result.options
        weights = {"abstain": result.abstain, "invalid": result.invalid, **{o.option: o.votes for o in options}}
    return {k: (w.area, w.heads) for k, w in weights.items() if w.area or w.heads}


@PROPERTY
@given(inputs())
def test_every_item_is_counted_as_the_rules_say_one_ballot_at_a_time(inp):
    results = {r.item_id: r for r in compute(inp).items}
    for item in ITEMS:
        expected = {k: v for k, v in reference_counts(inp, item).items() if v != (0, 0)}
        assert engine_counts(results[item.id]) == expected, item.id


def test_a_str_subclass_equal_to_a_mark_spoils_the_item():
    inp = TallyInput(
        (Member("m1", 100), Member("m2", 200)),
        ITEMS,
        (Ballot("m1", {"r": Sneaky("agree"), "e": [Sneaky("a")]}), Ballot("m2", {"r": "agree", "e": ["a"]})),
    )
    results = {r.item_id: r for r in compute(inp).items}
    assert (results["r"].agree.area, results["r"].invalid.area) == (200, 100)
    assert (results["e"].candidates[0].votes.area, results["e"].invalid.area) == (200, 100)


def test_checked_members_and_ballots_equal_those_built_with_their_checks():
    assert checked_member("m1", 8950, 1) == Member("m1", 8950, 1)
    assert hash(checked_member("m1", 8950, 2)) == hash(Member("m1", 8950, 2))
    assert repr(checked_member("m1", 0, 0)) == repr(Member("m1", 0, 0))
    choices = {"r": "agree"}
    ballot = checked_ballot("m1", choices)
    choices["r"] = "disagree"  # the ballot keeps its own frozen copy
    assert ballot == Ballot("m1", {"r": "agree"})
    with pytest.raises(TypeError):
        ballot.choices["r"] = "abstain"


def test_a_document_loads_the_same_whichever_path_each_entry_takes():
    doc = {
        "members": [
            {"id": "m1", "area": "89.50"},
            {"id": "m2", "area": "89.50", "heads": 0, "unit": "1-101"},
            {"id": "m3", "area": "7", "heads": Heads.ONE},  # an int subclass: checked one by one
            {"id": "m4", "area": "0.5", "heads": 2},
        ],
        "items": [{"id": "r", "category": 2}],
        "ballots": [{"member": "m1", "choices": {"r": "agree"}}, {"member": "m3", "choices": {}, "note": "paper"}],
    }
    expected = TallyInput(
        (Member("m1", 8950), Member("m2", 8950, 0), Member("m3", 700, Heads.ONE), Member("m4", 50, 2)),
        (Item("r", 2),),
        (Ballot("m1", {"r": "agree"}), Ballot("m3", {})),
    )
    assert load_document(doc) == expected


@pytest.mark.parametrize(
    ("ballots", "location"),
    [
        ([{"member": "m1", "choices": {"x": "agree"}}, {"member": "m1", "choices": {}}], "ballots[0].choices.x"),
        ([{"member": "m1", "choices": {}}, {"member": "m9", "choices": {}}, {"member": "m1", "choices": {}}], "ballots[1].member"),
        ([{"member": "m1", "choices": {}}, {"member": "m1", "choices": {"x": "agree"}}], "ballots[1]"),
        ([{"member": "m2", "choices": {"r": "agree"}}, {"member": "m1", "choices": {"x": 1}}], "ballots[1].choices.x"),
    ],
)
def test_of_several_problems_among_the_ballots_the_first_is_named(ballots, location):
    doc = {
        "members": [{"id": "m1", "area": "1.00"}, {"id": "m2", "area": "1.00"}],
        "items": [{"id": "r", "category": 2}],
        "ballots": ballots,
    }
    with pytest.raises(TallyInputError) as caught:
        load_document(doc)
    assert caught.value.path == location


def test_a_repeated_member_is_named_where_it_repeats():
    doc = {
        "members": [{"id": "m1", "area": "1.00"}, {"id": "m2", "area": "1.00"}, {"id": "m1", "area": "2.00"}],
        "items": [],
        "ballots": [],
    }
    with pytest.raises(TallyInputError) as caught:
        load_document(doc)
    assert caught.value.path == "members[2].id"


@pytest.mark.skipif(not hasattr(os, "fork"), reason="shares the items with a forked process where fork exists")
def test_a_large_tally_shared_with_a_forked_process_decides_the_same(monkeypatch):
    from tally import engine, result_to_document

    members = tuple(Member(f"m{i}", 100 + i, 1) for i in range(60))
    ballots = tuple(
        Ballot(m.id, {"r": ["agree", "disagree", "abstain"][i % 3], "e": [OPTIONS[i % 3]], "s": [OPTIONS[i % 2]], "p": []})
        for i, m in enumerate(members)
    )
    inp = TallyInput(members, ITEMS, ballots)
    forks = []
    real_fork = os.fork

    def fork():
        pid = real_fork()
        if pid:
            forks.append(pid)
        return pid

    monkeypatch.setattr(engine, "FORK_AT", 1)
    monkeypatch.setattr(os, "fork", fork)
    shared = engine.compute(inp, processes=2)
    assert forks
    assert result_to_document(shared) == result_to_document(compute(inp))
    assert shared == compute(inp)


def test_if_the_forked_process_fails_this_one_decides_its_share(monkeypatch):
    from tally import engine

    members = tuple(Member(f"m{i}", 100, 1) for i in range(10))
    inp = TallyInput(members, ITEMS, tuple(Ballot(m.id, {"r": "agree"}) for m in members))
    monkeypatch.setattr(engine, "FORK_AT", 1)
    monkeypatch.setattr(engine.pickle, "loads", lambda data: [])  # what a child that died sends
    assert engine.compute(inp, processes=2) == compute(inp)
