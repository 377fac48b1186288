"""A choice among plans (方案选择, item kind "plan") through the notice, the ballots and the verifier."""

from __future__ import annotations

import copy
import json

import pytest

from crypto.ballot import choice_problems
from crypto.canonical import canonical_json
from crypto.errors import FormatError
from crypto.notice import ITEM_KINDS, tally_items, validate_notice
from crypto.testbundle import generate, make_items, notice_items
from crypto.testbundle import main as make_test_bundle
from crypto.verify import main as verify_main
from crypto.verify import verify_bundle


@pytest.fixture(scope="module")
def gen():
    return generate(30, 4, seed=13, receipts=2, with_plan=True)


def _payload(gen) -> dict:
    notice = copy.deepcopy(gen.bundle["notice"])
    del notice["kid"], notice["sig"]
    return notice


def _plan(notice: dict) -> dict:
    (item,) = [it for it in notice["items"] if it["kind"] == "plan"]
    return item


# --- the notice ----------------------------------------------------------------------------------


def test_the_test_bundle_can_carry_a_plan_item_after_the_others():
    items = notice_items(4, with_plan=True)
    assert [it["kind"] for it in items] == ["resolution", "election", "selection", "resolution", "plan"]
    plan = items[-1]
    assert plan["id"] == "q5"
    assert [set(o) for o in plan["options"]] == [
        {"id", "name", "text", "attachment_sha256", "attachment_name"},
        {"id", "name", "text"},
        {"id", "name"},
    ]
    assert make_items(4, with_plan=True)[-1] == {
        "id": "q5",
        "category": 5,
        "kind": "plan",
        "title": plan["title"],
        "text": plan["text"],
        "options": ["q5-p1", "q5-p2", "q5-p3"],
    }
    assert notice_items(4) == items[:-1]


def test_a_plan_item_reaches_the_tally_as_option_ids_without_seats(gen):
    assert "plan" in ITEM_KINDS
    entry = tally_items(gen.bundle["notice"])[-1]
    assert entry == {
        "id": "q5",
        "category": 5,
        "kind": "plan",
        "title": _plan(gen.bundle["notice"])["title"],
        "options": ["q5-p1", "q5-p2", "q5-p3"],
    }


@pytest.mark.parametrize("category", range(1, 10))
def test_a_plan_may_be_in_any_category(gen, category):
    notice = _payload(gen)
    _plan(notice)["category"] = category
    validate_notice(notice, signed=False)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda p: p.update(seats=1), "only an election has seats"),
        (lambda p: p.update(options=[]), "a plan needs a non-empty list of options"),
        (lambda p: p["options"][0].pop("name"), "must be {id, name}"),
        (lambda p: p["options"][0].update(name=""), "name must be non-empty text"),
        (lambda p: p["options"][1].update(id=p["options"][0]["id"]), "unique in the item"),
        (lambda p: p["options"][0].update(uscc="91330100MA2XXXXX00"), "must be {id, name}"),
        (lambda p: p["options"][0].update(fee="2.50"), "must be {id, name}"),
        (lambda p: p["options"][0].update(statement="…"), "must be {id, name}"),
        (lambda p: p["options"][0].update(attachments=[]), "must be {id, name}"),
        (lambda p: p["options"][1].update(text=3), ".text must be text"),
        (lambda p: p["options"][0].pop("attachment_name"), "needs both attachment_sha256 and attachment_name"),
        (lambda p: p["options"][0].pop("attachment_sha256"), "needs both attachment_sha256 and attachment_name"),
        (lambda p: p["options"][0].update(attachment_name=""), "attachment_name must be a non-empty file name"),
        (lambda p: p["options"][0].update(attachment_sha256="AB" * 32), "attachment_sha256 is not lowercase hexadecimal"),
        (lambda p: p["options"][0].update(attachment_sha256="ab" * 31), "attachment_sha256 must be 32 bytes"),
    ],
)
def test_a_plans_options_are_checked(gen, change, message):
    notice = _payload(gen)
    change(_plan(notice))
    with pytest.raises(FormatError, match="items\\[4\\]") as e:
        validate_notice(notice, signed=False)
    assert message in str(e.value)


def test_candidates_and_bidders_take_no_plan_fields(gen):
    notice = _payload(gen)
    notice["items"][2]["options"][0]["attachment_sha256"] = "ab" * 32
    notice["items"][2]["options"][0]["attachment_name"] = "x.pdf"
    with pytest.raises(FormatError, match=r"items\[2\]\.options\[0\] must be \{id, name\}"):
        validate_notice(notice, signed=False)


# --- ballots ---------------------------------------------------------------------------------------

PLAN_ITEMS = [{"id": "p", "category": 7, "kind": "plan", "options": ["p1", "p2", "p3"]}]


