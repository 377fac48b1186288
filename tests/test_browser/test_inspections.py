"""A supervisor inspects an estate's firm on a phone, in Chromium at 390×844 and in Chinese: makes a
signing key, scores the standard form, adds a photo (re-drawn on the device, without its camera
metadata), signs and records the inspection, then issues a rectification notice signed on the
device; the firm signs in with its own login, reads the notice and answers it in writing; the
supervisor reads the answer and records a follow-up with each item rectified."""

from __future__ import annotations

import hashlib
import json
import random
import re
from datetime import date

import pytest

from tests.factories import photo_bytes
from tests.test_browser.assembly_world import PASSWORD
from tests.test_browser.net import new_page, staff_login
from webapp.demo.registry import uscc

pytestmark = pytest.mark.browser

SLUG = "insp-lvyuan"
# A credit code of this test's own: the live server's database is shared by every browser test of
# the worker, and test_rankings registers the demo's codes.
FIRM = ("杭州绿苑物业服务有限公司（检查测试）", uscc(random.Random(4242)))


@pytest.fixture(scope="module")
def inspected_estate(live, tmp_path_factory):
    """An estate served by a firm, its supervisor, the standard form and the firm's login (made
    once: the live server's database lives as long as the session); a camera's photo to add."""
    from webapp.auth.operations import assign_role, create_staff
    from webapp.core.db import db
    from webapp.core.roles import Role
    from webapp.estates.operations import create_estate
    from webapp.firms.operations import assign_estate, create_account, create_firm
    from webapp.inspections import operations as ops
    from webapp.inspections.standard import STANDARD_FORM

    with live.app_context():
        estate = create_estate(SLUG, "绿苑小区（检查测试）", actor="test")
        firm = create_firm(name=FIRM[0], uscc=FIRM[1], actor="test")
        assign_estate(firm, estate, date(2025, 1, 1), actor="test")
        supervisor = create_staff("insp-supervisor", "绿苑社区居委会 王敏", PASSWORD, actor="test")
        assign_role(supervisor, estate, Role.supervisor, actor="test")
        if not ops.latest_forms():
            ops.publish_form(dict(STANDARD_FORM), actor="test")
        create_account(firm, username="insp-firm", display_name="杭州绿苑物业 项目经理 吴志刚", password=PASSWORD, actor="test")
        db.session.commit()
    photo = tmp_path_factory.mktemp("camera") / "stairs.jpg"
    photo.write_bytes(photo_bytes(exif=True))  # as a phone's camera makes it, place and all
    return photo


