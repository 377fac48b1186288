"""/demo/voters: which open assembly a visitor is offered first."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from webapp.assemblies.operations import AssemblyFields, prepare_draft
from webapp.core.db import db_now
from webapp.demo.setup import DEMO_SLUG


@pytest.fixture
def demo_estate(app, make_estate, db_session, monkeypatch):
    monkeypatch.setitem(app.config, "OWNERSVOTE_DEMO", True)
    estate = make_estate(DEMO_SLUG, "演示小区")
    now = db_now()

    def voting(title: str, closes_in: timedelta):
        fields = AssemblyFields(title=title, kind="regular", opens_at=now - timedelta(hours=1), closes_at=now + closes_in)
        assembly = prepare_draft(estate, fields, [], prepared_by="test", now=now - timedelta(days=30))
        assembly.state = "voting"
        db_session.commit()
        return assembly

    return voting


def _offered(page: str) -> str:
    return re.search(r"正在投票的会议：([^<]+)<", page).group(1)


def test_an_assembly_about_to_close_is_not_offered_first(client, demo_estate):
    demo_estate("即将截止的会议", timedelta(seconds=60))
    demo_estate("还有几天的会议", timedelta(days=3))
    page = client.get("/demo/voters", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert _offered(page) == "还有几天的会议"
    assert "另一场正在投票的会议：" in page
    assert "即将截止的会议" in page
    assert "不到两分钟就截止投票" not in page


def test_an_assembly_about_to_close_warns_when_chosen_or_alone(client, demo_estate):
    closing = demo_estate("即将截止的会议", timedelta(seconds=60))
    page = client.get("/demo/voters", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert _offered(page) == "即将截止的会议"
    assert "不到两分钟就截止投票" in page
    assert "请改在另一场" not in page  # no other assembly to go to
    demo_estate("还有几天的会议", timedelta(days=3))
    page = client.get(f"/demo/voters?a={closing.id}", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert _offered(page) == "即将截止的会议"
    assert "请改在另一场正在投票的会议中投票" in page


def test_the_short_assembly_is_offered_first_while_there_is_time(client, demo_estate):
    demo_estate("即将截止的会议", timedelta(minutes=5))
    demo_estate("还有几天的会议", timedelta(days=3))
    page = client.get("/demo/voters", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert _offered(page) == "即将截止的会议"


def test_the_demo_home_page_says_its_times_are_beijing_time(client, demo_estate):
    demo_estate("还有几天的会议", timedelta(days=3))
    page = client.get("/", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "还有几天的会议" in page  # the demo's assemblies, with their voting times
    assert "本页时间均为北京时间" in page
