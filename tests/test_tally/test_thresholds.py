"""Boundary cases of every threshold of Civil Code Art. 278 ¶2, and the classic traps."""

from __future__ import annotations

import pytest

from .helpers import doc, item, members, resolution, votes

A, D, X = "agree", "disagree", "abstain"


# Quorum: at least 2/3 of the total area AND at least 2/3 of the total heads ("以上" includes 2/3).
QUORUM_CASES = [
    # id, member areas, marks (None = did not vote), quorum_met, area_met, heads_met
    ("exactly 2/3 of area and heads meets the quorum", ["100.00"] * 3, [A, A, None], True, True, True),
    ("2/3 of area minus 0.01 m² fails on area", ["100.00", "99.99", "100.01"], [A, A, None], False, False, True),
    ("2/3 of area plus 0.01 m² meets", ["100.00", "100.01", "99.99"], [A, A, None], True, True, True),
    # 5 of 9 heads (< 2/3) holding 900 of 1300 m² (> 2/3): heads fail.
    ("big area but one head short of 2/3 fails on heads", ["180.00"] * 5 + ["100.00"] * 4, [A] * 5 + [None] * 4, False, True, False),
    ("6 of 9 heads is exactly 2/3", ["100.00"] * 9, [A] * 6 + [None] * 3, True, True, True),
    ("everyone taking part meets", ["50.00", "70.00"], [D, X], True, True, True),
    ("nobody taking part fails", ["50.00", "70.00"], [None, None], False, False, False),
]


@pytest.mark.parametrize(
    ("areas", "marks", "met", "area_met", "heads_met"),
    [c[1:] for c in QUORUM_CASES],
    ids=[c[0] for c in QUORUM_CASES],
)
def test_quorum_boundaries(areas, marks, met, area_met, heads_met):
    r = item(doc(members(*areas), [resolution()], votes(marks)))
    p = r["participation"]
    assert (p["quorum_met"], p["area_met"], p["heads_met"]) == (met, area_met, heads_met)
    if not met:
        assert r["passed"] is False


# Approval among participants: more than 1/2 (categories 1-5, 9) or at least 3/4 (6-8).
APPROVAL_CASES = [
    # id, category, member areas, marks (all vote), passed, area_met, heads_met
    ("exactly 1/2 of area and heads fails a majority", 2, ["100.00"] * 4, [A, A, D, D], False, False, False),
    ("1/2 of heads with more area fails on heads", 2, ["100.01", "100.00", "100.00", "99.99"], [A, A, D, D], False, True, False),
    (
        "one head more than half with exactly half the area fails on area",
        2,
        ["200.00", "100.00", "100.00", "400.00"],
        [A, A, A, D],
        False,
        False,
        True,
    ),
    ("one head more than half with more than half the area passes", 2, ["100.00"] * 5, [A, A, A, D, D], True, True, True),
    (
        "half plus 0.01 m² with a head majority passes",
        2,
        ["100.00", "100.00", "100.01", "199.99", "100.00"],
        [A, A, A, D, X],
        True,
        True,
        True,
    ),
    ("exactly 3/4 passes a category 6 item", 6, ["100.00"] * 4, [A, A, A, D], True, True, True),
    ("3/4 of area minus 0.01 m² fails category 7", 7, ["100.00", "100.00", "99.99", "100.01"], [A, A, A, D], False, False, True),
    ("one head short of 3/4 fails category 8", 8, ["200.00", "100.00", "100.00", "100.00"], [A, A, D, D], False, False, False),
    (
        "3/4 of heads with 3/4 minus 0.01 of area fails category 8",
        8,
        ["100.00", "100.00", "99.99", "100.01"],
        [A, A, A, D],
        False,
        False,
        True,
    ),
    ("2/3 is enough for category 5 but not for category 6 (5)", 5, ["100.00"] * 3, [A, A, D], True, True, True),
    ("2/3 is enough for category 5 but not for category 6 (6)", 6, ["100.00"] * 3, [A, A, D], False, False, False),
]


@pytest.mark.parametrize(
    ("category", "areas", "marks", "passed", "area_met", "heads_met"),
    [c[1:] for c in APPROVAL_CASES],
    ids=[c[0] for c in APPROVAL_CASES],
)
def test_approval_boundaries(category, areas, marks, passed, area_met, heads_met):
    r = item(doc(members(*areas), [resolution(category)], votes(marks)))
    assert r["participation"]["quorum_met"] is True
    assert (r["approval"]["area_met"], r["approval"]["heads_met"]) == (area_met, heads_met)
    assert r["passed"] is passed


@pytest.mark.parametrize("category", range(1, 10))
def test_each_category_uses_its_statutory_approval(category):
    # 2/3 agree: passes "more than half", fails "at least three quarters".
    r = item(doc(members(*["100.00"] * 3), [resolution(category)], votes([A, A, D])))
    assert r["passed"] is (category not in (6, 7, 8))
    expected = {"at_least": "3/4"} if category in (6, 7, 8) else {"more_than": "1/2"}
    assert {k: v for k, v in r["thresholds"]["approval"].items() if k != "source"} == expected
    assert r["thresholds"]["approval"]["source"] == "civil_code_278_2"
    assert r["thresholds"]["quorum"] == {"at_least": "2/3", "source": "civil_code_278_2"}


