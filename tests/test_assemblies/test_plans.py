"""A choice among plans (方案选择): organisers list at least two plans, each with a title, a text
and a document; the notice carries them; owners mark one; the tally decides like a selection;
the published bundle verifies offline with the plan item in it."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from crypto.verify import verify_bundle
from tests.factories import LI_TAIL, PDF, ZHANG_TAIL, certify_as

PLANS = "3 号楼电梯更新方案"


def add_plan(s, item_id: int, name: str, text: str = "", file: bool = False):
    data = {"p-name": name, "p-text": text}
    if file:
        data["p-file"] = (io.BytesIO(PDF), f"{name}.pdf")
    return s.post(f"/e/{s.estate.slug}/assemblies/{s.assembly_id}/items/{item_id}", data, content_type="multipart/form-data")


@pytest.fixture
def plan_vote(scenario):
    s = scenario
    s.register_owner("1-101", "张三", ZHANG_TAIL)
    s.register_owner("1-102", "李四", LI_TAIL)
    opens = s.start + timedelta(days=25)
    s.create(opens=opens, closes=opens + timedelta(days=7))
    item = s.add_item("plan", 5, PLANS, text="使用维修资金，三个方案中选定一个。")
    assert add_plan(s, item, "方案一：原井道更换电梯", "拆除旧电梯，原井道安装新电梯。", file=True).status_code == 302
    assert add_plan(s, item, "方案二：只换主机和控制柜", "保留轿厢与导轨。").status_code == 302
    assert add_plan(s, item, "方案三：暂缓更换").status_code == 302
    s.later(days=1)
    s.publish_notice()
    s.freeze_and_sign_roll()
    s.at(opens + timedelta(hours=1))
    s.plan_item = item
    return s


def test_the_notice_lists_each_plan_with_its_text_and_its_documents_digest(plan_vote):
    s = plan_vote
    (entry,) = [i for i in s.assembly.current_notice.document["items"] if i["title"] == PLANS]
    assert entry["kind"] == "plan"
    assert entry["category"] == 5
    assert [o["name"] for o in entry["options"]] == ["方案一：原井道更换电梯", "方案二：只换主机和控制柜", "方案三：暂缓更换"]
    first = entry["options"][0]
    assert first["text"] == "拆除旧电梯，原井道安装新电梯。"
    assert first["attachment_name"] == "方案一：原井道更换电梯.pdf"
    assert len(first["attachment_sha256"]) == 64
    assert "text" not in entry["options"][2]
    page = s.client.get(f"/p/{s.estate.slug}/a/{s.assembly_id}").get_data(as_text=True)
    assert "只能选一个方案" in page or "Choose one plan" in page
    s.post("/logout")
    from webapp.attachments.models import Attachment

    document = s.db.scalar(select(Attachment).where(Attachment.kind == "plan"))
    assert s.client.get(f"/files/{document.id}").status_code == 200  # listed in the notice: public


def test_owners_choose_one_plan_and_the_published_bundle_verifies(plan_vote, tmp_path):
    s = plan_vote
    ids = s.item_ids()
    plans = s.options(PLANS)
    s.sign_in("1-101")
    code, first = s.cast_in_log(s.ballot("1-101", {ids[PLANS]: [plans[0]]}))
    assert code == 201, first
    code, second = s.cast(s.ballot("1-102", {ids[PLANS]: [plans[0]]}))
    assert code == 201, second
    s.at(s.assembly.closes_at + timedelta(minutes=1))
    assert s.client.get(f"/p/{s.estate.slug}/a/{s.assembly_id}").status_code == 200
    s.as_staff("organiser")
    assert s.post(f"/e/{s.estate.slug}/assemblies/{s.assembly_id}/results/tally").status_code == 302
    assert certify_as(s, "supervisor") == 200
    s.as_staff("organiser")
    s.post(f"/e/{s.estate.slug}/assemblies/{s.assembly_id}/results/publish")
    assert s.assembly.state == "published"
    bundle = json.loads(s.client.get(f"/p/{s.estate.slug}/a/{s.assembly_id}/bundle.json").data)
    report = verify_bundle(bundle, [("first", first["receipt"])])
    assert report.ok, report.failures
    (result,) = bundle["tally"]["items"].values()
    assert result["kind"] == "plan"
    page = s.client.get(f"/p/{s.estate.slug}/a/{s.assembly_id}/results").get_data(as_text=True)
    assert "方案一：原井道更换电梯" in page


def test_an_online_ballot_marking_two_plans_is_refused_with_the_reason(plan_vote):
    s = plan_vote
    ids = s.item_ids()
    plans = s.options(PLANS)
    s.sign_in("1-101")
    code, body = s.cast(s.ballot("1-101", {ids[PLANS]: plans[:2]}))
    assert code == 400, body
    assert "at most 1" in body["error_en"]
    from webapp.voting.models import Ballot

    assert s.db.scalar(select(Ballot)) is None


def test_a_notice_with_one_plan_is_refused_with_the_reason(scenario):
    s = scenario
    opens = s.start + timedelta(days=25)
    s.create(opens=opens, closes=opens + timedelta(days=7))
    item = s.add_item("plan", 8, "架空层改造方案")
    add_plan(s, item, "方案一：改作活动室")
    s.later(days=1)
    s.as_staff("organiser")
    page = s.post(f"/e/{s.estate.slug}/assemblies/{s.assembly_id}/publish", follow_redirects=True).get_data(as_text=True)
    assert "方案选择至少需要两个方案" in page
    assert s.assembly.notice_version == 0


def test_two_plans_of_the_same_title_are_refused(scenario):
    s = scenario
    opens = s.start + timedelta(days=25)
    s.create(opens=opens, closes=opens + timedelta(days=7))
    item = s.add_item("plan", 7, "大门改造方案")
    add_plan(s, item, "方案一")
    add_plan(s, item, " 方案一 ")
    from webapp.assemblies.models import AgendaItem

    assert len(s.db.get(AgendaItem, item).plans) == 1
    assert "已有同名方案" in s.client.get(f"/e/{s.estate.slug}/assemblies/{s.assembly_id}/items/{item}").get_data(as_text=True)


def test_reading_the_estates_assemblies_changes_nothing_and_the_page_makes_due_transitions(scenario):
    """Listing assemblies is a read; the page that shows them makes the transitions due first."""
    s = scenario
    s.register_owner("1-101", "张三", ZHANG_TAIL)
    opens = s.start + timedelta(days=25)
    s.create(opens=opens, closes=opens + timedelta(days=7))
    s.add_item("resolution", 2, "修订管理规约")
    s.later(days=1)
    s.publish_notice()
    s.freeze_and_sign_roll()
    s.at(opens + timedelta(hours=1))
    from webapp.assemblies.presentation import estate_assemblies

    assert [a.state for a in estate_assemblies(s.estate)] == ["notice"]
    assert s.assembly.state == "notice"
    s.post("/logout")
    assert s.client.get(f"/p/{s.estate.slug}/assemblies").status_code == 200
    s.db.expire_all()
    assert s.assembly.state == "voting"
