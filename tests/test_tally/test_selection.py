"""Selecting one option (typically the property-service firm, category 4)."""

from __future__ import annotations

import pytest

from tally import Ballot, CategoryRule, Item, Member, Rules, TallyInput, Threshold, compute

from .helpers import doc, item, members, selection, votes

F = ["f1", "f2", "f3"]


def select(marks, areas=None, rules=None, category=4, options=F):
    areas = areas or ["100.00"] * len(marks)
    return item(doc(members(*areas), [selection(options, category)], votes(marks, "s"), rules), "s")


def test_option_with_a_double_majority_wins():
    r = select([["f2"], ["f2"], ["f2"], ["f1"], []])
    assert r["winner"] == "f2"
    assert r["passed"] is True
    assert r["closest"] is None
    assert r["options"]["f2"]["reached"] is True


def test_exactly_half_does_not_win():
    r = select([["f2"], ["f2"], ["f1"], ["f1"]])
    assert r["winner"] is None
    assert r["passed"] is False


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
    assert r["closest"] is None
    assert r["closest_tie"] is None


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
    assert r["winner"] is None
    assert r["passed"] is False
    assert r["closest"] == "f1"


def test_stricter_rule_for_selection():
    rules = {"thresholds": {"4": {"approval": {"at_least": "2/3"}}}}
    marks = [["f1"]] * 3 + [["f2"]] * 2
    assert select(marks)["winner"] == "f1"
    r = select(marks, rules=rules)
    assert r["winner"] is None
    assert r["closest"] == "f1"


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


# --- abstentions and spoiled items keep their area and heads (docs/tally-format.md: they take part) ---


def test_abstentions_and_spoiled_items_add_up_their_area_and_heads():
    # m1, m3 leave the item unmarked, m2, m6 mark nothing, m4 marks two bidders, m5 an unknown one.
    #   abstain = 30.00 + 10.10 + 20.25 + 4.00 = 64.35 m², 2 + 1 + 1 + 1 = 5 heads
    #   invalid = 7.25 + 1.50 = 8.75 m², 3 + 1 = 4 heads;  participation 123.10 m², 10 heads
    ms = members(("50.00", 1), ("30.00", 2), ("20.25", 1), ("10.10", 1), ("7.25", 3), ("1.50", 1), ("4.00", 1))
    ballots = {"m0": {"s": ["f1"]}, "m1": {}, "m2": {"s": []}, "m3": {}, "m4": {"s": ["f1", "f2"]}, "m5": {"s": ["zz"]}, "m6": {"s": []}}
    r = item(doc(ms, [selection(F)], ballots), "s")
    assert r["participation"]["area"] == "123.10"
    assert r["participation"]["heads"] == 10
    assert (r["counts"]["abstain"]["area"], r["counts"]["abstain"]["heads"]) == ("64.35", 5)
    assert (r["counts"]["invalid"]["area"], r["counts"]["invalid"]["heads"]) == ("8.75", 4)
    assert r["counts"]["abstain"]["of_totals"] == {"area": "52.27%", "heads": "50.00%"}
    assert (r["options"]["f1"]["area"], r["options"]["f1"]["heads"]) == ("50.00", 1)
    assert "Abstained: 64.35 m² and 5 owners." in r["reason"]["en"]
    assert "Spoiled (more than one mark, or an unknown option): 8.75 m² and 4 owners." in r["reason"]["en"]
    assert "弃权：面积 64.35 平方米、5 人。" in r["reason"]["zh"]
    assert "废票（选择多于一项或选了非候选项）：面积 8.75 平方米、4 人。" in r["reason"]["zh"]


@pytest.mark.parametrize(
    ("mark", "bucket"),
    [(None, "abstain"), ([], "abstain"), (["f1", "f2"], "invalid")],
    ids=["unmarked item abstains", "empty list abstains", "two marks are invalid"],
)
def test_a_single_abstention_or_spoiled_mark_carries_its_own_area_and_heads(mark, bucket):
    ballots = {"m0": {"s": ["f1"]}, "m1": {} if mark is None else {"s": mark}}
    r = item(doc(members(("60.00", 1), ("12.34", 3)), [selection(F)], ballots), "s")
    other = "invalid" if bucket == "abstain" else "abstain"
    assert (r["counts"][bucket]["area"], r["counts"][bucket]["heads"]) == ("12.34", 3)
    assert (r["counts"][other]["area"], r["counts"][other]["heads"]) == ("0.00", 0)


# --- "closest" when participants hold no area, no heads, or a single head -----------------