def test_area_passes_but_heads_fail():
    # Two large flats agree, three small ones disagree.
    r = item(doc(members("300.00", "300.00", "50.00", "50.00", "50.00"), [resolution()], votes([A, A, D, D, D])))
    assert r["approval"] == {"area_met": True, "heads_met": False, "met": False}
    assert r["passed"] is False
    assert "the heads test failed" in r["reason"]["en"]
    assert "人数未达到" in r["reason"]["zh"]


def test_abstentions_stay_in_the_denominator():
    # 5 agree, 2 disagree, 3 abstain: 5/7 of the decided votes but only 5/10 of participants.
    r = item(doc(members(*["100.00"] * 10), [resolution()], votes([A] * 5 + [D] * 2 + [X] * 3)))
    assert r["counts"]["abstain"]["heads"] == 3
    assert r["participation"]["heads"] == 10
    assert r["passed"] is False


def test_item_missing_from_a_submitted_ballot_is_an_abstention():
    d = doc(
        members(*["100.00"] * 4),
        [resolution(2, "q1"), resolution(2, "q2")],
        {
            "m0": {"q1": A, "q2": A},
            "m1": {"q1": A, "q2": A},
            "m2": {"q1": A},  # q2 left unmarked
            "m3": {},
        },
    )
    from tally import tally_document

    out = tally_document(d)["items"]
    assert out["q2"]["participation"]["heads"] == 4
    assert out["q2"]["counts"]["abstain"]["heads"] == 2
    assert out["q2"]["passed"] is False  # 2 of 4 is not more than half
    assert out["q1"]["passed"] is True


@pytest.mark.parametrize("mark", ["yes", "AGREE", None, 1, True, ["agree"], {"agree": True}, ""])
def test_any_other_resolution_mark_is_invalid_but_takes_part(mark):
    r = item(doc(members(*["100.00"] * 3), [resolution()], {"m0": {"q": A}, "m1": {"q": mark}, "m2": {"q": D}}))
    assert r["counts"]["invalid"]["heads"] == 1
    assert r["counts"]["invalid"]["area"] == "100.00"
    assert r["participation"]["heads"] == 3
    assert r["counts"]["agree"]["heads"] == 1


def test_spoiled_marks_take_part_and_count_for_nothing():
    # 2 agree, 1 disagree, 2 spoiled of 5: 2/5 is not a majority, though 2/3 of valid marks is.
    r = item(doc(members(*["100.00"] * 5), [resolution()], votes([A, A, D, "both", "??"])))
    assert r["counts"]["invalid"]["heads"] == 2
    assert r["passed"] is False


def test_developer_single_head_with_large_area_cannot_carry_headcount():
    # The developer's unsold units are one member: one head, 60% of the area.
    ms = members(("6000.00", 1), *["100.00"] * 40)
    d = doc(ms, [resolution()], votes([A] + [D] * 27 + [None] * 13))
    r = item(d)
    assert r["participation"]["quorum_met"] is True
    assert r["approval"] == {"area_met": True, "heads_met": False, "met": False}
    assert r["passed"] is False


def test_developer_abstaining_from_voting_sinks_the_area_quorum():
    ms = members(("6000.00", 1), *["100.00"] * 40)
    r = item(doc(ms, [resolution()], votes([None] + [A] * 40)))
    assert r["participation"]["heads_met"] is True
    assert r["participation"]["area_met"] is False
    assert r["passed"] is False
    assert "the area test failed" in r["reason"]["en"]


def test_non_voters_never_count_as_agreeing():
    # 7 of 10 take part (quorum met); 4 agree: 4/7 > 1/2 passes; non-voters are not in the count.
    r = item(doc(members(*["100.00"] * 10), [resolution()], votes([A] * 4 + [D] * 3 + [None] * 3)))
    assert r["counts"]["agree"]["heads"] == 4
    assert r["counts"]["agree"]["of_totals"] == {"area": "40.00%", "heads": "40.00%"}
    assert r["counts"]["agree"]["of_participants"] == {"area": "57.14%", "heads": "57.14%"}
    assert r["passed"] is True


def test_quorum_failure_fails_an_item_even_with_unanimous_agreement():
    r = item(doc(members(*["100.00"] * 3), [resolution()], votes([A, None, None])))
    assert r["approval"]["met"] is True
    assert r["passed"] is False
    assert "quorum was not met" in r["reason"]["en"]


def test_empty_estate_decides_nothing():
    r = item(doc([], [resolution()], {}))
    assert r["participation"]["quorum_met"] is False
    assert r["passed"] is False
    assert r["participation"]["of_totals"] == {"area": None, "heads": None}


def test_members_without_heads_or_area_cannot_make_a_quorum():
    r = item(doc(members(("0.00", 0), ("0.00", 0)), [resolution()], votes([A, A])))
    assert r["participation"]["quorum_met"] is False
    assert r["passed"] is False


