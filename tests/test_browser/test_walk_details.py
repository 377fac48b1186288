"""The smaller things the walk of issue 16 (item 11) found, each where a person meets it, on a
phone in Chinese: a letter of proxy withdrawn only after a confirmation, a re-issued letter that
says so and is not issued twice by a second press, the vetting supervisor opening a paper
nomination's scan, scan links named for people, a certify page that finishes, one count of who
voted, owners who never see a draft, the notice period's hint, the current step of the results,
an upload refusal said whole, a mistyped receipt code, and the answers objectors and nominees
get."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from tests.test_browser.assembly_world import (
    PDF,
    PROXY,
    TITLES,
    announce,
    closing,
    freeze_and_sign,
    opening,
    phone_outside_the_browser,
    server_key,
    signin_owner,
    vote_outside_the_browser,
)

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


def through_the_close(world, clock, voters=("1-101", "1-102", "1-201", "1-202", "2-101", "2-102"), receipts=None) -> int:
    """An assembly announced, its roll signed, six of the eight households voting on phones of
    their own (outside the browser: the tests are about what comes after), and closed.
    ``receipts``: a dict that gets each voter's receipt, by unit."""
    from webapp.assemblies import lifecycle
    from webapp.core.db import db

    assembly_id = announce(world, clock)
    keys = {label: phone_outside_the_browser(world, label) for label in voters}
    freeze_and_sign(world, assembly_id)

    def advance() -> None:  # what the next page view would do
        with world.live.app_context():
            lifecycle.advance_estate(world.estate())
            db.session.commit()

    clock.at(opening(world, assembly_id) + timedelta(hours=1))
    advance()
    for label, signer in keys.items():
        receipt = vote_outside_the_browser(world, assembly_id, signer, {TITLES["statute"]: "agree"})
        if receipts is not None:
            receipts[label] = receipt
    clock.at(closing(world, assembly_id) + timedelta(minutes=1))
    advance()
    return assembly_id


def tallied(world, assembly_id: int) -> None:
    from webapp.core.db import db
    from webapp.results.operations import compute_tally

    with world.live.app_context():
        compute_tally(world.assembly(assembly_id), actor=world.staff("organiser"))
        db.session.commit()


def certified_by(world, assembly_id: int, who: str = "supervisor") -> None:
    """A supervisor's certification, signed with a key of theirs (made outside the browser)."""
    from crypto.canonical import canonical_json
    from webapp.core.db import db
    from webapp.results.operations import certify
    from webapp.results.signatures import payload

    signer = server_key(world, who)
    with world.live.app_context():
        assembly = world.assembly(assembly_id)
        sig = signer.sign_b64(canonical_json(payload(assembly)))
        certify(assembly, actor=world.staff(who), kid=signer.kid, sig=sig, declared_not_voted=True)
        db.session.commit()


def published(world, assembly_id: int) -> None:
    from webapp.core.db import db
    from webapp.results.operations import publish

    with world.live.app_context():
        publish(world.assembly(assembly_id), actor=world.staff("organiser"))
        db.session.commit()


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


def test_the_certify_page_of_a_certified_result_says_so_and_leads_on(browser, assembly_world, clock, shots):
    world, base = assembly_world, assembly_world.base
    assembly_id = through_the_close(world, clock)
    tallied(world, assembly_id)
    certified_by(world, assembly_id, "supervisor")  # the estate needs one signature: certified
    certify = f"{base}/e/{world.slug}/assemblies/{assembly_id}/certify"
    for who in ("supervisor", "supervisor2"):
        page = world.staff_page(browser, who)
        page.goto(certify)
        page.wait_for_load_state("networkidle")
        said = page.inner_text("main")
        assert "此结果已核证：1 位监督员的签名经核验有效（需要 1 位）。" in said, said
        assert "居委会 王敏" in page.inner_text("#cert-done")
        assert "正在本浏览器中核验" not in said  # nothing left checking for ever
        assert page.locator("progress, [data-action=certify]").count() == 0
        if who == "supervisor":
            assert "您已于" in said
            shots(page, "11-certify-page-certified")
        page.click("a:text('下一步：公示结果')")
        page.wait_for_url(f"**/assemblies/{assembly_id}/results")
        assert page.errors == []


