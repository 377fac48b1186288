"""Invalid documents are refused with a message naming where and what; looser rules included."""

from __future__ import annotations

import copy

import pytest

from tally import STATUTE_QUORUM, Ballot, Item, Member, Rules, TallyInputError, Threshold, load_document, parse_area


def base() -> dict:
    return {
        "rules": {"alternates": 1},
        "members": [{"id": "m0", "area": "89.50", "heads": 1}, {"id": "m1", "area": "100", "heads": 1}],
        "items": [
            {"id": "q1", "category": 2, "kind": "resolution"},
            {"id": "q2", "category": 3, "kind": "election", "seats": 1, "options": ["c1", "c2"]},
            {"id": "q3", "category": 4, "kind": "selection", "options": ["f1", "f2"]},
        ],
        "ballots": [{"member": "m0", "choices": {"q1": "agree", "q2": ["c1"], "q3": ["f2"]}}],
    }


def mutate(path: str, value) -> dict:
    d = copy.deepcopy(base())
    target = d
    keys = path.split("/")
    for k in keys[:-1]:
        target = target[int(k)] if isinstance(target, list) else target[k]
    last = keys[-1]
    if value is DELETE:
        del target[int(last) if isinstance(target, list) else last]
    elif isinstance(target, list):
        target[int(last)] = value
    else:
        target[last] = value
    return d


class _Delete:
    """The member is removed rather than set (its repr names test ids alike in every process)."""

    def __repr__(self) -> str:
        return "DELETE"


DELETE = _Delete()

CASES = [
    # mutation path, value, expected location, expected words
    ("members/1/area", "12.345", "members[1].area", "more than two decimals"),
    ("members/1/area", 12.5, "members[1].area", "decimal string"),
    ("members/1/area", 90, "members[1].area", "decimal string"),
    ("members/1/area", "-5.00", "members[1].area", "negative"),
    ("members/1/area", "1e3", "members[1].area", "not a decimal area"),
    ("members/1/area", "", "members[1].area", "not a decimal area"),
    ("members/1/area", " 12", "members[1].area", "not a decimal area"),
    ("members/1/area", "12.", "members[1].area", "not a decimal area"),
    ("members/1/area", "1,200.00", "members[1].area", "not a decimal area"),
    ("members/1/area", DELETE, "members[1].area", "missing"),
    ("members/1/heads", True, "members[1].heads", "integer"),
    ("members/1/heads", 1.0, "members[1].heads", "integer"),
    ("members/1/heads", "1", "members[1].heads", "integer"),
    ("members/1/heads", -1, "members[1].heads", "at least 0"),
    ("members/1/id", "m0", "members[1].id", "duplicate member m0"),
    ("members/1/id", "", "members[1].id", "non-empty"),
    ("members", {}, "members", "array"),
    ("items/1/id", "q1", "items[1].id", "duplicate item q1"),
    ("items/0/category", 0, "items[0].category", "1 to 9"),
    ("items/0/category", 10, "items[0].category", "1 to 9"),
    ("items/0/category", "2", "items[0].category", "1 to 9"),
    ("items/0/category", True, "items[0].category", "1 to 9"),
    ("items/0/category", DELETE, "items[0].category", "missing"),
    ("items/0/kind", "vote", "items[0].kind", "resolution"),
    ("items/1/category", 4, "items[1].category", "election must be category 3"),
    ("items/1/seats", 0, "items[1].seats", "positive"),
    ("items/1/seats", DELETE, "items[1].seats", "positive"),
    ("items/1/seats", True, "items[1].seats", "positive"),
    ("items/1/options", ["c1", "c1"], "items[1].options[1]", "duplicate option"),
    ("items/1/options", [], "items[1].options", "at least one option"),
    ("items/1/kind", DELETE, "items[1].kind", "missing"),
    ("items/2/seats", 1, "items[2].seats", "only an election"),
    ("items/2/options", [1], "items[2].options[0]", "non-empty string"),
    ("items/0/options", ["x"], "items[0].options", "no options"),
    ("ballots/0/member", "m9", "ballots[0].member", "unknown member m9"),
    ("ballots/0/choices", ["agree"], "ballots[0].choices", "object"),
    ("ballots/0/choices", DELETE, "ballots[0].choices", "missing"),
    ("ballots/0/choices/q9", "agree", "ballots[0].choices.q9", "unknown item q9"),
    ("rules/alternates", -1, "rules.alternates", "at least 0"),
    ("rules/alternates", True, "rules.alternates", "integer"),
    ("rules/alternate", 2, "rules.alternate", "unknown key"),
    ("rules/thresholds", {"10": {"quorum": {"at_least": "3/4"}}}, "rules.thresholds.10", "1 to 9"),
    ("rules/thresholds", {"3": {"quorom": {"at_least": "3/4"}}}, "rules.thresholds.3.quorom", "unknown key"),
    ("rules/thresholds", {"6": {"approval": {"at_least": "2/3"}}}, "rules.thresholds.6.approval", "looser than the statute (at least 3/4)"),
    (
        "rules/thresholds",
        {"2": {"approval": {"at_least": "1/2"}}},
        "rules.thresholds.2.approval",
        "looser than the statute (more than 1/2)",
    ),
    ("rules/thresholds", {"2": {"quorum": {"at_least": "3/5"}}}, "rules.thresholds.2.quorum", "looser than the statute (at least 2/3)"),
    ("rules/thresholds", {"2": {"quorum": {"more_than": "1/2"}}}, "rules.thresholds.2.quorum", "looser than the statute"),
    (
        "rules/thresholds",
        {"7": {"approval": {"more_than": "2/3"}}},
        "rules.thresholds.7.approval",
        "looser than the statute (at least 3/4)",
    ),
    ("rules/thresholds", {"2": {"quorum": {"at_least": "2:3"}}}, "rules.thresholds.2.quorum.at_least", "fraction"),
    ("rules/thresholds", {"2": {"quorum": {"at_least": "3/2"}}}, "rules.thresholds.2.quorum", "never be met"),
    ("rules/thresholds", {"2": {"quorum": {"more_than": "1/1"}}}, "rules.thresholds.2.quorum", "never be met"),
    ("rules/thresholds", {"2": {"quorum": {"at_least": "0/3"}}}, "rules.thresholds.2.quorum", "positive"),
    ("rules/thresholds", {"2": {"quorum": {"at_least": "2/0"}}}, "rules.thresholds.2.quorum", "positive"),
    ("rules/thresholds", {"2": {"quorum": {"at_least": "3/4", "more_than": "3/4"}}}, "rules.thresholds.2.quorum", "must be"),
    ("rules/thresholds", {"2": {"quorum": 0.75}}, "rules.thresholds.2.quorum", "object"),
    ("ballots", DELETE, "ballots", "missing"),
]