def test_a_plan_ballot_marks_at_most_one_plan_of_the_item():
    assert choice_problems({"p": ["p2"]}, PLAN_ITEMS) == []
    assert choice_problems({"p": []}, PLAN_ITEMS) == []
    assert choice_problems({"p": ["p1", "p2"]}, PLAN_ITEMS) == ["item 'p': 2 marks, at most 1 allowed"]
    assert choice_problems({"p": ["p9"]}, PLAN_ITEMS) == ["item 'p': unknown option(s) ['p9']"]
    assert choice_problems({"p": "agree"}, PLAN_ITEMS) == ["item 'p' takes a list of options"]
    # A paper ballot may be spoiled on the item (废票): counted as invalid, not refused.
    assert choice_problems({"p": ["p1", "p2"]}, PLAN_ITEMS, strict=False) == []


# --- the verifier ----------------------------------------------------------------------------------


def test_a_bundle_with_a_plan_item_verifies(tmp_path, gen, capsys):
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(gen.bundle, ensure_ascii=False), encoding="utf-8")
    args = [str(path)]
    for n, r in enumerate(gen.receipts):
        (tmp_path / f"r{n}.json").write_text(json.dumps(r), encoding="utf-8")
        args += ["--receipt", str(tmp_path / f"r{n}.json")]
    assert verify_main(args) == 0
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if x.strip().startswith("q5"))
    assert " plan " in line
    assert "plan chosen q5-p" in line or "no plan chosen" in line
    tally = gen.bundle["tally"]["items"]["q5"]
    assert tally["kind"] == "plan"
    assert set(tally["options"]) == {"q5-p1", "q5-p2", "q5-p3"}
    assert "方案" in tally["reason"]["zh"]


def test_a_changed_plan_vote_fails(gen):
    b = copy.deepcopy(gen.bundle)
    i, ballot = next(
        (i, json.loads(e["ballot"]))
        for i, e in enumerate(b["log"]["entries"])
        if e["kind"] == "online" and json.loads(e["ballot"])["choices"].get("q5")
    )
    ballot["choices"]["q5"] = ["q5-p3"] if ballot["choices"]["q5"] != ["q5-p3"] else ["q5-p2"]
    b["log"]["entries"][i]["ballot"] = canonical_json(ballot).decode()
    checks = {c for c, _ in verify_bundle(b, jobs=1).failures}
    assert {"ballot-signature", "log-root"} <= checks


def test_a_changed_plan_result_fails(gen):
    b = copy.deepcopy(gen.bundle)
    item = b["tally"]["items"]["q5"]
    item["winner"] = None if item["winner"] else "q5-p3"
    item["passed"] = not item["passed"]
    failures = verify_bundle(b, jobs=1).failures
    assert any(c == "tally" and m.startswith("tally.items.q5.winner") for c, m in failures), failures


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda b: b["tally_input"]["items"][4]["options"].pop(), "tally_input.items[4].options"),
        (lambda b: b["tally_input"]["items"][4].update(kind="selection"), "tally_input.items[4].kind"),
        (lambda b: b["tally_input"]["items"][4].update(category=7), "tally_input.items[4].category"),
    ],
)
def test_a_plan_item_must_be_the_one_the_notice_signed(gen, change, named):
    b = copy.deepcopy(gen.bundle)
    change(b)
    failures = verify_bundle(b, jobs=1).failures
    assert any(c == "notice" and m.startswith(named) for c, m in failures), failures


def test_a_plans_attachment_is_bound_by_the_notice_signature(gen):
    b = copy.deepcopy(gen.bundle)
    _plan(b["notice"])["options"][0]["attachment_sha256"] = "00" * 32
    assert "notice" in {c for c, _ in verify_bundle(b, jobs=1).failures}


def test_changing_any_single_value_of_a_small_plan_bundle_fails_verification():
    small = generate(4, 1, seed=23, with_plan=True)
    assert small.bundle["tally"]["items"]["q2"]["kind"] == "plan"

    def leaves(value, path=()):
        if isinstance(value, dict):
            for k, v in value.items():
                yield from leaves(v, path + (k,))
        elif isinstance(value, list):
            for k, v in enumerate(value):
                yield from leaves(v, path + (k,))
        else:
            yield path, value

    paths = list(leaves(small.bundle))
    assert len(paths) > 250
    survivors = []
    for path, value in paths:
        if path[:2] == ("log", "server_keys") and path[3] == "not_before":
            continue  # the installation's record, not signed (docs/bundle-format.md §8; test_key_rotation.py)
        b = copy.deepcopy(small.bundle)
        target = b
        for key in path[:-1]:
            target = target[key]
        if isinstance(value, bool):
            target[path[-1]] = not value
        elif isinstance(value, int):
            target[path[-1]] = value + 1
        elif isinstance(value, str):
            target[path[-1]] = value + "0" if value else "x"
        else:
            target[path[-1]] = "x"
        if verify_bundle(b, jobs=1).ok:
            survivors.append(path)
    assert survivors == []


def test_make_test_bundle_plan_option(tmp_path, capsys):
    out = tmp_path / "plan.json"
    assert make_test_bundle(["--members", "8", "--items", "1", "--plan", "--out", str(out), "--seed", "4", "--jobs", "1"]) == 0
    assert "1 items and a plan choice" in capsys.readouterr().out
    bundle = json.loads(out.read_text(encoding="utf-8"))
    assert [it["kind"] for it in bundle["notice"]["items"]] == ["resolution", "plan"]
    assert verify_main([str(out)]) == 0