def test_a_supervisor_inspects_with_a_photo_issues_a_notice_and_the_firm_answers_it(browser, live, inspected_estate, shots, tmp_path):
    from webapp.core.db import db
    from webapp.inspections.models import FirmAnswer, Inspection, RectificationNotice
    from webapp.inspections.operations import photos_of
    from webapp.inspections.photos import metadata_problem

    base = live.base
    _context, page = new_page(browser)
    staff_login(page, base, "insp-supervisor", PASSWORD)
    page.goto(f"{base}/staff/keys")
    with page.expect_navigation():
        page.click("[data-action=register-key]")
    # The keys page marks the key this browser holds (a supervisor may have several phones).
    page.wait_for_selector("[data-this-browser]:not([hidden])")
    assert page.locator("[data-this-browser]:not([hidden])").count() == 1
    # Another browser of the same supervisor, without that key, says so above the form before a
    # mark is entered (not only when the supervisor taps "sign" at the end).
    _other_context, other = new_page(browser)
    staff_login(other, base, "insp-supervisor", PASSWORD)
    other.goto(f"{base}/e/{SLUG}/inspections/new")
    other.wait_for_selector("[data-nokey-warning]")
    assert "这个浏览器里没有您的签名密钥" in other.inner_text("[data-nokey-warning]")
    # Tapping sign there says first what is wrong in the form, then that the key is missing,
    # with the way to make one (the walk met "no key" over a mark of 12 out of 10).
    other.fill("#score-handrails", "12")
    other.click("[data-action=sign-inspection]")
    other.wait_for_selector("input[data-item][aria-invalid=true]")  # the first mark to correct
    assert "请为每一项打分：0 到该项满分之间的整数" in other.inner_text("#sign-status")
    for field in other.query_selector_all("input[data-item]"):
        field.fill(field.get_attribute("max"))
    other.click("[data-action=sign-inspection]")
    other.wait_for_selector("#sign-status a")
    assert "这个浏览器里没有您的签名密钥" in other.inner_text("#sign-status")
    assert "/staff/keys?next=" in other.get_attribute("#sign-status a", "href")
    other.goto(f"{base}/staff/keys")
    other.wait_for_load_state("networkidle")
    assert other.locator("[data-this-browser]:not([hidden])").count() == 0
    # The warning links to making a key for that browser, which leads back to the form.
    other.goto(f"{base}/e/{SLUG}/inspections/new")
    other.click("[data-nokey-warning] a")
    other.wait_for_selector("#key-needed")
    with other.expect_navigation(url=f"**/e/{SLUG}/inspections/new#key-made"):
        other.click("[data-action=register-key]")
    other.wait_for_selector("[data-key-made]")
    assert "现在可以在这里签名了" in other.inner_text("[data-key-made]")
    assert not other.query_selector("[data-nokey-warning]")

    page.goto(f"{base}/e/{SLUG}/inspections")
    page.click("a:text('开始检查')")
    page.wait_for_url(f"**/e/{SLUG}/inspections/new")
    for field in page.query_selector_all("input[data-item]"):
        field.fill(field.get_attribute("max"))
    page.fill("#score-stairwells", "3")
    page.fill("#note-stairwells", "3号楼二至五层楼道堆放纸箱、旧家具")
    page.fill("#score-fire-lanes", "4")
    page.fill("#note-fire-lanes", "北侧消防通道停有两辆私家车")
    page.fill("#notes", "整体尚可，楼道和消防通道须整改。")
    page.set_input_files("#photos", str(inspected_estate))
    assert not page.query_selector("[data-nokey-warning]")  # the key is in this browser now
    # A mark over the item's scale: nothing is sent, and the phone is taken to that mark.
    page.fill("#score-handrails", "12")
    page.click("[data-action=sign-inspection]")
    page.wait_for_selector("#score-handrails[aria-invalid=true]")
    assert page.evaluate("document.activeElement.id") == "score-handrails"
    page.fill("#score-handrails", "10")
    shots(page, "inspection-1-scores", max_height=2400)
    page.click("[data-action=sign-inspection]")
    page.wait_for_url(re.compile(r".*/inspections/\d+$"))
    assert "已核验" in page.inner_text("main")
    shots(page, "inspection-2-recorded", max_height=2400)

    with live.app_context():
        # (the live server's database is shared by the worker's browser tests: this estate's own)
        inspection = db.session.query(Inspection).join(Inspection.estate).filter_by(slug=SLUG).one()
        stored = photos_of("inspection", inspection.id)
        assert len(stored) == 1
        photo = stored[0]
        document = json.loads(inspection.document)
        assert document["photos"] == [photo.sha256]
        assert photo.content_type == "image/jpeg"
        # Re-drawn on the phone: not the camera's bytes, and without their EXIF.
        assert photo.sha256 != hashlib.sha256(inspected_estate.read_bytes()).hexdigest()
        inspection_id = inspection.id

    # The items that scored below 60% are filled in; the supervisor adds one and signs.
    assert page.input_value("#notice-item-1").startswith("楼道保洁")
    page.fill("#notice-extra-0", "公告栏更新收费标准和投诉电话")
    page.click("[data-action=sign-notice]")
    page.wait_for_url(re.compile(r".*/notices/\d+$"))
    assert "整改通知第" in page.inner_text("main")
    shots(page, "inspection-3-notice", max_height=2400)
    with live.app_context():
        notice = db.session.query(RectificationNotice).filter_by(inspection_id=inspection_id).one()
        assert notice.items == 3
        assert notice.inspection_id == inspection_id
        notice_id = notice.id

    # The firm signs in with its own login, reads the notice and answers it.
    _firm_context, desk = new_page(browser)
    desk.goto(f"{base}/login")
    desk.click("a:text('物业服务企业登录')")
    desk.fill("#username", "insp-firm")
    desk.fill("#password", PASSWORD)
    desk.click("button.primary")
    desk.wait_for_url("**/firm")
    assert "尚未答复" in desk.inner_text("main")
    shots(desk, "inspection-4-firm-home")
    desk.click(f"a[href='/firm/notices/{notice_id}']")
    # A photo of the cleared stairwell, as the firm's phone takes it: with the place in its EXIF.
    after = tmp_path / "IMG_20261208_cleared.jpg"
    after.write_bytes(photo_bytes(gps=True, colour=(90, 140, 90)))
    assert metadata_problem(after.read_bytes(), "image/jpeg") is not None
    desk.set_input_files("#photo", str(after))
    desk.wait_for_selector("#photo-status.flash-success")
    assert "拍摄信息已去掉" in desk.inner_text("#photo-status")
    # Sent without its text, the answer is stopped on the phone, its photo still chosen (a
    # refusal from the server would come back without it).
    desk.click("form button.primary")
    desk.wait_for_selector("[data-fill-first]")
    assert "请先填写答复；已选的照片仍然保留。" in desk.inner_text("[data-fill-first]")
    assert desk.evaluate("document.querySelector('#photo').files.length") == 1
    desk.fill("#text", "已收到。3号楼楼道杂物已清理；消防通道已联系车主挪车；公告栏本周内更新。")
    desk.click("form button.primary")
    desk.wait_for_url(f"**/firm/notices/{notice_id}")
    assert "答复已记录" in desk.inner_text("body")
    with live.app_context():
        reply = db.session.query(FirmAnswer).filter_by(notice_id=notice_id).one()
        [kept] = photos_of("answer", reply.id)
        # Re-drawn on the firm's phone: not the camera's bytes, and without their EXIF.
        assert kept.sha256 != hashlib.sha256(after.read_bytes()).hexdigest()
        assert kept.content_type == "image/jpeg"
        answer_photo = kept.id
    desk.wait_for_selector(f"img[src='/files/{answer_photo}']")
    assert desk.evaluate(f"document.querySelector(\"img[src='/files/{answer_photo}']\").naturalWidth") == 48
    shots(desk, "inspection-5-firm-answered", max_height=2400)

    # The supervisor reads the answer and records the follow-up: every item rectified.
    page.goto(f"{base}/e/{SLUG}/notices/{notice_id}")
    assert "已收到。3号楼楼道杂物已清理" in page.inner_text("main")
    page.wait_for_selector(f"img[src='/files/{answer_photo}'][alt='企业答复所附照片 1']")
    for box in page.query_selector_all("[data-rectified]"):
        box.check()
    page.click("[data-action=sign-followup]")
    page.wait_for_url(f"**/notices/{notice_id}")
    page.wait_for_selector("text=3 项中已整改 3 项")
    assert "全部整改完毕" in page.inner_text("main")
    shots(page, "inspection-6-followup", max_height=2400)
    with live.app_context():
        assert db.session.get(RectificationNotice, notice_id).state == "rectified"


