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
    assert r["unfilled"] == 0
    assert r["tie"] is None
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
    assert r["elected"] == []
    assert r["unfilled"] == 1
    assert r["passed"] is False


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
    assert "re-vote" in r["reason"]["en"]
    assert "重新表决" in r["reason"]["zh"]


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
    assert r["tie"] is None
    assert r["passed"] is True


def test_seats_left_over_are_unfilled_for_a_by_election():
    r = elect([["c1"], ["c1"], ["c2"]], seats=3)
    assert r["elected"] == ["c1"]
    assert r["unfilled"] == 2
    assert r["passed"] is False
    assert "by-election" in r["reason"]["en"]
    assert "补选" in r["reason"]["zh"]


def test_more_seats_than_candidates_is_allowed_and_unfilled():
    r = elect([["c1", "c2"], ["c1", "c2"]], seats=5, options=["c1", "c2"])
    assert r["elected"] == ["c1", "c2"]
    assert r["unfilled"] == 3


def test_quorum_failure_elects_nobody():
    r = elect([["c1"], ["c1"], None, None], seats=1, rules={"alternates": 2})
    assert r["participation"]["quorum_met"] is False
    assert r["candidates"]["c1"]["reached"] is True
    assert r["candidates"]["c1"]["eligible"] is False
    assert r["elected"] == []
    assert r["alternates"] == []
    assert r["passed"] is False


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
        assert r["alternates"] == []
        assert r["alternates_wanted"] == 0
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
        assert r["elected"] == ["c1", "c2"]
        assert r["alternates"] == []

    def test_tie_on_the_last_seat_leaves_the_first_alternate_place_pending(self):
        r = five_way(C_EQUALS_D, alternates=2)
        assert r["elected"] == ["a", "b"]
        assert r["tie"] == ["c", "d"]
        assert r["tied_seats"] == 1
        assert r["unfilled"] == 1
        # The loser of the c/d re-vote is first alternate; e is certain to be second.
        assert r["alternates_pending"] == 1
        assert r["alternates"] == ["e"]
        assert "lose the re-vote" in r["reason"]["en"]
        assert r["passed"] is False

    def test_pending_places_are_capped_at_the_number_of_alternates(self):
        r = five_way(C_EQUALS_D, alternates=1)
        assert r["alternates_pending"] == 1
        assert r["alternates"] == []

    def test_all_tied_leaves_every_seat_to_the_re_vote(self):
        r = five_way([0] * 10, alternates=3)
        assert r["elected"] == []
        assert r["tie"] == FIVE
        assert r["tied_seats"] == 3
        assert r["alternates_pending"] == 2
        assert r["alternates"] == []

    def test_tie_across_the_last_alternate_place_is_reported(self):
        r = five_way(D_EQUALS_E, alternates=1)
        assert r["elected"] == ["a", "b", "c"]
        assert r["tie"] is None
        assert r["passed"] is True
        assert r["alternates"] == []
        assert r["alternates_tie"] == ["d", "e"]

    def test_tie_that_fits_in_the_alternate_places_is_no_tie(self):
        r = five_way(D_EQUALS_E, alternates=2)
        assert r["alternates"] == ["d", "e"]
        assert r["alternates_tie"] is None


def test_stricter_rule_applies_to_each_candidate():
    marks = [["c1", "c2"]] * 4 + [["c1"]] * 2 + [["c3"]]  # c1 6/7, c2 4/7 of heads and area
    assert elect(marks, seats=2)["elected"] == ["c1", "c2"]
    r = elect(marks, seats=2, rules={"thresholds": {"3": {"approval": {"at_least": "2/3"}}}})
    assert r["elected"] == ["c1"]
    assert r["unfilled"] == 1
    assert r["thresholds"]["approval"] == {"at_least": "2/3", "source": "estate_rules"}


