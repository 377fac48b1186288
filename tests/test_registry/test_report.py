"""The import report lets a person find each bad row in their own file: the row number a
spreadsheet shows, the column header exactly as written there, and enough of a bad number,
masked, to find it, never the whole number."""

from __future__ import annotations

import io

from openpyxl import Workbook

from tests.factories import LI, ZHANG, csv_bytes, rejected

BAD_CHECK = "110105194912310021"  # ZHANG with a wrong check digit


def test_problems_name_the_column_by_its_header_as_written_in_the_file():
    report = rejected(csv_bytes(f"1,101,0,张三,{BAD_CHECK}", header="楼号,房间号,专有面积,业主姓名,证件号码"))
    assert {(p.row, p.column, p.header) for p in report.problems} == {(2, "area", "专有面积"), (2, "id_number", "证件号码")}


def test_english_headers_are_named_as_written_not_by_our_internal_names():
    data = csv_bytes(f"1,101,89.5,张三,{BAD_CHECK},", f"1,102,89.5,张三,{ZHANG},12345", header="Building,Unit,AREA,Owner,ID,Mobile")
    assert [(p.row, p.header) for p in rejected(data).problems] == [(2, "ID"), (3, "Mobile")]


def test_a_bad_identity_number_shows_its_first_six_and_last_four_characters_masked_in_between():
    problem = rejected(csv_bytes(f"1,101,89.5,,张三,{BAD_CHECK},,")).problems[0]
    assert "110105********0021" in problem.en
    assert "110105********0021" in problem.zh
    assert "check character" in problem.en
    assert "校验位" in problem.zh
    assert BAD_CHECK not in problem.en + problem.zh


def test_an_identity_number_of_the_wrong_length_says_its_length():
    problem = rejected(csv_bytes(f"1,101,89.5,,张三,{ZHANG[:-1]},,")).problems[0]
    assert "110105*******1002" in problem.zh
    assert "共 17 位，应为 18 位" in problem.zh
    assert "17 characters instead of 18" in problem.en
    assert ZHANG[:-1] not in problem.en


def test_a_short_bad_value_is_never_shown_whole():
    problem = rejected(csv_bytes("1,101,89.5,,张三,123,,")).problems[0]
    assert "'1*3'" in problem.en
    assert "“1*3”" in problem.zh


def test_the_co_owner_whose_number_is_bad_is_named_with_the_masked_number():
    problem = rejected(csv_bytes(f"1,101,89.5,,李四、张三,{LI}、{BAD_CHECK},,")).problems[0]
    assert "(no. 2)" in problem.en
    assert "110105********0021" in problem.en


def test_an_identity_number_excel_turned_into_a_number_is_explained():
    book = Workbook()
    book.active.append(["楼栋", "房号", "面积", "业主", "证件号"])
    book.active.append([1, 101, 89.5, "张三", float(ZHANG[:-1] + "0")])
    buffer = io.BytesIO()
    book.save(buffer)
    problem = rejected(buffer.getvalue(), "r.xlsx").problems[0]
    assert problem.header == "证件号"
    assert "Excel stored it as a number" in problem.en
    assert "Excel" in problem.zh


def test_row_numbers_count_the_blank_rows_above_the_header():
    data = b"\n,,,\n" + csv_bytes(f"1,101,89.5,,张三,{ZHANG},,", "1,102,0,,张三,,,")
    assert {p.row for p in rejected(data).problems} == {5}


def test_a_bad_phone_number_of_the_wrong_length_says_its_length_masked():
    problem = rejected(csv_bytes(f"1,101,89.5,,张三,{ZHANG},1381234567,")).problems[0]
    assert problem.header == "手机"
    assert "138****567" in problem.en
    assert "10 characters instead of 11" in problem.en
