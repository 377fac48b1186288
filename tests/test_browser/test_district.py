"""The district view (issue 21, item 4) in Chromium at phone size and in Chinese: a sub-district's
staff member sees their own estates with organising body, firm and the figures, the chart drawn
from the JSON endpoint by the vendored Chart.js (no inline script), and downloads the workbook;
another sub-district's estates are refused with the reason."""

from __future__ import annotations

import random
from datetime import date
from io import BytesIO
from types import SimpleNamespace

import pytest
from openpyxl import load_workbook

from tests.test_browser.assembly_world import PASSWORD
from tests.test_browser.net import check_again, new_page, staff_login
from webapp.demo.registry import uscc

pytestmark = pytest.mark.browser
_runs = iter(range(1, 1000))


@pytest.fixture
def district_world(live):
    from webapp.auth.operations import create_staff
    from webapp.bodies.operations import record_body
    from webapp.core.db import db
    from webapp.district import operations as district
    from webapp.estates.operations import create_estate
    from webapp.firms.operations import assign_estate, create_firm

    n = next(_runs)
    with live.app_context():
        admin = create_staff(f"admin-district-{n}", "区住建委 周建国", PASSWORD, admin=True, actor="test")
        sub = f"建外街道{n}"
        mine = [create_estate(f"jw{n}-{k}", f"建外{k}号院（{n}）", actor="test") for k in (1, 2)]
        other = create_estate(f"hjl{n}", f"呼家楼小区（{n}）", actor="test")
        for estate in mine:
            district.set_estate_area(estate, "朝阳区", sub, actor=admin)
        district.set_estate_area(other, "朝阳区", f"呼家楼街道{n}", actor=admin)
        firm = create_firm(name=f"海晨物业服务有限公司（{n}）", uscc=uscc(random.Random(7000 + n)), actor="test")
        assign_estate(firm, mine[0], date(2025, 6, 1), actor="test")
        record_body(mine[0], kind="committee", members=[{"name": "王建国", "post": "主任"}], term_start=date(2024, 3, 1),
                    term_end=date(2029, 2, 28), actor=admin)  # fmt: skip
        staff = create_staff(f"jianwai-{n}", "建外街道办事处 林晓燕", PASSWORD, actor="test")
        district.set_staff_area(staff, "朝阳区", sub, actor=admin)
        db.session.commit()
        return SimpleNamespace(staff=staff.username, mine=[e.name for e in mine], other=other.name, sub=sub)


def test_sub_district_staff_see_their_estates_the_chart_and_the_workbook_on_a_phone(browser, live, district_world, shots):
    world, base = district_world, live.base
    context, page = new_page(browser)
    staff_login(page, base, world.staff)
    page.click("header a:text('区域总览')")
    page.wait_for_url("**/district")
    main = page.inner_text("main")
    for name in world.mine:
        assert name in main
    assert world.other not in main
    assert "业委会（物管会）组建率" in main
    assert "50.00%" in main  # one of two estates has a committee, one of two a firm
    assert "组织机构：" in main
    assert "无物业小区" in main
    # The chart: drawn by the vendored script from the JSON endpoint, sized to the phone.
    page.wait_for_function("() => window.Chart && Chart.getChart(document.getElementById('district-chart'))")
    width = page.evaluate("() => document.getElementById('district-chart').getBoundingClientRect().width")
    assert 0 < width <= 390
    check_again(page)
    shots(page, "district-view")
    with page.expect_download() as download:
        page.click("a:text('下载 Excel 表格')")
    book = load_workbook(BytesIO(download.value.path().read_bytes()))
    assert sorted(row[0] for row in book["小区"].iter_rows(min_row=2, values_only=True)) == sorted(world.mine)

    refused = page.goto(f"{base}/district?sub_district=呼家楼街道")
    assert refused.status == 403
    assert "您只能查看本辖区" in page.inner_text("main")
    page.click("a:text('返回本辖区总览')")
    page.wait_for_url("**/district")
    assert [e for e in page.errors if "status of 403" not in e] == []  # (the refusal asked for above)
    context.close()


def test_the_two_monthly_lines_are_told_apart_and_the_figures_stand_in_a_table_that_fits_a_phone(browser, live, district_world):
    """Both measures' lines drawn apart (dash, point style, a legend showing them) even where
    their values coincide; the same figures in a table below, no wider than the screen."""
    world, base = district_world, live.base
    context, page = new_page(browser)
    staff_login(page, base, world.staff)
    page.goto(f"{base}/district")
    page.wait_for_function("() => window.Chart && Chart.getChart(document.getElementById('district-chart'))")
    drawn = page.evaluate(
        """() => {
          const chart = Chart.getChart(document.getElementById('district-chart'));
          return {
            legend: chart.options.plugins.legend.display !== false && chart.options.plugins.legend.labels.usePointStyle === true,
            lines: chart.data.datasets.map(d => ({label: d.label, dash: JSON.stringify(d.borderDash || []), point: d.pointStyle,
                                                   colour: d.borderColor})),
          };
        }"""
    )
    assert drawn["legend"] is True
    assert [line["label"] for line in drawn["lines"]] == ["业委会（物管会）组建率", "物业覆盖率"]
    first, second = drawn["lines"]
    assert first["dash"] != second["dash"]
    assert first["point"] != second["point"]
    assert first["colour"] != second["colour"]

    table = page.locator("table.figures-table")
    assert table.locator("tbody tr").count() == 12
    assert "1\n50.00%" in table.locator("tbody tr").last.inner_text()  # one of two estates has a firm
    box = page.evaluate(
        """() => {
          const t = document.querySelector('table.figures-table'), w = t.parentElement;
          return {right: w.getBoundingClientRect().right, table: t.getBoundingClientRect().width, room: w.clientWidth,
                  page: document.documentElement.scrollWidth};
        }"""
    )
    assert box["right"] <= 390
    assert box["page"] <= 390
    assert box["table"] <= box["room"]  # at 390 px it fits without scrolling at all
    check_again(page)
    assert page.errors == []
    context.close()
