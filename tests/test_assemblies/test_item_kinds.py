"""Item kinds are objects (webapp.assemblies.kinds): every kind the organisers may choose is known
to the tally, the notice format and the database, and each reads a paper sheet's marks by its
own rule."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict

import tally
from crypto.notice import ITEM_KINDS
from webapp.assemblies.kinds import KINDS, kind_of
from webapp.assemblies.models import FORMS, AgendaItem

PLAN = {"id": "q1", "kind": "plan", "title": "电梯方案", "options": [{"id": "p1", "name": "一"}, {"id": "p2", "name": "二"}]}
RESOLUTION = {"id": "q2", "kind": "resolution", "title": "修订规约"}


def test_every_kind_is_known_to_the_tally_the_notice_format_and_the_database():
    assert set(KINDS) == set(tally.KINDS) == set(ITEM_KINDS) == set(FORMS)
    constraint = next(c for c in AgendaItem.__table__.constraints if c.name and str(c.name).endswith("form_valid"))
    assert all(f"'{name}'" in str(constraint.sqltext) for name in KINDS)


def test_only_an_election_takes_seats_and_nominations_and_stands_in_category_3_or_9():
    assert [k.name for k in KINDS.values() if k.has_seats] == ["election"]
    assert [k.name for k in KINDS.values() if k.takes_nominations] == ["election"]
    assert kind_of("election").field_problem(5, 7, False) is not None
    assert kind_of("election").field_problem(3, 7, False) is None
    assert kind_of("plan").field_problem(5, None, False) is None  # a plan may be in any category


@pytest.mark.parametrize(("mark", "choice"), [(["p2"], ["p2"]), (["p2", "p1"], ["p1", "p2"]), ([], None), (None, None)])
def test_a_plan_sheet_keeps_exactly_the_marked_plans(mark, choice):
    assert kind_of("plan").choice_from_mark(PLAN, mark) == choice


def test_a_mark_not_on_the_sheet_is_refused_in_both_languages():
    with pytest.raises(ValueError, match="不在选票上") as refused:
        kind_of("plan").choice_from_mark(PLAN, ["p9"])
    assert "not on the ballot" in refused.value.args[1]


@pytest.mark.parametrize(
    ("mark", "choice"), [("agree", "agree"), ("abstain", "abstain"), ("spoiled", ["agree", "disagree"]), ("blank", None)]
)
def test_a_resolution_sheet_reads_one_mark_or_a_spoiled_item(mark, choice):
    assert kind_of("resolution").choice_from_mark(RESOLUTION, mark) == choice


def test_each_kind_reads_its_own_field_of_the_paper_form():
    form = MultiDict([("m-q1", "p1"), ("m-q1", "p2"), ("m-q2", "disagree")])
    assert kind_of("plan").mark_from_form(PLAN, form) == ["p1", "p2"]
    assert kind_of("resolution").mark_from_form(RESOLUTION, form) == "disagree"
