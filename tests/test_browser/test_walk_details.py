"""The smaller things the walk of issue 16 (item 11) found, each where a person meets it, on a
phone in Chinese: a letter of proxy withdrawn only after a confirmation, a re-issued letter that
says so and is not issued twice by a second press, the vetting supervisor opening a paper
nomination's scan, scan links named for people, a certify page that finishes, one count of who
voted, owners who never see a draft, the notice period's hint, the current step of the results,
an upload refusal said whole, a mistyped receipt code, and the answers objectors and nominees
get."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from tests.test_browser.assembly_world import PDF, PROXY, announce

pytestmark = pytest.mark.browser


def enter_proxy(world, assembly_id: int, label: str = "1-201") -> int:
    """A letter of proxy as the organiser enters it (its scan attached), waiting for a supervisor."""
    from webapp.assemblies.operations import attach
    from webapp.core.db import db
    from webapp.proxies import operations as pops

    with world.live.app_context():
        assembly, organiser = world.assembly(assembly_id), world.staff("organiser")
        scan = attach(assembly, actor=organiser, kind="proxy", owner_id=None, data=PDF + b"proxy", filename="委托书.pdf")
        proxy = pops.create(
            assembly,
            actor=organiser,
            unit_label=label,
            proxy_name=PROXY[0],
            proxy_id_tail=PROXY[1],
            scope="代为参加2026年第一次业主大会并对全部事项表决",
            signed_on=date.today(),
            scan_id=scan.id,
            scan_sha256=scan.sha256,
            pii_key=world.live.config["OWNERSVOTE_PII_HMAC_KEY"],
        )
        scan.owner_id = proxy.id
        db.session.commit()
        return proxy.id


def proxy_state(world, proxy_id: int) -> str:
    from webapp.core.db import db
    from webapp.proxies.models import Proxy

    with world.live.app_context():
        return db.session.scalar(select(Proxy.state).where(Proxy.id == proxy_id))


def test_an_owner_withdraws_a_letter_of_proxy_only_after_confirming(browser, assembly_world, clock, shots):
    world, base = assembly_world, assembly_world.base
    assembly_id = announce(world, clock)
    proxy_id = enter_proxy(world, assembly_id)
    wang = world.owner_phone(browser, "1-201")

    # One tap on her page only asks: nothing is withdrawn yet.
    wang.click("#proxies a:text('撤回这份委托')")
    wang.wait_for_url(f"**/me/proxies/{proxy_id}/withdraw")
    asked = wang.inner_text("main")
    assert "撤回委托书吗？" in asked
    assert f"{PROXY[0]} 将不再代表您的房屋（1-201）" in asked
    assert proxy_state(world, proxy_id) == "pending"
    shots(wang, "11-proxy-withdraw-confirm")

    # She changes her mind: back to her page, the letter still in force.
    wang.click("a:text('不撤回，返回我的页面')")
    wang.wait_for_url("**/me#proxies")
    assert proxy_state(world, proxy_id) == "pending"

    # A reload of her page, or a form from an old page, withdraws nothing without the question.
    wang.goto(f"{base}/me")
    wang.click("#proxies a:text('撤回这份委托')")
    wang.click("button:text('确认撤回委托书')")
    wang.wait_for_url("**/me#proxies")
    assert f"委托已撤回：{PROXY[0]} 不能再代表您的房屋投票。" in wang.inner_text(".flash-success")
    assert proxy_state(world, proxy_id) == "withdrawn"
    assert wang.locator("#proxies").count() == 0
    assert wang.errors == []


def letter_states(world, label: str) -> list[str]:
    from webapp.core.db import db
    from webapp.owners.models import Invitation
    from webapp.registry.models import Unit

    with world.live.app_context():
        unit_ids = [u.id for u in db.session.scalars(select(Unit).where(Unit.estate_id == world.estate().id)) if u.label == label]
        return sorted(db.session.scalars(select(Invitation.state).where(Invitation.unit_id.in_(unit_ids))))


def test_a_reissued_letter_says_so_and_a_second_press_does_not_silently_issue_another(browser, assembly_world, shots, tmp_path):
    world, base = assembly_world, assembly_world.base
    world.letter("1-101")  # the letter the owner lost
    supervisor = world.staff_page(browser, "supervisor")
    supervisor.goto(f"{base}/e/{world.slug}/letters")
    supervisor.fill("#re-unit", "1-101")
    supervisor.fill("#re-reason", "业主手机丢失")
    supervisor.click("button:text('补发新的告知书')")
    supervisor.wait_for_url("**/jobs/*")
    supervisor.wait_for_selector(".job-status[data-job-state=done]")
    said = supervisor.inner_text("main")
    assert "已为 1-101 补发新的告知书" in said
    assert "此前的告知书已作废，不能再用来登记" in said
    shots(supervisor, "11-reissued-letter")
    with supervisor.expect_download() as download:
        supervisor.click("a[data-job-download]")
    download.value.save_as(tmp_path / "letter.pdf")
    assert (tmp_path / "letter.pdf").read_bytes().startswith(b"%PDF")
    assert letter_states(world, "1-101") == ["active", "void"]

    # Back on the letters page, the same form pressed again: the letter just made is shown.
    supervisor.goto(f"{base}/e/{world.slug}/letters")
    assert "房屋 1-101 · 理由：业主手机丢失" in supervisor.inner_text("main")
    supervisor.fill("#re-unit", "1-101")
    supervisor.fill("#re-reason", "业主手机丢失")
    supervisor.click("button:text('补发新的告知书')")
    assert "刚刚已为 1-101 补发了新的告知书" in supervisor.inner_text("main")
    assert letter_states(world, "1-101") == ["active", "void"]
    shots(supervisor, "11-reissue-again")
    supervisor.click("a:text('打开刚补发的告知书（PDF）')")
    supervisor.wait_for_url("**/jobs/*")

    # The new letter was lost as well: asked again, and confirmed, another one is made.
    supervisor.goto(f"{base}/e/{world.slug}/letters")
    supervisor.fill("#re-unit", "1-101")
    supervisor.fill("#re-reason", "补发的告知书又丢了")
    supervisor.click("button:text('补发新的告知书')")
    supervisor.click("button:text('为 1-101 再补发一封')")
    supervisor.wait_for_url("**/jobs/*")
    supervisor.wait_for_selector(".job-status[data-job-state=done]")
    assert letter_states(world, "1-101") == ["active", "void", "void"]
    assert supervisor.errors == []


SCAN_NAME = r"（PDF，1 KB，\d{4}-\d{2}-\d{2} 上传）"


def test_the_vetting_supervisor_opens_a_paper_nominations_scan_named_for_people(browser, assembly_world, clock, shots):
    import re

    world, base = assembly_world, assembly_world.base
    assembly_id = announce(world, clock)  # three paper nominations, each with its scan
    supervisor = world.staff_page(browser, "supervisor")
    supervisor.goto(f"{base}/e/{world.slug}/assemblies/{assembly_id}/candidates")
    card = supervisor.locator(".row-card:has-text('陈静')")
    link = card.locator("a:text('提名表和承诺书扫描件')")
    assert re.fullmatch("提名表和承诺书扫描件" + SCAN_NAME, link.inner_text()), link.inner_text()
    assert not re.search(r"[0-9a-f]{12}", card.inner_text())  # a name, not a digest
    shots(supervisor, "11-nomination-scan-link")
    opened = supervisor.request.get(base + link.get_attribute("href"))
    assert opened.status == 200
    assert opened.body() == PDF + b"2-101"

    # The letters of proxy are named the same way.
    enter_proxy(world, assembly_id)
    supervisor.goto(f"{base}/e/{world.slug}/assemblies/{assembly_id}/proxies")
    scan = supervisor.locator(".row-card:has-text('1-201') a:text('委托书扫描件')")
    assert re.fullmatch("委托书扫描件" + SCAN_NAME, scan.inner_text()), scan.inner_text()
    assert not re.search(r"[0-9a-f]{12}", supervisor.inner_text(".row-card:has-text('1-201')"))
    assert supervisor.request.get(base + scan.get_attribute("href")).status == 200
    assert supervisor.errors == []