NUMBERS_WHOLE = """() => [...document.querySelectorAll('.stats .nowrap')].map(el => [
  el.textContent.trim(), getComputedStyle(el).whiteSpace, el.getClientRects().length])"""


def test_turnout_gives_one_count_of_who_voted_each_figure_labelled_and_no_number_broken(browser, assembly_world, clock, shots):
    world, base = assembly_world, assembly_world.base
    assembly_id = through_the_close(world, clock)  # six of the eight owners voted
    organiser = world.staff_page(browser, "organiser")
    organiser.goto(f"{base}/e/{world.slug}/assemblies/{assembly_id}/turnout")
    stats = organiser.locator(".stats .stat").all_inner_texts()
    assert [" ".join(s.split()) for s in stats] == [
        "已投票的业主 6 人 占全体业主 8 人的 75.00%",
        "已投票业主的面积 607.10 m² 占总面积 832.50 m² 的 72.92%",
    ]
    assert "已投票户数" not in organiser.inner_text("main")  # the second count of the same people
    shots(organiser, "11-turnout")
    numbers = organiser.evaluate(NUMBERS_WHOLE)
    assert [text for text, _space, _lines in numbers] == [
        "6",
        "8",
        "75.00%",
        "607.10 m²",
        "832.50 m²",
        "72.92%",
    ]  # a unit never alone on a line
    for text, white_space, lines in numbers:
        assert (white_space, lines) == ("nowrap", 1), text

    public = world.owner_phone(browser, "1-101")
    public.goto(f"{base}/p/{world.slug}/a/{assembly_id}/turnout")
    said = public.inner_text("main")
    assert "已列出 6 套房屋：每位已投票业主名下的房屋都会列出" in said
    assert "已投票的业主 6 人" in " ".join(said.split())
    assert public.locator("td.unit").count() == 6
    assert organiser.errors == []
    assert public.errors == []


def test_owners_never_see_a_draft_and_are_offered_nominations_only_while_they_are_open(browser, assembly_world, clock, shots):
    from webapp.assemblies import operations as ops
    from webapp.assemblies.operations import AssemblyFields, ItemFields
    from webapp.core.db import db

    world, base = assembly_world, assembly_world.base
    opens = (clock.now + timedelta(days=40)).replace(minute=0, second=0)
    deadline = clock.now + timedelta(days=10)
    with world.live.app_context():
        organiser = world.staff("organiser")
        draft = ops.create_assembly(
            world.estate(),
            AssemblyFields(
                title="2027年第一次业主大会",
                kind="regular",
                opens_at=opens,
                closes_at=opens + timedelta(days=7),
                publication_days=7,
                nomination_deadline=deadline,
            ),
            actor=organiser,
        )
        ops.add_item(draft, "election", ItemFields(category=3, title=TITLES["election"], seats=1, by_election=True), actor=organiser)
        db.session.commit()
        draft_id = draft.id
    zhang = world.owner_phone(browser, "1-101")
    assert "2027年第一次业主大会" not in zhang.inner_text("main")
    assert zhang.locator("a:text('提名候选人')").count() == 0
    zhang.goto(f"{base}/me/a/{draft_id}/nominate")
    assert "页面不存在" in zhang.inner_text("main")
    zhang.errors.clear()  # that 404, asked for on purpose

    # The organisers call for candidates: owners see that call, never the draft itself.
    organiser = world.staff_page(browser, "organiser")
    organiser.goto(f"{base}/e/{world.slug}/assemblies/{draft_id}")
    organiser.click("#call-for-candidates button:text('开始征集候选人')")
    assert "已开始征集候选人" in organiser.inner_text(".flash-success")
    zhang.goto(f"{base}/me")
    call = zhang.inner_text(f"#call-{draft_id}")
    assert "征集候选人" in call
    assert TITLES["election"] in call
    assert "草稿" not in zhang.inner_text("main")
    assert "投票时间" not in call  # nothing of the draft's window, which may still change
    assert f"征集候选人：2027年第一次业主大会（{TITLES['election']}）" in zhang.inner_text("#notices")
    shots(zhang, "11-call-for-candidates", max_height=1400)
    zhang.click(f"#call-{draft_id} a:text('提名候选人')")
    zhang.wait_for_url(f"**/me/a/{draft_id}/nominate")

    # Past the deadline the call is over: no button, and the draft is gone from the page again.
    clock.at(deadline + timedelta(minutes=1))
    signin_owner(zhang, base)
    assert zhang.locator(f"#call-{draft_id}").count() == 0
    assert zhang.locator("a:text('提名候选人')").count() == 0
    assert zhang.errors == []
    assert organiser.errors == []