@pytest.mark.parametrize(("path", "value", "location", "words"), CASES, ids=[f"{c[0]}={c[1]!r}" for c in CASES])
def test_invalid_documents_name_the_location_and_the_problem(path, value, location, words):
    with pytest.raises(TallyInputError) as e:
        load_document(mutate(path, value))
    assert str(e.value).startswith(f"{location}: "), str(e.value)
    assert words in str(e.value)
    assert isinstance(e.value, ValueError)


def test_second_ballot_for_one_member_is_refused():
    d = base()
    d["ballots"].append({"member": "m1", "choices": {}})
    d["ballots"].append({"member": "m0", "choices": {"q1": "disagree"}})
    with pytest.raises(TallyInputError, match=r"^ballots\[2\]: second ballot for member m0 \(the first is ballots\[0\]\)"):
        load_document(d)


def test_document_must_be_an_object():
    with pytest.raises(TallyInputError):
        load_document([])  # type: ignore[arg-type]


def test_the_base_document_is_valid_and_extra_keys_are_ignored_outside_rules():
    d = base()
    d["assembly"] = "2025 annual"
    d["members"][0]["unit"] = "3-2-501"
    d["items"][0]["title"] = "Adopt the management statute"
    inp = load_document(d)
    assert inp.members == (Member("m0", 8950, 1), Member("m1", 10000, 1))
    assert inp.items == (
        Item("q1", 2, "resolution", title="Adopt the management statute"),
        Item("q2", 3, "election", ("c1", "c2"), seats=1),
        Item("q3", 4, "selection", ("f1", "f2")),
    )
    assert inp.ballots == (Ballot("m0", {"q1": "agree", "q2": ["c1"], "q3": ["f2"]}),)
    assert inp.rules == Rules(alternates=1)
    assert inp.member("m1").area == 10000


