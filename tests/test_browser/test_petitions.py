"""Owners petition for an extraordinary meeting, in Chromium at phone size and in Chinese (issue
21, item 1): an owner starts a petition from their page and signs it on the phone, another owner
signs on theirs, the public page shows the area and the heads against both shares, and when both
are reached the organiser finds the line on the estate's overview and the draft of the meeting;
the exported petition passes `ownersvote verify-petition`, and a tampered copy fails it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from crypto import petition as cp
from tests.test_browser.net import check_again, new_page

pytestmark = pytest.mark.browser

SUBJECT = "罢免业主委员会主任"
OWNERSVOTE = [sys.executable, "-c", "from webapp.cli import main; main()"]


def sign_here(page) -> str:
    """The owner's phone signs the petition shown; returns the tracking code the page gives."""
    page.wait_for_selector("[data-action=sign-petition]")
    page.click("[data-action=sign-petition]")
    page.wait_for_selector("#mine")
    return page.inner_text("#mine .code")


def test_owners_petition_on_their_phones_until_both_shares_are_reached_and_the_committee_gets_a_draft(
    browser, assembly_world, live, shots, tmp_path
):
    from sqlalchemy import select

    from webapp.auth.models import StaffNotice
    from webapp.core.db import db
    from webapp.petitions.models import Petition

    world, base = assembly_world, assembly_world.base

    # 张三 starts the petition from his page and signs it on his phone.
    zhang = world.owner_phone(browser, "1-101")
    zhang.click("#petitions a:text('发起提议')")
    zhang.fill("#subject", SUBJECT)
    zhang.fill("#text", "主任长期不召开会议、不公开账目，提议召开临时会议表决罢免。")
    zhang.select_option("#category", value="3")
    shots(zhang, "petition-start")
    zhang.click("form button:text('发起提议')")
    zhang.wait_for_selector("h1:text('罢免业主委员会主任')")
    first = sign_here(zhang)
    assert "本户已于" in zhang.inner_text("#mine")
    heads = zhang.inner_text("#progress-heads")
    assert "占业主总人数 8 人的 12.50%" in heads
    assert "至少需要 2 人（20%）" in heads
    assert "尚未达到" in heads
    assert "89.50 m²" in zhang.inner_text("#progress-area")
    shots(zhang, "petition-signed")

    # 李四 finds it on his page and signs: both shares are reached (209.50 of 832.50 m², 2 of 8).
    li = world.owner_phone(browser, "1-102")
    li.click("#petitions a:text('阅读并签名')")
    second = sign_here(li)
    assert first != second
    assert "达到面积和人数比例" in li.inner_text("#outcome")
    check_again(li)

    # Anyone reads the progress against both shares.
    _context, public = new_page(browser)
    world.contexts.append(_context)
    with live.app_context():
        petition = db.session.scalars(select(Petition).where(Petition.subject == SUBJECT).order_by(Petition.id.desc())).first()
        seq, assembly_id, estate_id = petition.seq, petition.assembly_id, petition.estate_id
        assert petition.state == "succeeded"
    public.goto(f"{base}/p/{world.slug}/petitions/{seq}")
    area, heads = public.inner_text("#progress-area"), public.inner_text("#progress-heads")
    assert "209.50 m²" in area
    assert "至少需要 166.50 m²（20%）" in area.replace("平方米", "m²") or "至少需要 166.50 平方米（20%）" in area
    assert "已达到" in area
    assert "占业主总人数 8 人的 25.00%" in heads
    assert "已达到" in heads
    shots(public, "petition-public", max_height=2 * 844)

    # The committee (the organisers) and the supervisors are told; the draft is there.
    with live.app_context():
        told = db.session.scalars(select(StaffNotice).where(StaffNotice.estate_id == estate_id)).all()
        assert {n.user_id for n in told} == {world.staff(w).id for w in ("organiser", "organiser2", "supervisor", "supervisor2")}
    organiser = world.staff_page(browser, "organiser")
    organiser.goto(f"{base}/e/{world.slug}/")
    assert "已达到面积和人数比例" in organiser.inner_text("#staff-notices")
    organiser.click("#staff-notices a")
    organiser.wait_for_url(f"**/e/{world.slug}/assemblies/{assembly_id}")
    assert f"业主大会临时会议：{SUBJECT}" in organiser.inner_text("main")
    shots(organiser, "petition-draft")
    organiser.goto(f"{base}/e/{world.slug}/petitions")
    assert "已达到比例" in organiser.inner_text("main")

    # The export passes the offline check; a tampered copy does not.
    export = json.loads(public.evaluate(f"fetch('/p/{world.slug}/petitions/{seq}/export.json').then(r => r.text())"))
    assert cp.verify_export(export).state == "succeeded"
    good, bad = tmp_path / "petition.json", tmp_path / "tampered.json"
    good.write_text(json.dumps(export, ensure_ascii=False))
    export["entries"][0]["received"] += 1
    bad.write_text(json.dumps(export, ensure_ascii=False))
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    ok = subprocess.run([*OWNERSVOTE, "verify-petition", str(good)], capture_output=True, text=True, env=env, timeout=60)
    assert ok.returncode == 0, ok.stderr
    assert "2 of 8 members signed" in ok.stdout
    assert "succeeded" in ok.stdout
    failed = subprocess.run([*OWNERSVOTE, "verify-petition", str(bad)], capture_output=True, text=True, env=env, timeout=60)
    assert failed.returncode == 1
    assert "FAILED" in failed.stderr

    for page in (zhang, li, public, organiser):
        assert page.errors == []
