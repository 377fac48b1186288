"""The registry import in the browser: upload → preview → apply, and rejection with a report."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from tests.factories import GOOD, ZHANG, csv_bytes
from webapp.audit.models import AuditEvent
from webapp.registry.models import RegistryImport, Unit


@pytest.fixture
def admin(make_estate, make_staff, login):
    estate = make_estate()
    make_staff("root", admin=True)
    login("root")
    return estate


def upload(post, data: bytes, name: str = "registry.csv"):
    return post("/e/lvyuan/registry/import", {"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")


def test_upload_shows_a_preview_and_changes_nothing_until_applied(client, post, admin, db_session):
    response = upload(post, GOOD)
    assert response.status_code == 302
    preview = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "新增房屋：6" in preview
    assert db_session.scalar(select(func.count(Unit.id))) == 0
    import_id = re.search(r"/import/(\d+)", response.headers["Location"]).group(1)
    applied = post(f"/e/lvyuan/registry/import/{import_id}/apply")
    assert applied.status_code == 302
    assert db_session.scalar(select(func.count(Unit.id))) == 6
    assert db_session.scalar(select(AuditEvent).where(AuditEvent.action == "registry.import")) is not None


def test_the_staged_upload_keeps_no_identity_number_in_clear(client, post, admin, db_session):
    upload(post, GOOD)
    staged = db_session.scalar(select(RegistryImport))
    assert ZHANG not in str(staged.plan)


def test_a_rejected_file_shows_every_bad_row_in_chinese(client, post, admin, db_session):
    response = upload(post, csv_bytes(f"1,101,0,,张三,{ZHANG},,", "1,102,80,,李四,123,,"))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "面积“0”不是正数" in page
    assert "证件号“1*3”无效" in page
    assert db_session.scalar(select(func.count(RegistryImport.id))) == 0


def test_the_report_names_the_file_s_own_headers_and_a_masked_identity_number(client, post, admin, db_session):
    bad = "110105194912310021"  # a wrong check digit
    data = csv_bytes(f"1,101,89.5,张三,{ZHANG}", f"1,102,80,李四,{bad}", header="楼栋,房号,面积,业主,证件号码")
    page = upload(post, data).get_data(as_text=True)
    row = re.search(r"<tr><td class=\"num\">3</td><td>(.*?)</td><td>(.*?)</td></tr>", page)
    assert row
    assert row.group(1) == "证件号码"
    assert "110105********0021" in row.group(2)
    assert "id_number" not in page
    assert bad not in page
    post("/lang", {"lang": "en"})
    page = upload(post, csv_bytes(f"1,101,89.5,张三,{bad}", header="building,unit,area,owner,id")).get_data(as_text=True)
    assert "<td>id</td>" in page
    assert "identity number &#39;110105********0021&#39;" in page


def test_a_preview_cannot_be_applied_after_the_registry_changed(client, post, admin, db_session):
    first = upload(post, GOOD).headers["Location"]
    second = upload(post, csv_bytes(f"9,901,80,,张三,{ZHANG},,")).headers["Location"]
    post(second.replace("ownersvote.test", "").split("/e/", 1)[0] + "/e/" + second.split("/e/", 1)[1] + "/apply")
    response = post("/e/" + first.split("/e/", 1)[1] + "/apply", follow_redirects=True)
    assert "预览之后名册已被修改" in response.get_data(as_text=True)
    assert db_session.scalar(select(func.count(Unit.id))) == 1


def registry_of(units: int, *, first: int = 1) -> bytes:
    """A registry of ``units`` flats in building 1, each with its own owner."""
    import random

    from webapp.demo.registry import resident_id

    return csv_bytes(*[f"1,{n},80,,业主{n},{resident_id(random.Random(n))},," for n in range(first, first + units)])


@pytest.fixture
def forty_units(admin, db_session):
    from webapp.registry.importing import import_file

    import_file(admin, registry_of(40), "full.csv", actor="test")
    db_session.commit()
    return admin


def staged_path(response) -> str:
    return "/e/" + response.headers["Location"].split("/e/", 1)[1]


def test_a_file_removing_most_units_is_previewed_with_a_warning_and_apply_is_not_the_primary_action(client, post, forty_units):
    page = client.get(staged_path(upload(post, registry_of(3)))).get_data(as_text=True)
    assert 'role="alert"' in page
    assert "此文件将移除名册现有 40 套房屋中的 37 套（92%）及 37 位业主" in page
    buttons = re.findall(r'<button type="submit" class="([^"]+)">([^<]+)</button>', page)
    assert [b for b in buttons if b[0] != "link"] == [("button primary", "放弃"), ("button", "导入并移除 37 套房屋")]
    apply_form = re.search(r'<form[^>]*/apply">(.*?)</form>', page, re.S).group(1)
    assert 'name="removal_confirmation"' in apply_form
    assert "请输入将移除的房屋数（37）" in apply_form


def test_a_large_removal_is_refused_without_the_typed_number_and_changes_nothing(client, post, forty_units, db_session):
    preview = staged_path(upload(post, registry_of(3)))
    for typed in (None, "3", "40"):
        response = post(preview + "/apply", {} if typed is None else {"removal_confirmation": typed})
        assert response.status_code == 302
        assert response.headers["Location"].endswith(preview)
        page = client.get(preview).get_data(as_text=True)
        assert "请输入将移除的房屋数 37 予以确认。未做任何修改。" in page
    assert db_session.scalar(select(func.count(Unit.id))) == 40
    assert db_session.scalar(select(RegistryImport.state).order_by(RegistryImport.id.desc()).limit(1)) == "pending"
    assert db_session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "registry.import")) == 1


def test_a_large_removal_applies_once_the_number_of_removed_units_is_typed(client, post, forty_units, db_session):
    preview = staged_path(upload(post, registry_of(3)))
    response = post(preview + "/apply", {"removal_confirmation": " 37 "}, follow_redirects=True)
    assert "名册已应用：新增 0 套，变更 0 套，移除 37 套" in response.get_data(as_text=True)
    assert db_session.scalar(select(func.count(Unit.id))) == 3


def test_a_small_removal_applies_with_the_ordinary_primary_button(client, post, forty_units, db_session):
    preview = staged_path(upload(post, registry_of(36)))  # 4 of 40 removed: fewer than 10 units
    page = client.get(preview).get_data(as_text=True)
    assert 'role="alert"' not in page
    assert 'class="button primary">确认导入此名册' in page
    post(preview + "/apply")
    assert db_session.scalar(select(func.count(Unit.id))) == 36


def test_the_lists_of_added_and_removed_units_say_how_many_more_there_are(client, post, forty_units):
    page = client.get(staged_path(upload(post, registry_of(75, first=41)))).get_data(as_text=True)
    assert "新增房屋：75" in page
    assert "…及另外 45 套" in page
    assert "移除房屋：40" in page
    assert "…及另外 10 套" in page


def test_an_xlsx_bomb_upload_is_refused_with_the_limit_in_chinese(client, post, admin, db_session):
    from tests.factories import workbook_with_sheet

    response = upload(post, workbook_with_sheet(b"<row/>" * (3 * 2**20 // 6)), "registry.xlsx")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "压缩了" in page
    assert "上限 100 倍" in page
    assert "不予读取" in page
    assert db_session.scalar(select(func.count(RegistryImport.id))) == 0
