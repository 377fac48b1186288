"""Elections (category 3): per-candidate double majority, ranking, ties, unfilled seats, alternates."""
from __future__ import annotations

import pytest

from .helpers import doc, election, item, members, votes

C = ["c1", "c2", "c3", "c4"]


def elect(marks, seats=2, options=C, areas=None, rules=None, category=3):
    areas = areas or ["100.00"] * len(marks)
    return item(doc(members(*areas), [election(options, seats, category)], votes(marks, "e"), rules), "e")


def test_candidates_with_a_double_majority_are_elected_in_order_of_heads():
    r = elect([["c1", "c2"], ["c1", "c2"], ["c1", "c3"], ["c1", "c2"], ["c3"]])
    assert r["elected"] == ["c1", "c2"]  # c1: 4 heads, c2: 3 heads
    assert r["unfilled"] == 0 and r["tie"] is None
    assert r["passed"] is True
    assert r["candidates"]["c3"] == {**r["candidates"]["c3"], "heads": 2, "eligible": False}


def test_equal_heads_are_ranked_by_area():
    areas = ["100.00", "100.00", "100.00", "120.00"]
    r = elect([["c1", "c2"], ["c1"], ["c1", "c2"], ["c2"]], seats=2, areas=areas)
    assert r["candidates"]["c1"]["heads"] == r["candidates"]["c2"]["heads"] == 3
    assert r["elected"] == ["c2", "c1"]  # same heads; c2 has 320 m², c1 300 m²


def test_two_marks_on_a_one_seat_ballot_spoil_it():
    r = elect([["c1", "c2"], ["c1"], ["c1", "c2"], ["c2"]], seats=1)
    assert r["counts"]["invalid"]["heads"] == 2
    assert r["elected"] == []


def test_most_heads_without_an_area_majority_is_not_eligible():
    areas = ["10.00", "10.00", "10.00", "500.00", "500.00"]
    r = elect([["c1"], ["c1"], ["c1"], ["c2"], ["c2"]], seats=1, areas=areas)
    assert r["candidates"]["c1"]["eligible"] is False  # 3/5 heads, 30/1030 area
    assert r["candidates"]["c2"]["eligible"] is False  # 1000/1030 area, 2/5 heads
    assert r["elected"] == [] and r["unfilled"] == 1 and r["passed"] is False


def test_exactly_half_of_participants_is_not_eligible():
    r = elect([["c1"], ["c1"], ["c2"], ["c2"]], seats=2)
    assert r["elected"] == []
    assert r["unfilled"] == 2


@pytest.mark.parametrize(
    "bad",
    [["c1", "c2", "c3"], ["c1", "c1"], ["c1", "zz"], "c1", None, 3, [1], [["c1"]], {"c1": True}],
    ids=["more marks than seats", "repeated", "unknown", "string", "null", "number", "non-string", "nested", "object"],
)
def test_spoiled_election_marks_take_part_and_count_for_no_candidate(bad):
    ballots = {"m0": {"e": ["c1"]}, "m1": {"e": ["c1"]}, "m2": {"e": bad}}
    r = item(doc(members(*["100.00"] * 3), [election(C, 2)], ballots), "e")
    assert r["counts"]["invalid"]["heads"] == 1
    assert r["participation"]["heads"] == 3
    assert r["candidates"]["c1"]["heads"] == 2
    assert sum(c["heads"] for c in r["candidates"].values()) == 2


def test_empty_list_is_an_abstention_and_missing_item_too():
    r = item(doc(members(*["100.00"] * 3), [election(C, 2)], {"m0": {"e": ["c1"]}, "m1": {"e": []}, "m2": {}}), "e")
    assert r["counts"]["abstain"]["heads"] == 2
    assert r["counts"]["invalid"]["heads"] == 0
    assert r["candidates"]["c1"]["eligible"] is False  # 1 of 3 participants


def test_full_tie_on_the_last_seat_is_reported_not_broken():
    # c1 4 heads; c2 and c3 3 heads each with equal area; 2 seats.
    marks = [["c1", "c2"], ["c1", "c3"], ["c1", "c2"], ["c1", "c3"], ["c2", "c3"]]
    r = elect(marks, seats=2)
    assert r["elected"] == ["c1"]
    assert r["tie"] == ["c2", "c3"]
    assert r["tied_seats"] == 1
    assert r["unfilled"] == 1
    assert r["passed"] is False
    assert "re-vote" in r["reason"]["en"] and "重新表决" in r["reason"]["zh"]


def test_same_heads_but_different_area_is_not_a_tie():
    marks = [["c1", "c2"], ["c1", "c3"], ["c1", "c2"], ["c1", "c3"], ["c2", "c3"]]
    areas = ["100.00", "100.01", "100.00", "100.00", "100.00"]
    r = elect(marks, seats=2, areas=areas)
    assert r["tie"] is None
    assert r["elected"] == ["c1", "c3"]
    assert r["passed"] is True


def test_three_way_tie_for_two_seats():
    marks = [["c1", "c2"], ["c2", "c3"], ["c3", "c1"]]
    r = elect(marks, seats=2, options=["c1", "c2", "c3"])
    assert r["elected"] == []
    assert r["tie"] == ["c1", "c2", "c3"]
    assert r["tied_seats"] == 2
    assert r["unfilled"] == 2


def test_a_tie_inside_the_seats_elects_both():
    marks = [["c1", "c2"], ["c1", "c2"], ["c1", "c2"], ["c3"]]
    r = elect(marks, seats=2)
    assert r["elected"] == ["c1", "c2"]
    assert r["tie"] is None and r["passed"] is True