def test_election_under_category_9_is_allowed():
    r = elect([["c1"], ["c1"], ["c2"]], seats=1, category=9)
    assert r["elected"] == ["c1"]
    assert r["category"] == 9


# --- abstentions and spoiled items keep their area and heads (docs/tally-format.md: they take part) ---

# Seven ballots on a two-seat election, each member with its own area and heads so that every
# figure below can only come from one sum.  Worked by hand:
#   abstain = m1 (unmarked, 30.00, 2) + m3 (unmarked, 10.10, 1) + m2 ([], 20.25, 1) + m6 ([], 4.00, 1)
#           = 64.35 m², 5 heads
#   invalid = m4 (three marks for two seats, 7.25, 3) + m5 (unknown candidate, 1.50, 1) = 8.75 m², 4 heads
#   participation = 50.00 + 30.00 + 20.25 + 10.10 + 7.25 + 1.50 + 4.00 = 123.10 m², 10 heads
MIXED_MEMBERS = members(("50.00", 1), ("30.00", 2), ("20.25", 1), ("10.10", 1), ("7.25", 3), ("1.50", 1), ("4.00", 1))


def mixed_ballots(item_id, vote, spoil_a, spoil_b):
    return {
        "m0": {item_id: vote},
        "m1": {},
        "m2": {item_id: []},
        "m3": {},
        "m4": {item_id: spoil_a},
        "m5": {item_id: spoil_b},
        "m6": {item_id: []},
    }


def test_abstentions_and_spoiled_items_add_up_their_area_and_heads():
    ballots = mixed_ballots("e", ["c1"], ["c1", "c2", "c3"], ["zz"])
    r = item(doc(MIXED_MEMBERS, [election(C, 2)], ballots), "e")
    assert r["participation"]["area"] == "123.10"
    assert r["participation"]["heads"] == 10
    assert (r["counts"]["abstain"]["area"], r["counts"]["abstain"]["heads"]) == ("64.35", 5)
    assert (r["counts"]["invalid"]["area"], r["counts"]["invalid"]["heads"]) == ("8.75", 4)
    # 6435/12310 = 52.27…%, 5/10 = 50%; 875/12310 = 7.10…%, 4/10 = 40% (truncated).
    assert r["counts"]["abstain"]["of_participants"] == {"area": "52.27%", "heads": "50.00%"}
    assert r["counts"]["invalid"]["of_participants"] == {"area": "7.10%", "heads": "40.00%"}
    assert (r["candidates"]["c1"]["area"], r["candidates"]["c1"]["heads"]) == ("50.00", 1)
    assert "Abstained (no candidate marked): 64.35 m² and 5 owners." in r["reason"]["en"]
    assert "repeated candidate): 8.75 m² and 4 owners." in r["reason"]["en"]
    assert "弃权（未选任何候选人）：面积 64.35 平方米、5 人。" in r["reason"]["zh"]
    assert "重复选同一人）：面积 8.75 平方米、4 人。" in r["reason"]["zh"]


@pytest.mark.parametrize(
    ("mark", "bucket"),
    [(None, "abstain"), ([], "abstain"), (["c1", "c1"], "invalid")],
    ids=["unmarked item abstains", "empty list abstains", "spoiled mark is invalid"],
)
def test_a_single_abstention_or_spoiled_mark_carries_its_own_area_and_heads(mark, bucket):
    choices = {} if mark is None else {"e": mark}
    ballots = {"m0": {"e": ["c1"]}, "m1": choices}
    r = item(doc(members(("60.00", 1), ("12.34", 3)), [election(C, 1)], ballots), "e")
    other = "invalid" if bucket == "abstain" else "abstain"
    assert (r["counts"][bucket]["area"], r["counts"][bucket]["heads"]) == ("12.34", 3)
    assert (r["counts"][other]["area"], r["counts"][other]["heads"]) == ("0.00", 0)
    assert (r["candidates"]["c1"]["area"], r["candidates"]["c1"]["heads"]) == ("60.00", 1)