def test_zero_area_estate_fails_the_area_test_without_dividing_by_zero():
    r = item(doc(members("0.00", "0.00", "0.00"), [resolution()], votes([A, A, A])))
    assert r["participation"]["heads_met"] is True
    assert r["participation"]["area_met"] is False
    assert r["passed"] is False


class TestStricterEstateRules:
    def test_stricter_quorum_applies_and_is_attributed_to_the_estate(self):
        rules = {"thresholds": {"2": {"quorum": {"at_least": "3/4"}}}}
        r = item(doc(members(*["100.00"] * 3), [resolution()], votes([A, A, None]), rules))
        assert r["participation"]["quorum_met"] is False
        assert r["thresholds"]["quorum"] == {"at_least": "3/4", "source": "estate_rules"}
        assert "the estate's rules of procedure" in r["reason"]["en"]
        assert "议事规则" in r["reason"]["zh"]

    def test_more_than_two_thirds_quorum_rejects_exactly_two_thirds(self):
        rules = {"thresholds": {"2": {"quorum": {"more_than": "2/3"}}}}
        r = item(doc(members(*["100.00"] * 3), [resolution()], votes([A, A, None]), rules))
        assert r["participation"]["quorum_met"] is False

    def test_stricter_approval_applies(self):
        rules = {"thresholds": {"5": {"approval": {"at_least": "2/3"}}}}
        ms = members(*["100.00"] * 5)
        assert item(doc(ms, [resolution(5)], votes([A, A, A, D, D]), rules))["passed"] is False
        assert item(doc(ms, [resolution(5)], votes([A, A, A, D, D])))["passed"] is True

    def test_rule_equal_to_the_statute_is_reported_as_the_statute(self):
        rules = {"thresholds": {"6": {"approval": {"at_least": "6/8"}}}}
        r = item(doc(members(*["100.00"] * 4), [resolution(6)], votes([A, A, A, D]), rules))
        assert r["thresholds"]["approval"] == {"at_least": "3/4", "source": "civil_code_278_2"}
        assert r["passed"] is True

    def test_rule_for_one_category_leaves_the_others_alone(self):
        rules = {"thresholds": {"4": {"approval": {"at_least": "3/4"}}}}
        r = item(doc(members(*["100.00"] * 5), [resolution(2)], votes([A, A, A, D, D]), rules))
        assert r["passed"] is True


class TestUnreducedEstateFractions:
    """An estate may write its stricter rule unreduced ("8/10"): it is the same share as 4/5,
    applied exactly, and reported in lowest terms."""

    RULES = {"thresholds": {"6": {"approval": {"at_least": "8/10"}}}}

    def test_exactly_four_fifths_passes_at_least_8_10(self):
        r = item(doc(members(*["100.00"] * 5), [resolution(6)], votes([A, A, A, A, D]), self.RULES))
        assert r["approval"] == {"area_met": True, "heads_met": True, "met": True}
        assert r["passed"] is True

    def test_four_fifths_minus_0_01_m2_fails_at_least_8_10(self):
        # 399.99 × 5 = 1999.95 < 4 × 499.99 = 1999.96: the area test fails; 4/5 heads pass.
        areas = ["100.00", "100.00", "100.00", "99.99", "100.00"]
        r = item(doc(members(*areas), [resolution(6)], votes([A, A, A, A, D]), self.RULES))
        assert r["approval"] == {"area_met": False, "heads_met": True, "met": False}

    def test_3_4_that_passes_the_statute_fails_the_stricter_8_10(self):
        r = item(doc(members(*["100.00"] * 4), [resolution(6)], votes([A, A, A, D]), self.RULES))
        assert r["approval"]["met"] is False
        assert item(doc(members(*["100.00"] * 4), [resolution(6)], votes([A, A, A, D])))["passed"] is True

    def test_it_is_reported_in_lowest_terms_as_the_estates_rule(self):
        r = item(doc(members(*["100.00"] * 5), [resolution(6)], votes([A, A, A, A, D]), self.RULES))
        assert r["thresholds"]["approval"] == {"at_least": "4/5", "source": "estate_rules"}
        assert "needs at least 4/5 of the participating area and at least 4/5 of the participating heads" in r["reason"]["en"]
        assert "8/10" not in r["reason"]["en"]
        assert "参与表决专有部分面积五分之四以上且参与表决人数五分之四以上的业主同意" in r["reason"]["zh"]

    def test_the_threshold_object_holds_integers_in_lowest_terms(self):
        from tally import Threshold

        t = Threshold("at_least", 8, 10)
        assert (t.p, t.q) == (4, 5)
        assert type(t.p) is int
        assert type(t.q) is int
        assert t == Threshold("at_least", 4, 5)
        assert str(t) == "at least 4/5"
        assert t.to_document() == {"at_least": "4/5"}
        assert (Threshold("more_than", 50, 100).p, Threshold("more_than", 50, 100).q) == (1, 2)