def test_the_settings_say_the_statutes_notice_period_and_warn_below_it(browser, assembly_world, shots):
    from tests.test_browser.assembly_world import PASSWORD
    from webapp.auth.operations import create_staff
    from webapp.core.db import db

    world, base = assembly_world, assembly_world.base
    with world.live.app_context():
        create_staff(f"admin-{world.slug}", "区住建局 周建国", PASSWORD, admin=True, actor="test")
        db.session.commit()
    world.users["admin"] = f"admin-{world.slug}"
    admin = world.staff_page(browser, "admin")
    admin.goto(f"{base}/e/{world.slug}/settings")
    field = admin.locator("#r-notice_period_days")
    hint = admin.locator("#r-notice_period_days-hint")
    assert field.get_attribute("aria-describedby") == "r-notice_period_days-hint"
    assert "法定为 15 天" in hint.inner_text()
    assert admin.locator("#notice-period-warning").count() == 0  # 15 days: nothing to warn of

    field.fill("3")
    admin.click("form:has(#r-notice_period_days) button.primary")
    admin.wait_for_url("**/settings#rules")
    warned = admin.inner_text(".flash-warning >> nth=0")
    assert "公告期为 3 天，短于法定的 15 天" in warned
    assert "议事规则" in warned
    assert "公告期为 3 天" in admin.inner_text("#notice-period-warning")  # and as long as it stays so
    shots(admin, "11-notice-period-warning")
    with world.live.app_context():
        assert world.estate().notice_period_days == 3  # allowed: the estate's rules may say so
    admin.locator("#r-notice_period_days").fill("15")
    admin.click("form:has(#r-notice_period_days) button.primary")
    admin.wait_for_url("**/settings#rules")
    assert admin.locator(".flash-warning").count() == 0
    assert admin.errors == []


CURRENT_STEP = """() => [...document.querySelectorAll('ol.steps > li')].map(li => [
  li.getAttribute('aria-current'), li.className, getComputedStyle(li).borderLeftWidth])"""


def test_the_results_page_marks_the_step_the_assembly_is_at(browser, assembly_world, clock, shots):
    world, base = assembly_world, assembly_world.base
    assembly_id = through_the_close(world, clock)
    organiser = world.staff_page(browser, "organiser")
    results = f"{base}/e/{world.slug}/assemblies/{assembly_id}/results"

    def marks() -> list:
        organiser.goto(results)
        return organiser.evaluate(CURRENT_STEP)

    assert [m[:2] for m in marks()] == [[None, "done"], ["step", "current"], [None, ""], [None, ""], [None, ""]]
    current = organiser.locator("ol.steps > li[aria-current=step]")
    assert "当前步骤" in current.inner_text()
    assert "计票" in current.inner_text()
    assert marks()[1][2] == "4px"  # seen, not only announced
    assert "已完成" in organiser.inner_text("ol.steps > li >> nth=0")

    tallied(world, assembly_id)
    assert [m[0] for m in marks()] == [None, None, "step", None, None]
    shots(organiser, "11-results-current-step")
    certified_by(world, assembly_id)
    assert [m[0] for m in marks()] == [None, None, None, "step", None]
    assert "公示" in organiser.inner_text("ol.steps > li[aria-current=step]")
    published(world, assembly_id)
    assert [m[0] for m in marks()] == [None, None, None, None, "step"]
    assert organiser.errors == []