def test_a_chosen_file_that_is_no_photo_is_named_and_left_out_and_the_others_are_kept(browser, live, inspected_estate, tmp_path):
    from crypto.inspection import MAX_PHOTOS

    _context, page = new_page(browser)
    staff_login(page, live.base, "insp-supervisor", PASSWORD)
    page.goto(f"{live.base}/e/{SLUG}/inspections/new")
    broken = tmp_path / "楼道.jpg"
    broken.write_bytes(b"this was never a photo")
    heic = tmp_path / "IMG_0001.heic"
    heic.write_bytes(b"\x00\x00\x00\x18ftypheic")
    page.set_input_files("#photos", [str(inspected_estate), str(broken), str(heic)])
    page.wait_for_selector("#photos-status.flash-warning")  # some kept, some left out
    status = page.inner_text("#photos-status")
    assert "“楼道.jpg”不是 JPEG 或 PNG 照片，已略去。" in status
    assert "“IMG_0001.heic”不是 JPEG 或 PNG 照片，已略去。" in status
    assert "兼容性最佳" in status  # what an iPhone's owner does about HEIC
    assert "已选好 1 张照片" in status
    assert page.evaluate("document.querySelector('#photos').files.length") == 1

    # A second choice adds to the first, up to the most a record takes; those beyond are named.
    many = []
    for n in range(MAX_PHOTOS + 1):
        path = tmp_path / f"photo-{n}.png"
        path.write_bytes(photo_bytes("PNG", colour=(20 * n, 100, 200 - 20 * n)))
        many.append(str(path))
    page.set_input_files("#photos", many)
    page.wait_for_selector("#photos-status:has-text('已略去')")
    status = page.inner_text("#photos-status")
    left_out = "、".join(f"“photo-{n}.png”" for n in range(MAX_PHOTOS - 1, MAX_PHOTOS + 1))
    assert f"照片最多 {MAX_PHOTOS} 张：{left_out}已略去。" in status
    assert f"已选好 {MAX_PHOTOS} 张照片" in status
    assert page.evaluate("document.querySelector('#photos').files.length") == MAX_PHOTOS

    # The same photo again is named as such; the button under the field removes them all.
    page.set_input_files("#photos", [many[0]])
    page.wait_for_selector("#photos-status:has-text('相同')")
    assert "“photo-0.png”与已选的一张照片相同，已略去。" in page.inner_text("#photos-status")
    page.click("#photos-clear")
    page.wait_for_selector("#photos-clear", state="hidden")
    assert page.evaluate("document.querySelector('#photos').files.length") == 0
