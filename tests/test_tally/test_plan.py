"""A choice among plans (方案选择, kind "plan"): decided exactly like a selection, in any category."""

from __future__ import annotations

import json

import pytest

from tally import ONE_OF_KINDS, Ballot, Item, Member, Rules, SelectionResult, TallyInput, TallyInputError, compute, load_document
from tally.cli import main
from tally.text import render_text

from .helpers import doc, item, members, plan, selection, votes

P = ["p1", "p2", "p3"]


def choose(marks, areas=None, rules=None, category=7, options=P):
    areas = areas or ["100.00"] * len(marks)
    return item(doc(members(*areas), [plan(options, category)], votes(marks, "p"), rules), "p")


# --- the model -------------------------------------------------------------------------------


@pytest.mark.parametrize("category", range(1, 10))
def test_a_plan_may_have_any_category(category):
    it = Item("p", category, "plan", ("p1", "p2"))
    assert it.kind == "plan"
    assert "plan" in ONE_OF_KINDS


@pytest.mark.parametrize(
    ("kwargs", "path", "problem"),
    [
        ({"options": ()}, "options", "a plan needs at least one option"),
        ({"options": ("p1", "p1")}, "options[1]", "duplicate option"),
        ({"options": ("p1", "")}, "options[1]", "non-empty string"),
        ({"options": ("p1", "p2"), "seats": 1}, "seats", "only an election has seats (a plan picks one option)"),
    ],
)
def test_a_plan_needs_unique_options_and_no_seats(kwargs, path, problem):
    with pytest.raises(TallyInputError) as e:
        Item("p", 7, "plan", **kwargs)
    assert e.value.path == path
    assert problem in e.value.problem


def test_the_document_names_plan_among_the_kinds():
    with pytest.raises(TallyInputError, match='"plan"'):
        load_document(doc(members("1"), [{"id": "p", "category": 7, "options": P}], {}))
    with pytest.raises(TallyInputError, match='"plan"'):
        load_document(doc(members("1"), [{"id": "p", "category": 7, "kind": "plans", "options": P}], {}))
    with pytest.raises(TallyInputError, match=r"items\[0\]\.seats"):
        load_document(doc(members("1"), [{"id": "p", "category": 7, "kind": "plan", "options": P, "seats": 1}], {}))


# --- the decision ------------------------------------------------------------------------------


def test_the_plan_with_a_double_majority_is_chosen():
    r = choose([["p2"], ["p2"], ["p2"], ["p1"], []], category=5)
    assert r["kind"] == "plan"
    assert (r["winner"], r["passed"], r["closest"]) == ("p2", True, None)
    assert r["options"]["p2"]["reached"] is True


def test_three_quarters_categories_apply_their_threshold_to_plans():
    # 3 of 4 exactly: "at least 3/4" (categories 6-8) is met; 2 of 3 is not.
    assert choose([["p1"], ["p1"], ["p1"], ["p2"]], category=7)["winner"] == "p1"
    r = choose([["p1"], ["p1"], ["p2"]], category=8)
    assert r["winner"] is None
    assert r["closest"] == "p1"
    assert r["thresholds"]["approval"] == {"at_least": "3/4", "source": "civil_code_278_2"}


def test_area_without_heads_chooses_no_plan():
    r = choose([["p1"], ["p2"], ["p2"], ["p3"]], areas=["500.00", "100.00", "100.00", "100.00"], category=9)
    assert r["options"]["p1"]["of_participants"]["area"] == "62.50%"
    assert (r["winner"], r["passed"]) == (None, False)
    # p1: min(1/4 heads, 5/8 area) = 1/4; p2: min(2/4 heads, 2/8 area) = 1/4; more heads: p2.
    assert r["closest"] == "p2"


def test_two_marks_or_an_unknown_plan_spoil_the_item():
    r = choose([["p1", "p2"], ["p1"], ["zz"], ["p1"]], category=2)
    assert r["counts"]["invalid"]["heads"] == 2
    assert r["options"]["p1"]["heads"] == 2
    assert r["winner"] is None


def test_without_a_quorum_no_plan_is_chosen():
    r = choose([["p1"], ["p1"], None, None], category=1)
    assert r["options"]["p1"]["reached"] is True
    assert (r["winner"], r["passed"], r["closest"]) == (None, False, "p1")


def test_an_estate_rule_applies_to_a_plan_of_its_category():
    rules = {"thresholds": {"5": {"approval": {"at_least": "2/3"}}}}
    marks = [["p1"]] * 3 + [["p2"]] * 2
    assert choose(marks, category=5)["winner"] == "p1"
    r = choose(marks, category=5, rules=rules)
    assert r["winner"] is None
    assert r["thresholds"]["approval"]["source"] == "estate_rules"