def test_stricter_rules_are_accepted():
    d = base()
    d["rules"]["thresholds"] = {
        "2": {"quorum": {"more_than": "2/3"}, "approval": {"at_least": "2/3"}},
        "6": {"approval": {"more_than": "3/4"}},
        "9": {"approval": {"more_than": "1/2"}},
    }
    rules = load_document(d).rules
    assert rules.quorum(2) == (Threshold("more_than", 2, 3), True)
    assert rules.approval(2) == (Threshold("at_least", 2, 3), True)
    assert rules.approval(6) == (Threshold("more_than", 3, 4), True)
    # A rule equal to the statute is the statute; categories without a rule keep the statute.
    assert rules.approval(9) == (Threshold("more_than", 1, 2), False)
    assert rules.quorum(6) == (STATUTE_QUORUM, False)
    assert rules.approval(7) == (Threshold("at_least", 3, 4), False)
    assert rules.alternates == 1


@pytest.mark.parametrize(
    ("text", "hundredths"),
    [("0", 0), ("0.5", 50), ("89.50", 8950), ("100", 10000), ("12345678901234567890.01", 1234567890123456789001)],
)
def test_areas_parse_exactly_to_hundredths(text, hundredths):
    assert parse_area(text, "x") == hundredths


STRICTNESS = [
    # (op, p, q) vs (op, p, q) → self at least as strict as other
    (("at_least", 2, 3), ("at_least", 2, 3), True),
    (("at_least", 3, 4), ("at_least", 2, 3), True),
    (("at_least", 3, 5), ("at_least", 2, 3), False),
    (("more_than", 2, 3), ("at_least", 2, 3), True),
    (("more_than", 3, 5), ("at_least", 2, 3), False),
    (("at_least", 1, 2), ("more_than", 1, 2), False),
    (("at_least", 51, 100), ("more_than", 1, 2), True),
    (("more_than", 1, 2), ("more_than", 1, 2), True),
    (("more_than", 2, 3), ("more_than", 1, 2), True),
    (("at_least", 2, 4), ("at_least", 1, 2), True),
]


@pytest.mark.parametrize(("a", "b", "stricter"), STRICTNESS, ids=[f"{a} vs {b}" for a, b, _ in STRICTNESS])
def test_strictness_is_inclusion_of_passing_shares(a, b, stricter):
    assert Threshold(*a).at_least_as_strict_as(Threshold(*b)) is stricter


def test_thresholds_never_pass_on_an_empty_whole():
    assert STATUTE_QUORUM.met(0, 0) is False
    assert Threshold("at_least", 1, 1).met(5, 5) is True


# --- errors raised by the typed model itself (the web app builds TallyInput directly) -------


def test_an_error_without_a_location_is_just_the_problem():
    e = TallyInputError("", "something is wrong")
    assert (e.path, e.problem, str(e)) == ("", "something is wrong", "something is wrong")
    assert str(TallyInputError("members[1].area", "is negative")) == "members[1].area: is negative"


@pytest.mark.parametrize(
    ("inner", "prefix", "path"),
    [
        ("", "rules.thresholds.2.quorum", "rules.thresholds.2.quorum"),
        ("area", "members[3]", "members[3].area"),
        ("[2]", "members", "members[2]"),
        ("[0].id", "items", "items[0].id"),
    ],
)
def test_an_error_located_inside_a_prefix_joins_paths_as_json_path(inner, prefix, path):
    e = TallyInputError(inner, "bad").within(prefix)
    assert (e.path, e.problem, str(e)) == (path, "bad", f"{path}: bad")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("maybe", 1, 2), 'threshold must be "at_least" or "more_than", not \'maybe\''),
        (("at_least", True, 2), "fraction True/2 must be p/q with positive integers"),
        (("at_least", 1, 2.0), "fraction 1/2.0 must be p/q with positive integers"),
        (("at_least", 1.0, 2), "fraction 1.0/2 must be p/q with positive integers"),
        (("at_least", 0, 2), "fraction 0/2 must be p/q with positive integers"),
        (("more_than", 1, -2), "fraction 1/-2 must be p/q with positive integers"),
        (("at_least", 3, 2), "at_least 3/2 can never be met"),
        (("more_than", 2, 2), "more_than 2/2 can never be met"),
    ],
)
def test_a_threshold_built_directly_is_refused_with_an_unlocated_message(args, message):
    with pytest.raises(TallyInputError) as e:
        Threshold(*args)
    assert (e.value.path, str(e.value)) == ("", message)


def test_at_least_one_whole_is_a_valid_threshold():
    t = Threshold("at_least", 2, 2)
    assert (t.p, t.q) == (1, 1)
    assert t.met(7, 7)
    assert not t.met(6, 7)
