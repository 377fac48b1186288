"""What one uploaded registry may make the server do: a bounded XLSX expansion and row count,
refused with a message in both languages that names the limit, before the work is done."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook

from tests.factories import XLSX_HEADER, ZHANG, csv_bytes, workbook_with_sheet, xlsx_row
from webapp.registry import parsing
from webapp.registry.parsing import RegistryFileError, read_table


def refused(data: bytes, filename: str = "r.xlsx") -> RegistryFileError:
    with pytest.raises(RegistryFileError) as info:
        read_table(data, filename)
    assert info.value.zh
    assert info.value.en
    return info.value


@pytest.fixture
def no_openpyxl(monkeypatch):
    """Fail the test if the workbook ever reaches openpyxl."""
    import openpyxl

    def forbidden(*args, **kwargs):
        raise AssertionError("the workbook was handed to openpyxl")

    monkeypatch.setattr(openpyxl, "load_workbook", forbidden)


def test_a_zip_bomb_workbook_is_refused_by_its_inflated_size_before_openpyxl_reads_it(no_openpyxl):
    # Like the report: a small file holding far more XML (here 60 MB in 2 million rows) than a
    # registry ever has.  The zip's directory alone gives it away.
    row = xlsx_row(2, ["1", "101", "89.5", "张三", ZHANG]).replace(b' r="2"', b"").replace(b' r="A2"', b"")
    data = workbook_with_sheet(row * (60 * 2**20 // len(row)))
    assert len(data) < 2 * 2**20
    error = refused(data)
    assert "50.0 MB" in error.en
    assert "50.0 MB" in error.zh
    assert "not read" in error.en


def test_a_workbook_compressed_beyond_any_spreadsheet_is_refused(no_openpyxl):
    filler = b"<row/>" * (3 * 2**20 // 6)  # 3 MB of XML that deflates to a few kilobytes
    error = refused(workbook_with_sheet(filler))
    assert "compressed" in error.en
    assert str(parsing.MAX_COMPRESSION_RATIO) in error.en
    assert "压缩" in error.zh


def test_a_workbook_that_is_not_a_zip_is_refused_with_a_reason():
    error = refused(b"PK\x03\x04 this is not a workbook")
    assert "Cannot read the XLSX file" in error.en


def test_an_ordinary_workbook_passes_the_archive_checks():
    book = Workbook()
    sheet = book.active
    sheet.append(XLSX_HEADER)
    for n in range(2000):
        sheet.append([1, 100 + n, 89.5, "张三", ZHANG])
    buffer = io.BytesIO()
    book.save(buffer)
    assert len(read_table(buffer.getvalue(), "r.xlsx").rows) == 2000


def test_a_workbook_with_more_data_rows_than_the_limit_is_refused_while_it_is_read(monkeypatch):
    monkeypatch.setattr(parsing, "MAX_DATA_ROWS", 50)
    rows = b"".join(xlsx_row(n, ["1", str(n), "80", "张三", ZHANG]) for n in range(2, 2000))
    error = refused(workbook_with_sheet(rows, dimension="A1:E1999"))
    # It stops at the first row past the limit rather than reading the sheet to its end.
    assert "more than 50 data rows (row 52 is past the limit)" in error.en
    assert "50 行" in error.zh


def test_a_workbook_with_exactly_the_limit_of_data_rows_is_read(monkeypatch):
    monkeypatch.setattr(parsing, "MAX_DATA_ROWS", 50)
    rows = b"".join(xlsx_row(n, ["1", str(n), "80", "张三", ZHANG]) for n in range(2, 52))
    assert len(read_table(workbook_with_sheet(rows), "r.xlsx").rows) == 50


def test_a_csv_with_more_data_rows_than_the_limit_is_refused(monkeypatch):
    monkeypatch.setattr(parsing, "MAX_DATA_ROWS", 50)
    data = csv_bytes(*[f"1,{n},80,,张三,{ZHANG},," for n in range(51)])
    with pytest.raises(RegistryFileError) as info:
        read_table(data, "r.csv")
    assert "more than 50 data rows" in info.value.en
    assert "一次导入最多 50 套" in info.value.zh


def test_blank_rows_do_not_count_towards_the_row_limit(monkeypatch):
    monkeypatch.setattr(parsing, "MAX_DATA_ROWS", 3)
    data = csv_bytes(f"1,101,80,,张三,{ZHANG},,", ",,,,,,,", "", f"1,102,80,,张三,{ZHANG},,", f"1,103,80,,张三,{ZHANG},,")
    assert [number for number, _ in read_table(data, "r.csv").rows] == [2, 5, 6]


def test_a_workbook_claiming_the_whole_sheet_is_read_within_a_bounded_width():
    # <dimension> says 16,384 columns; a stray cell far to the right is not read, and the rows
    # handed on are never 16,384 cells wide.
    rows = xlsx_row(2, ["1", "101", "89.5", "张三", ZHANG]) + b'<row r="3"><c r="XFD3" t="inlineStr"><is><t>x</t></is></c></row>'
    table = read_table(workbook_with_sheet(rows, dimension="A1:XFD3"), "r.xlsx")
    assert [(n, v["unit"]) for n, v in table.rows] == [(2, "101")]


def test_rows_past_a_wrong_dimension_are_still_read():
    rows = b"".join(xlsx_row(n, ["1", str(n), "80", "张三", ZHANG]) for n in range(2, 12))
    table = read_table(workbook_with_sheet(rows, dimension="A1:E3"), "r.xlsx")
    assert len(table.rows) == 10


def test_a_sheet_running_on_in_blank_rows_is_refused_once_past_the_row_limit(monkeypatch):
    monkeypatch.setattr(parsing, "MAX_ROWS", 1000)
    # One real row, then a single cell on the sheet's last row: openpyxl would hand over a
    # million blank rows in between.
    rows = xlsx_row(2, ["1", "101", "89.5", "张三", ZHANG]) + b'<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>x</t></is></c></row>'
    # refused as it passes the limit, not after reading the million blank rows
    error = refused(workbook_with_sheet(rows, dimension="A1:E1048576"))
    assert "more than 1,000 rows (blank ones included)" in error.en
    assert "1,000 行（含空行）" in error.zh


def test_a_csv_of_blank_lines_is_refused_once_past_the_row_limit(monkeypatch):
    monkeypatch.setattr(parsing, "MAX_ROWS", 1000)
    with pytest.raises(RegistryFileError) as info:
        read_table(csv_bytes(f"1,101,80,,张三,{ZHANG},,", *[""] * 1000), "r.csv")
    assert "blank ones included" in info.value.en
    with pytest.raises(RegistryFileError):
        read_table(b"\n" * 1001 + csv_bytes(), "r.csv")
