"""The demo's evaluations (webapp/demo/evaluations.py): the district's form is a valid form, and
answers made the owners' way (blinded, blind-signed once per member, unblinded, sent without a
member) give a result that recounts."""

from __future__ import annotations

import copy
import random
from datetime import timedelta
from types import SimpleNamespace

from crypto import evaluation as fmt
from crypto.keys import generate_ed25519
from webapp.core.db import utcnow
from webapp.core.serverkey import signer
from webapp.demo import evaluations as demo
from webapp.evaluations import operations as ops


def test_the_district_form_has_twenty_items_in_five_sections_and_signs():
    form = fmt.sign_form(generate_ed25519(), {**copy.deepcopy(demo.DISTRICT_FORM), "version": 1})
    assert len(fmt.items(form)) == 20
    assert [s["title"] for s in form["sections"]] == ["保洁", "秩序维护", "绿化", "设施维修", "客户服务"]
    assert sum(item["weight"] for item in fmt.items(form)) == fmt.WEIGHT_TOTAL


def test_demo_owners_answer_the_owners_way_and_the_result_recounts(app, estate, db_session):
    demo.demo_firm(estate, "test")
    form = demo.district_form("test")
    now = utcnow()
    evaluation = ops.open_evaluation(
        estate, form, title="演示测评", opens=now - timedelta(days=2), closes=now + timedelta(days=1), min_answers=3, actor="test"
    )
    members = [SimpleNamespace(id=n, estate_id=estate.id, state="approved", can_vote=True, member_ref=f"owner:{n}") for n in range(7)]
    assert demo.answer_as_owners(evaluation, members, random.Random(1), now - timedelta(days=1), mood=0.6) == 7
    assert evaluation.issued == 7
    result = ops.publish_result(evaluation, signer=signer(), actor="test", now=evaluation.closes)
    summary = fmt.verify_result(result)
    assert summary["answers"] == 7
    assert summary["withheld"] is False