def test_no_closest_when_the_participants_hold_no_area():
    # No share of a zero area exists, so "the smaller of the two shares" is undefined for all.
    r = select([["f1"], ["f1"], ["f2"]], areas=["0", "0", "0"])
    assert r["winner"] is None
    assert (r["closest"], r["closest_tie"]) == (None, None)
    assert "Closest" not in r["reason"]["en"]
    assert "equally close" not in r["reason"]["en"]


def test_no_closest_when_the_participants_hold_no_heads():
    ms = [{"id": "m0", "area": "80.00", "heads": 0}, {"id": "m1", "area": "20.00", "heads": 0}]
    r = item(doc(ms, [selection(F)], votes([["f1"], ["f2"]], "s")), "s")
    assert r["winner"] is None
    assert (r["closest"], r["closest_tie"]) == (None, None)


def test_a_single_participant_with_one_head_makes_its_bidder_closest():
    # One of three owners votes (no quorum): f1 holds 1/1 head and 0.01/0.01 m² of the participants.
    r = select([["f1"], None, None], areas=["0.01", "100.00", "100.00"])
    assert r["participation"]["heads"] == 1
    assert r["participation"]["area"] == "0.01"
    assert r["options"]["f1"]["reached"] is True
    assert r["winner"] is None
    assert (r["closest"], r["closest_tie"]) == ("f1", None)
    assert (
        "Closest (largest of the smaller of its two shares of the participants): f1, with 100.00% of the "
        "participating heads and 100.00% of the participating area." in r["reason"]["en"]
    )


def test_a_bidder_with_heads_but_no_area_can_still_be_closest():
    # f1's voter holds no area: f1 has 1 head (1/2) and 0 m² (0%); it has votes, so it is closest.
    r = select([["f1"], []], areas=["0", "100.00"])
    assert (r["options"]["f1"]["area"], r["options"]["f1"]["heads"]) == ("0.00", 1)
    assert (r["closest"], r["closest_tie"]) == ("f1", None)


def test_a_bidder_with_area_but_no_heads_can_still_be_closest():
    # The voter for f2 is a member with area and zero heads: 100 m² (1/2), 0 heads (0%).
    ms = [{"id": "m0", "area": "100.00", "heads": 0}, {"id": "m1", "area": "100.00", "heads": 1}]
    r = item(doc(ms, [selection(F)], votes([["f2"], []], "s")), "s")
    assert (r["options"]["f2"]["area"], r["options"]["f2"]["heads"]) == ("100.00", 0)
    assert (r["closest"], r["closest_tie"]) == ("f2", None)


def test_closest_compares_the_smaller_share_not_heads_first():
    # f1: 2/5 heads, 60/500 area → min 12%; f2: 1/5 heads, 300/500 area → min 20%.  f2 is closer
    # although f1 has more heads (heads only break an equal smaller share).
    areas = ["30.00", "30.00", "300.00", "70.00", "70.00"]
    r = select([["f1"], ["f1"], ["f2"], [], []], areas=areas)
    assert (r["closest"], r["closest_tie"]) == ("f2", None)


def test_each_options_check_records_whether_the_estates_rule_applied():
    ms = (Member("m0", 10000), Member("m1", 10000), Member("m2", 10000))
    items = (Item("s", 4, "selection", ("f1", "f2")), Item("e", 3, "election", ("c1", "c2"), seats=1))
    ballots = (Ballot("m0", {"s": ["f1"], "e": ["c1"]}), Ballot("m1", {"s": ["f1"], "e": ["c1"]}), Ballot("m2", {}))
    stricter = Rules({4: CategoryRule(approval=Threshold("at_least", 2, 3)), 3: CategoryRule(approval=Threshold("at_least", 3, 4))})
    for rules, own in ((Rules(), False), (stricter, True)):
        s, e = compute(TallyInput(ms, items, ballots, rules)).items
        assert [t.check.estate_rule for t in s.options + e.candidates] == [own] * 4
        assert s.options[0].check.threshold == (Threshold("at_least", 2, 3) if own else Threshold("more_than", 1, 2))
        assert e.candidates[0].check.threshold == (Threshold("at_least", 3, 4) if own else Threshold("more_than", 1, 2))
    # f1 and c1 have 2/3 of the heads and area: a majority, and exactly the estate's 2/3 for f1,
    # but short of the estate's 3/4 for c1.
    s, e = compute(TallyInput(ms, items, ballots, stricter)).items
    assert s.winner == "f1"
    assert e.elected == ()