def test_seats_left_over_are_unfilled_for_a_by_election():
    r = elect([["c1"], ["c1"], ["c2"]], seats=3)
    assert r["elected"] == ["c1"]
    assert r["unfilled"] == 2
    assert r["passed"] is False
    assert "by-election" in r["reason"]["en"] and "补选" in r["reason"]["zh"]


def test_more_seats_than_candidates_is_allowed_and_unfilled():
    r = elect([["c1", "c2"], ["c1", "c2"]], seats=5, options=["c1", "c2"])
    assert r["elected"] == ["c1", "c2"]
    assert r["unfilled"] == 3


def test_quorum_failure_elects_nobody():
    r = elect([["c1"], ["c1"], None, None], seats=1, rules={"alternates": 2})
    assert r["participation"]["quorum_met"] is False
    assert r["candidates"]["c1"]["reached"] is True
    assert r["candidates"]["c1"]["eligible"] is False
    assert r["elected"] == [] and r["alternates"] == [] and r["passed"] is False


# Ten voters each mark three of five candidates, leaving out a different pair: every candidate
# gets exactly 6 of 10 heads (eligible), and the voters' areas alone decide the ranking.
PAIRS = [("a", "b"), ("a", "c"), ("a", "d"), ("a", "e"), ("b", "c"), ("b", "d"), ("b", "e"), ("c", "d"), ("c", "e"), ("d", "e")]
FIVE = ["a", "b", "c", "d", "e"]


def five_way(extra_hundredths, seats=3, alternates=None):
    marks = [[c for c in FIVE if c not in pair] for pair in PAIRS]
    areas = [f"{(10000 + w) // 100}.{(10000 + w) % 100:02d}" for w in extra_hundredths]
    rules = None if alternates is None else {"alternates": alternates}
    return elect(marks, seats=seats, options=FIVE, areas=areas, rules=rules)


DISTINCT = [2**k for k in range(10)]  # a 1008, b 910, c 621, d 347, e 183 (extra hundredths)
C_EQUALS_D = [0, 1, 1, 0, 10, 10, 0, 0, 100, 100]  # a 220, b 202, c = d 111, e 22
D_EQUALS_E = [1, 2, 4, 8, 16, 32, 64, 128, 92, 512]  # a 844, b 746, c 621, d = e 183


class TestAlternates:
    def test_no_alternates_by_default(self):
        r = five_way(DISTINCT)
        assert r["elected"] == ["a", "b", "c"]
        assert r["alternates"] == [] and r["alternates_wanted"] == 0
        assert r["passed"] is True

    def test_eligible_candidates_without_a_seat_become_alternates_in_order(self):
        r = five_way(DISTINCT, alternates=5)
        assert r["elected"] == ["a", "b", "c"]
        assert r["alternates"] == ["d", "e"]

    def test_alternates_are_capped_at_the_number_in_the_rules(self):
        assert five_way(DISTINCT, alternates=1)["alternates"] == ["d"]

    def test_ineligible_candidates_never_become_alternates(self):
        marks = [["c1", "c2"]] * 4 + [["c3"]] * 2
        r = elect(marks, seats=1 + 1, options=["c1", "c2", "c3"], rules={"alternates": 3})
        assert r["elected"] == ["c1", "c2"] and r["alternates"] == []

    def test_tie_on_the_last_seat_leaves_the_first_alternate_place_pending(self):
        r = five_way(C_EQUALS_D, alternates=2)
        assert r["elected"] == ["a", "b"]
        assert r["tie"] == ["c", "d"] and r["tied_seats"] == 1 and r["unfilled"] == 1
        # The loser of the c/d re-vote is first alternate; e is certain to be second.
        assert r["alternates_pending"] == 1
        assert r["alternates"] == ["e"]
        assert "lose the re-vote" in r["reason"]["en"]
        assert r["passed"] is False

    def test_pending_places_are_capped_at_the_number_of_alternates(self):
        r = five_way(C_EQUALS_D, alternates=1)
        assert r["alternates_pending"] == 1 and r["alternates"] == []

    def test_all_tied_leaves_every_seat_to_the_re_vote(self):
        r = five_way([0] * 10, alternates=3)
        assert r["elected"] == [] and r["tie"] == FIVE and r["tied_seats"] == 3
        assert r["alternates_pending"] == 2 and r["alternates"] == []

    def test_tie_across_the_last_alternate_place_is_reported(self):
        r = five_way(D_EQUALS_E, alternates=1)
        assert r["elected"] == ["a", "b", "c"] and r["tie"] is None and r["passed"] is True
        assert r["alternates"] == [] and r["alternates_tie"] == ["d", "e"]

    def test_tie_that_fits_in_the_alternate_places_is_no_tie(self):
        r = five_way(D_EQUALS_E, alternates=2)
        assert r["alternates"] == ["d", "e"] and r["alternates_tie"] is None


def test_stricter_rule_applies_to_each_candidate():
    marks = [["c1", "c2"]] * 4 + [["c1"]] * 2 + [["c3"]]  # c1 6/7, c2 4/7 of heads and area
    assert elect(marks, seats=2)["elected"] == ["c1", "c2"]
    r = elect(marks, seats=2, rules={"thresholds": {"3": {"approval": {"at_least": "2/3"}}}})
    assert r["elected"] == ["c1"] and r["unfilled"] == 1
    assert r["thresholds"]["approval"] == {"at_least": "2/3", "source": "estate_rules"}


def test_election_under_category_9_is_allowed():
    r = elect([["c1"], ["c1"], ["c2"]], seats=1, category=9)
    assert r["elected"] == ["c1"] and r["category"] == 9
