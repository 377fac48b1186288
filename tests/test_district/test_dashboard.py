"""The district view (issue 21, item 4): who sees which estates, the figures by month as exact
integers, the Excel workbook, and refusals for another area."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, update

from tally.fmt import pct
from tests.factories import statements_with, text_of
from webapp.auth.models import StaffUser
from webapp.core.db import db
from webapp.district import operations as ops
from webapp.estates.models import Estate
from webapp.firms.operations import assign_estate, create_firm
from webapp.inspections.models import RectificationNotice


@pytest.fixture
def area(app, make_estate, make_staff, db_session):
    """Three estates in 朝阳区: two in 建外街道 (one served by a firm since March), one in 呼家楼街道;
    a fourth in 海淀区.  Staff for a sub-district, for the district, and one without an area."""
    admin = make_staff("admin", admin=True)
    estates = {
        "jw1": make_estate("jw1", "建外一号院"),
        "jw2": make_estate("jw2", "建外二号院"),
        "hjl": make_estate("hjl", "呼家楼小区"),
        "hd": make_estate("hd", "海淀园"),
    }
    db.session.execute(update(Estate).values(created_at=datetime(2026, 1, 5, tzinfo=UTC)))
    for key, (district, sub) in {
        "jw1": ("朝阳区", "建外街道"),
        "jw2": ("朝阳区", "建外街道"),
        "hjl": ("朝阳区", "呼家楼街道"),
        "hd": ("海淀区", "中关村街道"),
    }.items():
        ops.set_estate_area(estates[key], district, sub, actor=admin)
    firm = create_firm(name="海晨物业服务有限公司", uscc="91350100M000100Y43", actor="test")
    assign_estate(firm, estates["jw1"], date(2026, 3, 1), actor="test")
    jianwai = make_staff("jianwai")
    chaoyang = make_staff("chaoyang")
    make_staff("nobody")
    ops.set_staff_area(jianwai, "朝阳区", "建外街道", actor=admin)
    ops.set_staff_area(chaoyang, "朝阳区", None, actor=admin)
    db_session.commit()
    return estates


def names(page: str, estates: dict) -> set[str]:
    return {e.name for e in estates.values() if e.name in page}


def test_sub_district_staff_see_their_own_estates_and_the_district_staff_the_district(client, login, area):
    login("jianwai")
    page = client.get("/district").get_data(as_text=True)
    assert names(page, area) == {"建外一号院", "建外二号院"}
    assert "区域总览" in client.get("/").get_data(as_text=True)  # in the navigation
    client.post("/logout")
    login("chaoyang")
    assert names(client.get("/district").get_data(as_text=True), area) == {"建外一号院", "建外二号院", "呼家楼小区"}
    assert names(client.get("/district?sub_district=呼家楼街道").get_data(as_text=True), area) == {"呼家楼小区"}


def test_an_admin_sees_every_estate_and_filters_by_area(client, login, area):
    login("admin")
    assert names(client.get("/district").get_data(as_text=True), area) == set(n.name for n in area.values())
    assert names(client.get("/district?district=海淀区").get_data(as_text=True), area) == {"海淀园"}


@pytest.mark.parametrize("query", ["?sub_district=呼家楼街道", "?district=海淀区", "?district=海淀区&sub_district=中关村街道"])
def test_a_request_for_another_areas_estates_is_refused_with_the_reason(client, login, area, query):
    login("jianwai")
    for path in ("/district", "/district/export.xlsx"):
        response = client.get(path + query)
        assert response.status_code == 403
        page = response.get_data(as_text=True)
        assert "您只能查看本辖区（朝阳区 建外街道）的小区" in page
        assert "呼家楼小区" not in page
        assert "海淀园" not in page
    response = client.get("/district/figures.json" + query)
    assert response.status_code == 403
    assert response.get_json()["error_en"] == "you may see only the estates of your own area (朝阳区 建外街道)"


def test_staff_without_an_area_are_told_who_records_it(client, login, area):
    login("nobody")
    response = client.get("/district")
    assert response.status_code == 403
    assert "请平台管理员为您的账号登记所负责的区或街道" in response.get_data(as_text=True)
    assert "区域总览" not in client.get("/").get_data(as_text=True)


def test_the_share_with_a_firm_is_counted_month_by_month_in_exact_hundredths(app, area):
    jianwai = [area["jw1"], area["jw2"]]
    data = ops.figures(jianwai, date(2026, 4, 15), "Asia/Shanghai", months=4)
    assert [p["day"] for p in data["points"]] == ["2026-01-31", "2026-02-28", "2026-03-31", "2026-04-15"]
    assert [p["firm"]["count"] for p in data["points"]] == [0, 0, 1, 1]
    assert [p["firm"]["hundredths"] for p in data["points"]] == [0, 0, 5000, 5000]
    three = ops.figures([area["jw1"], area["jw2"], area["hjl"]], date(2026, 4, 15), "Asia/Shanghai", months=1)
    assert three["points"][-1]["firm"] == {"count": 1, "hundredths": 3333}  # truncated, never overstated


def test_an_estate_is_counted_only_from_the_month_it_was_created(app, area):
    db.session.execute(update(Estate).where(Estate.id == area["jw2"].id).values(created_at=datetime(2026, 3, 10, tzinfo=UTC)))
    data = ops.figures([area["jw1"], area["jw2"]], date(2026, 4, 15), "Asia/Shanghai", months=3)
    assert [p["estates"] for p in data["points"]] == [1, 2, 2]
    assert [p["firm"]["hundredths"] for p in data["points"]] == [0, 5000, 5000]


def test_the_excel_workbook_holds_the_estates_and_the_figures_with_checkable_shares(client, login, area):
    login("jianwai")
    response = client.get("/district/export.xlsx")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith('attachment; filename="district-')
    book = load_workbook(BytesIO(response.data))
    estates = book["小区"]
    rows = list(estates.iter_rows(values_only=True))
    assert rows[0][:6] == ("小区", "区", "街道", "组织机构", "任期届满", "物业服务企业")
    by_name = {r[0]: r for r in rows[1:]}
    assert set(by_name) == {"建外一号院", "建外二号院"}
    assert by_name["建外一号院"][5] == "海晨物业服务有限公司"
    assert by_name["建外二号院"][5] == "无物业"
    figures = list(book["指标"].iter_rows(values_only=True))
    assert figures[0] == ("月末", "小区数", "业委会（物管会）组建率（个）", "业委会（物管会）组建率", "物业覆盖率（个）", "物业覆盖率")
    n, last = len(figures), figures[-1]
    assert last[1:3] == (2, 0)
    assert last[4] == 1  # 建外一号院 has a firm
    assert last[5] == f'=IF(B{n}=0,"",E{n}/B{n})'  # the share, a formula over the counts


def test_the_figures_stand_in_a_table_below_the_chart_month_by_month_as_the_workbook_has_them(client, login, area):
    """Readable without the chart: each month end, the estates, and each measure's exact count
    with its share as the page formats it (truncated, never overstated)."""
    login("jianwai")
    page = client.get("/district").get_data(as_text=True)
    book = load_workbook(BytesIO(client.get("/district/export.xlsx").data))
    months = list(book["指标"].iter_rows(min_row=2, values_only=True))
    assert len(months) == 12
    table = re.search(r'<table class="table figures-table">(.*?)</table>', page, re.S)
    assert table is not None, "no table of the monthly figures"
    assert page.index('id="district-chart"') < table.start()  # below the chart
    head, body = table.group(1).split("<tbody>")
    assert [text_of(h).strip() for h in re.findall(r"<th[^>]*>(.*?)</th>", head, re.S)] == [
        "月末",
        "小区数",
        "业委会（物管会）组建率",
        "物业覆盖率",
    ]
    rows = re.findall(r"<tr>(.*?)</tr>", body, re.S)
    assert len(rows) == 12
    for row, (day, estates, with_body, _share, with_firm, _share2) in zip(rows, months, strict=True):
        cells = [text_of(c).strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        assert cells == [
            day,
            str(estates),
            f"{with_body} {pct(with_body, estates) or '—'}",
            f"{with_firm} {pct(with_firm, estates) or '—'}",
        ]
    assert "1 50.00%" in text_of(rows[-1])  # 建外一号院 of the two has a firm


def test_an_admin_records_areas_and_bad_input_is_refused_with_a_reason(client, post, login, area, make_staff):
    from webapp.audit.models import AuditEvent
    from webapp.auth.models import StaffUser
    from webapp.district.models import EstateArea, StaffArea

    login("admin")
    hd = area["hd"]
    response = post("/admin/district", {"e-estate": hd.id, "e-district": "海淀区", "e-sub_district": "学院路街道"})
    assert response.status_code == 303
    assert db.session.scalar(select(EstateArea.sub_district).where(EstateArea.estate_id == hd.id)) == "学院路街道"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "district.estate_area").order_by(AuditEvent.id.desc()))
    assert event.details["sub_district"] == "学院路街道"
    page = post("/admin/district", {"e-estate": hd.id, "e-district": "", "e-sub_district": "学院路街道"}, follow_redirects=True).get_data(
        as_text=True
    )
    assert "请填写所在区" in page
    assert db.session.scalar(select(EstateArea.district).where(EstateArea.estate_id == hd.id)) == "海淀区"  # unchanged
    nobody = db.session.scalar(select(StaffUser).where(StaffUser.username == "nobody"))
    page = post("/admin/district", {"s-staff": nobody.id, "s-district": "", "s-sub_district": "建外街道"}, follow_redirects=True).get_data(
        as_text=True
    )
    assert "负责某个街道时请同时填写所在的区" in page
    assert db.session.scalar(select(StaffArea).where(StaffArea.staff_user_id == nobody.id)) is None
    assert post("/admin/district", {"s-staff": nobody.id, "s-district": "海淀区", "s-sub_district": ""}).status_code == 303
    assert db.session.scalar(select(StaffArea.district).where(StaffArea.staff_user_id == nobody.id)) == "海淀区"


def test_only_platform_admins_record_areas(client, post, login, area):
    login("chaoyang")
    assert client.get("/admin/district").status_code == 403
    assert post("/admin/district", {"e-estate": area["hd"].id, "e-district": "朝阳区", "e-sub_district": "建外街道"}).status_code == 403


def test_an_assembly_in_progress_is_listed_with_its_published_turnout(voting):
    s = voting
    assert ops.advance([s.estate])  # the window opened: the view shows it open
    [line] = ops.lines([s.estate])
    [running] = line.running
    assert running.assembly.id == s.assembly_id
    assert running.turnout is not None
    assert (running.turnout.ballots, running.turnout.total_heads > 0) == (0, True)
    assert line.firm is None
    assert line.last is None
    from webapp.district.export import workbook

    book = load_workbook(BytesIO(workbook([line], ops.figures([s.estate], date(2026, 4, 15), "Asia/Shanghai", 1), zh=True)))
    [row] = list(book["小区"].iter_rows(min_row=2, values_only=True))
    assert "（投票中，已投票 0 户）" in row[11]  # the state in words, never its code
    assert "voting" not in row[11]


def test_the_share_with_a_committee_or_management_committee_counts_terms_in_force_only(app, area):
    from webapp.bodies.operations import record_body

    admin = db.session.scalar(select(StaffUser).where(StaffUser.username == "admin"))
    people = [{"name": "王建国", "post": "主任"}]
    record_body(area["jw1"], kind="committee", members=people, term_start=date(2026, 2, 1), term_end=date(2031, 1, 31), actor=admin)
    record_body(area["jw2"], kind="preparatory", members=people, term_start=date(2026, 1, 10), term_end=None, actor=admin)
    record_body(area["hjl"], kind="management", members=people, term_start=date(2026, 3, 15), term_end=date(2026, 3, 31), actor=admin)
    chaoyang = [area["jw1"], area["jw2"], area["hjl"]]
    data = ops.figures(chaoyang, date(2026, 4, 15), "Asia/Shanghai", months=4)
    # January: none; February: the committee; March: and the 物管会 (its term ends on the 31st);
    # April: the committee only.  A preparatory group is not yet a committee.
    assert [p["body"]["count"] for p in data["points"]] == [0, 1, 2, 1]
    assert data["points"][2]["body"]["hundredths"] == 6666
    assert data["measures"]["body"]["zh"] == "业委会（物管会）组建率"


def test_an_estates_line_names_its_organising_body_and_its_open_petitions(client, login, area):
    from webapp.bodies.operations import record_body

    admin = db.session.scalar(select(StaffUser).where(StaffUser.username == "admin"))
    record_body(area["jw1"], kind="management", title="建外一号院物业管理委员会", members=[{"name": "李明", "post": "主任"}],
                term_start=date(2026, 1, 6), term_end=None, actor=admin)  # fmt: skip
    db.session.commit()
    login("jianwai")
    page = client.get("/district").get_data(as_text=True)
    assert re.search(r"组织机构：\s*建外一号院物业管理委员会", page)
    assert "未登记组织机构" in page  # 建外二号院
    assert "业委会（物管会）组建率" in page


def test_a_rectification_notice_past_its_deadline_is_shown_to_the_district(client, login, post, world, make_staff):
    from tests.test_inspections.helpers import issued, recorded

    notice = issued(client, world, recorded(client, login, world))
    admin = make_staff("district-admin", admin=True)
    db.session.commit()
    client.post("/logout")
    login(admin.username)
    assert "份整改通知已逾期" not in client.get("/district").get_data(as_text=True)
    db.session.execute(
        update(RectificationNotice)
        .where(RectificationNotice.id == notice.id)
        .values(issued_on=world["today"] - timedelta(days=8), deadline=world["today"] - timedelta(days=1))
    )
    db.session.commit()
    page = client.get("/district").get_data(as_text=True)
    assert "1 份整改通知已逾期" in page
    assert f"/e/lvyuan/notices/{notice.id}" in page


def test_the_demo_district_view_has_a_management_committee_an_estate_without_a_firm_and_a_history(app, db_session):
    from webapp.auth.operations import find_staff
    from webapp.demo.setup import ensure_demo

    assert ensure_demo()
    scope = ops.scope_of(find_staff("supervisor2"))
    assert (scope.district, scope.sub_district) == ("西湖区", "翠湖街道")
    estates = ops.estates_in(scope)
    lines = {line.estate.slug: line for line in ops.lines(estates)}
    assert set(lines) == {"demo", "chunhui", "xiahe", "dongqing"}  # 秋实苑 is in 文新街道
    assert lines["xiahe"].body.kind == "management"
    assert lines["dongqing"].firm is None
    assert lines["demo"].score is not None
    assert lines["demo"].petitions  # the demo's petition in progress
    data = ops.figures(estates, ops.bodies.today_in(estates[0]), "Asia/Shanghai", months=12)
    assert data["points"][0]["estates"] == 4  # on the platform for two years: a history to draw
    latest = data["points"][-1]
    assert latest["firm"]["count"] == 3
    assert latest["body"]["count"] >= 2


def test_the_estates_lines_read_the_organising_bodies_once_however_many_estates(app, area):
    """Each line names its body and warns of a term's end; a district of hundreds of estates must
    not read the bodies twice per estate (it did: once for the body in force, once for the
    current term)."""

    from webapp.bodies.operations import record_body

    admin = db.session.scalar(select(StaffUser).where(StaffUser.username == "admin"))
    people = [{"name": "王建国", "post": "主任"}]
    record_body(area["jw1"], kind="committee", members=people, term_start=date(2021, 2, 1), term_end=date(2026, 1, 31), actor=admin)
    record_body(area["jw2"], kind="committee", members=people, term_start=date(2025, 2, 1), term_end=date(2030, 1, 31), actor=admin)
    reads, lines = statements_with(app, "FROM organising_bodies", lambda: ops.lines(list(area[k] for k in ("jw1", "jw2", "hjl", "hd"))))
    found = {line.estate.slug: line for line in lines}
    assert reads == 1
    assert found["jw1"].body_name == "建外一号院业主委员会"
    assert "届满" in found["jw1"].term_warning[0]  # its term has ended
    assert found["jw2"].term_warning is None
    assert found["hjl"].body is None