def test_an_upload_refusal_is_said_whole(browser, assembly_world, clock, shots):
    from tests.test_browser.assembly_world import upload
    from webapp.assemblies import operations as ops
    from webapp.assemblies.operations import AssemblyFields, ItemFields
    from webapp.core.db import db

    world, base = assembly_world, assembly_world.base
    opens = (clock.now + timedelta(days=40)).replace(minute=0, second=0)
    with world.live.app_context():
        organiser = world.staff("organiser")
        draft = ops.create_assembly(
            world.estate(),
            AssemblyFields(title="2027年第一次业主大会", kind="regular", opens_at=opens, closes_at=opens + timedelta(days=7)),
            actor=organiser,
        )
        item = ops.add_item(draft, "resolution", ItemFields(category=2, title=TITLES["statute"]), actor=organiser)
        db.session.commit()
        item_url = f"{base}/e/{world.slug}/assemblies/{draft.id}/items/{item.id}"
    page = world.staff_page(browser, "organiser")
    page.goto(item_url)
    word = b"PK\x03\x04" + b"\x00" * 64  # a .docx, renamed
    page.set_input_files("#file", upload("管理规约修订稿.pdf", word))
    page.click("form.upload button")
    said = page.inner_text(".flash-error")
    assert said == (
        "只接受 PDF、JPEG、PNG 文件，而这个文件的内容不是其中任何一种（例如 Word、Excel 文件，或改过扩展名的文件）。"
        "请把它另存为 PDF，或拍照保存为 JPEG，再上传。"
    )
    shots(page, "11-upload-refused")
    assert page.errors == []


def test_a_mistyped_receipt_code_gets_a_hint_about_typos_and_a_changed_receipt_the_alarm(browser, assembly_world, clock, shots):
    import json

    from crypto.treehead import tracking_code

    world, base = assembly_world, assembly_world.base
    receipts = {}
    assembly_id = through_the_close(world, clock, receipts=receipts)
    code = tracking_code(bytes.fromhex(receipts["1-101"]["leaf_hash"]))  # the promise's leaf
    _context, page = world.browser_of(browser)
    receipt = page.request.get(f"{base}/p/{world.slug}/a/{assembly_id}/receipt/{code}.json").json()
    check = f"{base}/p/{world.slug}/a/{assembly_id}/check"

    def check_code(typed: str) -> str:
        page.goto(check)
        page.fill("#code", typed)
        page.click("form button.primary")
        return page.inner_text("main")

    said = check_code(code[:-2])  # two characters short
    assert "这不是一个完整的追踪码。追踪码是 12 位字母和数字" in said
    assert "例如 ABCD-EFGH-JKMN" in said
    assert page.locator(".flash-error").count() == 0  # a hint, not the alarm
    assert "✘" not in said
    shots(page, "11-receipt-code-typo")

    slip = code[:-1] + ("0" if code[-1] != "0" else "1")  # one character typed wrong
    said = check_code(slip)
    assert "公开的投票记录中没有这个追踪码的选票。最常见的原因是抄错了一个字符" in said
    assert page.locator(".flash-error").count() == 0
    assert slip in page.inner_text("#check-hint")

    check_code(code.lower().replace("-", " "))  # as a person may type it: found
    assert "您的表决票在公开的投票记录里" in page.inner_text(".flash-success")

    # A receipt that no longer matches the log is the alarm, as before.
    changed = dict(receipt, index=receipt["index"] + 1)
    page.goto(check)
    page.fill("#receipt", json.dumps(changed))
    page.click("form button.primary")
    assert "核验未通过：请立即告知监督员" in page.inner_text(".flash-error")
    assert page.errors == []