@pytest.mark.parametrize("category", [1, 4, 6, 9])
def test_a_plan_is_decided_like_a_selection_with_the_same_options_and_marks(category):
    marks = [["p1"], ["p2"], ["p1"], ["p1", "p3"], [], ["p3"], None, ["p1"]]
    areas = ["80.00", "120.50", "99.99", "60.00", "75.25", "130.00", "90.00", "101.00"]
    as_plan = item(doc(members(*areas), [plan(P, category)], votes(marks, "p")), "p")
    as_selection = item(doc(members(*areas), [selection(P, category, "p")], votes(marks, "p")), "p")
    for out in (as_plan, as_selection):
        out.pop("reason")
    assert as_plan.pop("kind") == "plan"
    assert as_selection.pop("kind") == "selection"
    assert as_plan == as_selection


def test_typed_input_gives_a_selection_result_of_kind_plan():
    inp = TallyInput(
        members=(Member("m0", 10000), Member("m1", 10000), Member("m2", 10000)),
        items=(Item("p", 8, "plan", ("p1", "p2")),),
        ballots=(Ballot("m0", {"p": ("p1",)}), Ballot("m1", {"p": ["p1"]}), Ballot("m2", {"p": ["p1"]})),
        rules=Rules(),
    )
    (r,) = compute(inp).items
    assert isinstance(r, SelectionResult)
    assert (r.kind, r.winner, r.passed) == ("plan", "p1", True)


# --- what is said and shown --------------------------------------------------------------------


def test_a_chosen_plan_is_said_in_plan_words():
    r = choose([["p2"], ["p2"], ["p2"], ["p1"]], category=5)
    en, zh = r["reason"]["en"], r["reason"]["zh"]
    assert en.startswith("Choice of one plan among 3 plan(s). Estate totals:")
    assert "A plan needs more than 1/2 of the participating area and more than 1/2 of the participating heads" in en
    assert "and a met quorum, to be chosen." in en
    assert "Spoiled (more than one plan marked, or an unknown plan): 0.00 m² and 0 owners." in en
    assert en.endswith("Result: passed; plan chosen: p2.")
    assert zh.startswith("在 3 个方案中选定一个方案。")
    assert "废票（选择多于一个方案或选了本事项以外的方案）：面积 0.00 平方米、0 人。" in zh
    assert zh.endswith("结论：通过，选定方案 p2。")
    assert "option" not in en
    assert "选项" not in zh


def test_no_plan_chosen_names_the_closest_plan():
    r = choose([["p1"], ["p1"], ["p2"], ["p3"], []], category=7)
    en, zh = r["reason"]["en"], r["reason"]["zh"]
    assert "Result: not passed: no plan reached the threshold on both area and heads." in en
    assert "Closest plan (largest of the smaller of its two shares of the participants): p1, with 40.00%" in en
    assert "结论：未通过，没有方案在面积和人数上同时达到规定比例。" in zh
    assert "最接近规定比例的方案是 p1（按面积与人数两项占比中较小者比较）" in zh
    assert "948" not in en


def test_a_plan_without_a_quorum_or_with_a_tie_for_closest_says_so_in_plan_words():
    r = choose([["p1"], None, None], category=9)
    assert "; no plan is chosen." in r["reason"]["en"]
    assert "未选定任何方案。" in r["reason"]["zh"]
    r = choose([["p1"], ["p2"], ["p3"], []], category=9)
    assert r["closest_tie"] == P
    assert "p1, p2 and p3 came equally close; no plan is named closest." in r["reason"]["en"]
    assert "p1、p2、p3 同样接近规定比例，不指定最接近的方案。" in r["reason"]["zh"]


def test_the_text_table_labels_a_plan():
    inp = load_document(doc(members("100", "100", "100"), [plan(P, 5)], votes([["p1"], ["p1"], ["p2"]], "p")))
    text = render_text(compute(inp))
    assert "[p] · 事项类别 category 5 · 方案选择 plan" in text
    assert "选定 WINNER" in text


def test_the_cli_reads_a_plan_item(tmp_path, capsys):
    d = doc(members("100", "100", "100"), [plan(P, 6)], votes([["p3"], ["p3"], ["p3"]], "p"))
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(d), encoding="utf-8")
    assert main([str(path)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["items"]["p"]["kind"] == "plan"
    assert out["items"]["p"]["winner"] == "p3"
