"""Selecting one option (typically the property-service firm, category 4)."""
from __future__ import annotations

import pytest

from tally import Ballot, Item, Member, Rules, TallyInput, compute

from .helpers import doc, item, members, selection, votes

F = ["f1", "f2", "f3"]


def select(marks, areas=None, rules=None, category=4, options=F):
    areas = areas or ["100.00"] * len(marks)
    return item(doc(members(*areas), [selection(options, category)], votes(marks, "s"), rules), "s")


def test_option_with_a_double_majority_wins():
    r = select([["f2"], ["f2"], ["f2"], ["f1"], []])
    assert r["winner"] == "f2" and r["passed"] is True and r["closest"] is None
    assert r["options"]["f2"]["reached"] is True


def test_exactly_half_does_not_win():
    r = select([["f2"], ["f2"], ["f1"], ["f1"]])
    assert r["winner"] is None and r["passed"] is False


def test_area_majority_without_heads_majority_does_not_win():
    r = select([["f1"], ["f2"], ["f2"], ["f3"]], areas=["500.00", "100.00", "100.00", "100.00"])
    assert r["options"]["f1"]["of_participants"]["area"] == "62.50%"
    assert r["winner"] is None


def test_two_marks_spoil_the_selection():
    r = select([["f1", "f2"], ["f1"], ["f1"], ["f2"]])
    assert r["counts"]["invalid"]["heads"] == 1
    assert r["options"]["f1"]["heads"] == 2
    assert r["winner"] is None  # 2 of 4 participants


@pytest.mark.parametrize("bad", [["zz"], "f1", ["f1", "f1"], [None]])
def test_unknown_or_malformed_marks_spoil(bad):
    r = item(doc(members("100.00", "100.00"), [selection(F)], {"m0": {"s": ["f1"]}, "m1": {"s": bad}}), "s")
    assert r["counts"]["invalid"]["heads"] == 1
    assert r["options"]["f1"]["heads"] == 1


def test_no_winner_names_the_closest_by_the_smaller_of_its_two_shares():
    # f1: 40% heads, 70% area (min 40%); f2: 45%... heads 3/7, area 280/1000: min 28%.
    areas = ["350.00", "350.00", "100.00", "100.00", "50.00", "25.00", "25.00"]
    r = select([["f1"], ["f1"], ["f2"], ["f2"], ["f2"], ["f3"], ["f3"]], areas=areas)
    # f1 2/7 heads (28.5%), 70% area → min 28.5%; f2 3/7 heads (42.8%), 25% area → min 25%.
    assert r["winner"] is None
    assert r["closest"] == "f1"
    assert "f1" in r["reason"]["en"].split("Closest")[1]


def test_equal_smaller_share_goes_to_more_heads():
    # f1: 2/6 heads, 300/600 area → 1/3; f2: 3/6 heads, 200/600 area → 1/3; f2 has more heads.
    areas = ["150.00", "150.00", "66.67", "66.67", "66.66", "100.00"]
    r = select([["f1"], ["f1"], ["f2"], ["f2"], ["f2"], ["f3"]], areas=areas)
    assert r["closest"] == "f2"


def test_equal_smaller_share_and_heads_goes_to_more_area():
    # f1: 2/6 heads, 250/600 area; f2: 2/6 heads, 300/600 area: both 1/3, same heads.
    areas = ["125.00", "125.00", "150.00", "150.00", "25.00", "25.00"]
    r = select([["f1"], ["f1"], ["f2"], ["f2"], ["f3"], []], areas=areas)
    assert r["closest"] == "f2"
    assert r["closest_tie"] is None


def test_full_tie_for_closest_names_nobody():
    r = select([["f1"], ["f2"], ["f3"], []])
    assert r["closest"] is None
    assert r["closest_tie"] == ["f1", "f2", "f3"]
    assert "equally close" in r["reason"]["en"]


def test_closest_needs_at_least_one_vote():
    r = select([[], [], []])
    assert r["closest"] is None and r["closest_tie"] is None


def test_failed_firm_selection_cites_civil_code_948():
    r = select([["f1"], ["f2"], ["f3"]])
    assert "Art. 948" in r["reason"]["en"]
    assert "第九百四十八条" in r["reason"]["zh"]


def test_selection_outside_category_4_does_not_cite_948():
    r = select([["f1"], ["f2"], ["f3"]], category=9)
    assert "948" not in r["reason"]["en"]


def test_quorum_failure_means_no_winner_even_with_a_majority():
    r = select([["f1"], ["f1"], None, None])
    assert r["options"]["f1"]["reached"] is True
    assert r["participation"]["quorum_met"] is False
    assert r["winner"] is None and r["passed"] is False
    assert r["closest"] == "f1"


def test_stricter_rule_for_selection():
    rules = {"thresholds": {"4": {"approval": {"at_least": "2/3"}}}}
    marks = [["f1"]] * 3 + [["f2"]] * 2
    assert select(marks)["winner"] == "f1"
    r = select(marks, rules=rules)
    assert r["winner"] is None and r["closest"] == "f1"


def test_single_bidder_must_still_reach_the_majority():
    r = select([["f1"], ["f1"], [], []], options=["f1"])
    assert r["winner"] is None
    r = select([["f1"], ["f1"], ["f1"], []], options=["f1"])
    assert r["winner"] == "f1"


def test_typed_input_built_directly_gives_the_same_result():
    inp = TallyInput(
        members=(Member("m0", 10000), Member("m1", 10000), Member("m2", 10000)),
        items=(Item("s", 4, "selection", ("f1", "f2")),),
        ballots=(Ballot("m0", {"s": ("f1",)}), Ballot("m1", {"s": ["f1"]}), Ballot("m2", {"s": ["f2"]})),
        rules=Rules(),
    )
    (r,) = compute(inp).items
    assert r.winner == "f1"
    assert r.options[0].votes.heads == 2