def test_a_nominee_reads_the_vetting_on_their_page_and_is_told_of_a_change(browser, assembly_world, clock, shots):
    world, base = assembly_world, assembly_world.base
    assembly_id = announce(world, clock)  # 陈静 (2-101) nominated on paper and approved
    chen = world.owner_phone(browser, "2-101")  # she registers her phone afterwards
    mine = chen.inner_text("#candidacies")
    assert TITLES["election"] in mine
    assert "已通过" in mine
    assert "纸质提名" in mine
    assert "写道：符合候选人条件" in mine

    supervisor = world.staff_page(browser, "supervisor")
    supervisor.goto(f"{base}/e/{world.slug}/assemblies/{assembly_id}/candidates")
    card = supervisor.locator(".row-card:has-text('陈静')")
    card.locator("input[name='d-reason']").fill("经核实尚欠缴物业服务费三个月，不符合候选人条件")
    card.locator("button:text-is('驳回')").click()
    assert "已记录" in supervisor.inner_text(".flash-success")

    chen.goto(f"{base}/me")
    told = chen.inner_text("#notices")
    assert f"资格审查未通过：“{TITLES['election']}”（2026年第一次业主大会）。监督员写道：经核实尚欠缴物业服务费三个月" in told
    mine = chen.inner_text("#candidacies")
    assert "已驳回" in mine
    assert "写道：经核实尚欠缴物业服务费三个月，不符合候选人条件" in mine
    shots(chen, "11-nominee-vetted", max_height=1600)
    assert chen.errors == []
    assert supervisor.errors == []


def test_an_objector_is_told_of_the_answer_and_finds_it_under_their_objection(browser, assembly_world, clock, shots):
    world, base = assembly_world, assembly_world.base
    assembly_id = through_the_close(world, clock)
    tallied(world, assembly_id)
    certified_by(world, assembly_id)
    published(world, assembly_id)
    zhou = world.owner_phone(browser, "2-201")
    results = f"{base}/p/{world.slug}/a/{assembly_id}/results"
    zhou.goto(results)
    zhou.click("#file-objection")  # the objection's own page: one thing on the phone's screen
    zhou.fill("#text", "统" * 3999 + "\n行")  # as the server counts: a line break is sent as two characters
    assert zhou.inner_text("#text-count") == "超出 2 字：请写得简短些，详细材料可作为附件上传。"
    zhou.fill("#text", "我没有收到纸质表决票，请核实投递情况。")
    assert zhou.inner_text("#text-count") == "已写 19 字，最多 4000 字。"
    zhou.click("button:text('提交异议')")
    assert "您的异议已提交" in zhou.inner_text(".flash-success")

    supervisor = world.staff_page(browser, "supervisor")
    supervisor.goto(f"{base}/e/{world.slug}/assemblies/{assembly_id}/results")
    supervisor.fill("textarea[name=answer]", "已核实：2-201 的表决票已于投票开始前送达，签收记录见物业服务中心。")
    supervisor.click("button:text('公布答复')")
    assert "答复已公布" in supervisor.inner_text(".flash-success")

    zhou.goto(f"{base}/me")
    notice = zhou.locator("#notices a:text('监督员已书面答复您对“2026年第一次业主大会”结果提出的异议')")
    assert notice.count() == 1
    shots(zhou, "11-objection-answered-notice", max_height=900)
    notice.click()
    zhou.wait_for_url("**/results#objections")
    yours = zhou.inner_text(".row-card.mine")
    assert "您的" in yours
    assert "我没有收到纸质表决票" in yours
    assert "已核实：2-201 的表决票已于投票开始前送达" in yours
    assert "其中 1 条是您提出的异议" in zhou.inner_text("#my-objections")
    assert zhou.errors == []
    assert supervisor.errors == []
