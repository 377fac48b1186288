"""The registry import in the browser: upload → preview → apply, and rejection with a report."""
from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from tests.test_registry.test_import import GOOD, ZHANG, csv_bytes
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
    assert "面积“0”不是正数" in page and "证件号“1*3”无效" in page
    assert db_session.scalar(select(func.count(RegistryImport.id))) == 0


def test_the_report_names_the_file_s_own_headers_and_a_masked_identity_number(client, post, admin, db_session):
    bad = "110105194912310021"  # a wrong check digit
    data = csv_bytes(f"1,101,89.5,张三,{ZHANG}", f"1,102,80,李四,{bad}", header="楼栋,房号,面积,业主,证件号码")
    page = upload(post, data).get_data(as_text=True)
    row = re.search(r"<tr><td class=\"num\">3</td><td>(.*?)</td><td>(.*?)</td></tr>", page)
    assert row and row.group(1) == "证件号码" and "110105********0021" in row.group(2)
    assert "id_number" not in page and bad not in page
    post("/lang", {"lang": "en"})
    page = upload(post, csv_bytes(f"1,101,89.5,张三,{bad}", header="building,unit,area,owner,id")).get_data(as_text=True)
    assert "<td>id</td>" in page and "identity number &#39;110105********0021&#39;" in page


def test_a_preview_cannot_be_applied_after_the_registry_changed(client, post, admin, db_session):
    first = upload(post, GOOD).headers["Location"]
    second = upload(post, csv_bytes(f"9,901,80,,张三,{ZHANG},,")).headers["Location"]
    post(second.replace("ownersvote.test", "").split("/e/", 1)[0] + "/e/" + second.split("/e/", 1)[1] + "/apply")
    response = post("/e/" + first.split("/e/", 1)[1] + "/apply", follow_redirects=True)
    assert "预览之后名册已被修改" in response.get_data(as_text=True)
    assert db_session.scalar(select(func.count(Unit.id))) == 1