# --- seats exactly filled, and the explanation of unfilled seats ---------------------------


def test_seats_filled_exactly_leave_no_tied_seat_even_with_eligible_candidates_below():
    # a, b, c take the three seats; d and e are eligible too but no seat is left to tie over.
    r = five_way(DISTINCT)
    assert r["elected"] == ["a", "b", "c"]
    assert (r["tie"], r["tied_seats"], r["unfilled"]) == (None, 0, 0)
    assert "Unfilled" not in r["reason"]["en"]
    assert "空缺" not in r["reason"]["zh"]
    assert r["reason"]["en"].endswith("Result: passed, all 3 seat(s) filled.")


def test_a_tie_inside_the_seats_that_fills_them_exactly_leaves_no_tied_seat():
    # 7 voters, equal areas: c1 5 heads, c2 5 heads (fully tied), c3 4 heads; all three have more
    # than half of the 7 participants.  The c1/c2 group fills both seats; c3 is left with no seat.
    marks = [["c1", "c2"]] * 3 + [["c1", "c3"]] * 2 + [["c2", "c3"]] * 2
    r = elect(marks, seats=2, options=["c1", "c2", "c3"])
    assert [r["candidates"][c]["heads"] for c in ("c1", "c2", "c3")] == [5, 5, 4]
    assert r["candidates"]["c3"]["eligible"] is True
    assert r["elected"] == ["c1", "c2"]
    assert (r["tie"], r["tied_seats"], r["unfilled"]) == (None, 0, 0)
    assert r["passed"] is True


def test_a_tie_for_the_last_seat_sends_no_seat_to_a_by_election():
    # Tied seats are decided by the re-vote: unfilled 1 = tied 1, so 1 − 1 = 0 go to a by-election.
    marks = [["c1", "c2"], ["c1", "c3"], ["c1", "c2"], ["c1", "c3"], ["c2", "c3"]]
    r = elect(marks, seats=2)
    assert (r["unfilled"], r["tied_seats"]) == (1, 1)
    assert "Unfilled seats: 1, of which 1 await the re-vote." in r["reason"]["en"]
    assert "by-election" not in r["reason"]["en"]
    assert "空缺席位 1 个，其中 1 个待重新表决。" in r["reason"]["zh"]
    assert "补选" not in r["reason"]["zh"]
    assert r["reason"]["en"].endswith("Result: not passed, because a tie must be decided by a re-vote.")
    assert r["reason"]["zh"].endswith("结论：未通过，因存在并列，须重新表决。")


def test_a_three_way_tie_for_two_seats_reports_both_seats_for_the_re_vote():
    r = elect([["c1", "c2"], ["c2", "c3"], ["c3", "c1"]], seats=2, options=["c1", "c2", "c3"])
    assert "Unfilled seats: 2, of which 2 await the re-vote." in r["reason"]["en"]
    assert "by-election" not in r["reason"]["en"]
    assert "补选" not in r["reason"]["zh"]
    assert "c1, c2 and c3 are fully tied (same heads and same area) for the last 2 seat(s)" in r["reason"]["en"]
    assert "c1、c2、c3 的同意人数和面积完全相同，争夺最后 2 个席位" in r["reason"]["zh"]


def test_unfilled_seats_without_a_tie_all_go_to_a_by_election():
    r = elect([["c1"], ["c1"], ["c2"]], seats=3)
    assert (r["unfilled"], r["tied_seats"]) == (2, 0)
    assert "Unfilled seats: 2; 2 go to a by-election." in r["reason"]["en"]
    assert "re-vote" not in r["reason"]["en"]
    assert "空缺席位 2 个，2 个须补选。" in r["reason"]["zh"]
    assert r["reason"]["en"].endswith("Result: not passed, because 2 seat(s) remain unfilled.")
    assert r["reason"]["zh"].endswith("结论：未通过，因尚有 2 个席位空缺。")
