"""Reading registry exports (CSV or XLSX) into rows of text keyed by our column names.

Property offices export CSV in UTF-8 (often with a BOM) or in GB18030/GBK; both are accepted.
XLSX cells arrive typed: numbers are turned back into the text a person typed, and an identity
number that Excel stored as a number (and so rounded) is left for validation to reject.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, field

from webapp.core.errors_base import UserError

# Limits on what one upload may make the server do (a registry of the largest estates has some
# 20,000 units; its XLSX expands to about 10 MB, compressed some 8 times).
MAX_DATA_ROWS = 60_000  # non-blank rows below the header, CSV and XLSX alike
MAX_XLSX_UNCOMPRESSED = 50 * 2**20  # all members of the workbook together, once inflated
MAX_COMPRESSION_RATIO = 100  # inflated / compressed, for any member of more than 1 MB
_RATIO_CHECKED_ABOVE = 2**20
MAX_XLSX_MEMBERS = 1_000
MAX_ROWS = 200_000  # rows of any kind, blank ones included: bounds the work on a sheet of blank rows
MAX_COLUMNS = 100  # columns read from a sheet; the rest are never looked at

COLUMNS: dict[str, tuple[str, ...]] = {
    "building": ("楼栋", "楼号", "楼栋号", "building"),
    "unit": ("房号", "房间号", "unit", "unit_number"),
    "area": ("面积", "专有面积", "area"),
    "area_basis": ("面积依据", "area_basis", "basis"),
    "owner": ("业主", "业主姓名", "owner", "owners"),
    "id_number": ("证件号", "证件号码", "身份证号", "id_number", "id"),
    "phone": ("手机", "手机号", "phone", "mobile"),
    "status": ("状态", "交付状态", "status"),
}
REQUIRED_COLUMNS = ("building", "unit", "area")
_LOOKUP = {alias.lower(): name for name, aliases in COLUMNS.items() for alias in aliases}


class RegistryFileError(UserError):
    """The file as a whole cannot be read; carries a message in both languages."""


@dataclass
class RawTable:
    rows: list[tuple[int, dict[str, str]]]  # (row number as the user sees it, values)
    warnings: list[tuple[str, str]] = field(default_factory=list)  # (zh, en)
    # Our column name -> its header exactly as written in the file, for the report.
    headers: dict[str, str] = field(default_factory=dict)


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        # repr gives the shortest text that reads back as the same float: what was typed.
        text = repr(value)
        return text[:-2] if text.endswith(".0") else text
    return str(value).strip()


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise RegistryFileError(
        "文件编码无法识别，请另存为 UTF-8 编码的 CSV 或 XLSX。", "Cannot decode the file: save it as UTF-8 CSV or XLSX."
    )


def _csv_rows(data: bytes) -> Iterator[list[str]]:
    text = _decode(data)
    # The delimiter is read off the header row alone: ';' also separates co-owners inside cells,
    # so a sniffer looking at the data rows could take it for the delimiter.
    header = text.lstrip("\r\n").split("\n", 1)[0]
    delimiter = max((",", "\t", ";"), key=header.count)
    try:
        yield from csv.reader(io.StringIO(text), delimiter=delimiter)
    except csv.Error as exc:
        raise RegistryFileError(f"无法读取 CSV 文件：{exc}", f"Cannot read the CSV file: {exc}") from exc


def _mib(size: int) -> str:
    return f"{size / 2**20:,.1f} MB"


def check_xlsx_archive(data: bytes) -> None:
    """Refuse a workbook that would expand into more than we are willing to parse, before
    openpyxl sees it.  The sizes in the zip directory can be trusted as a bound: Python's zipfile
    never inflates a member past its declared size (it stops there and fails the CRC check), and
    openpyxl reads the members through it."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, EOFError) as exc:
        raise RegistryFileError(f"无法读取 XLSX 文件：{exc}", f"Cannot read the XLSX file: {exc}") from exc
    total = sum(m.file_size for m in members)
    if total > MAX_XLSX_UNCOMPRESSED or len(members) > MAX_XLSX_MEMBERS:
        limit = _mib(MAX_XLSX_UNCOMPRESSED)
        raise RegistryFileError(
            f"XLSX 文件解压后共 {_mib(total)}，超过 {limit} 的上限，不予读取。请只保留名册所在的工作表，或另存为 CSV 后上传。",
            f"The XLSX file expands to {_mib(total)}, over the limit of {limit}, and is not read. Keep only the registry sheet, or save it as CSV.",
        )
    for member in members:
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > _RATIO_CHECKED_ABOVE and ratio > MAX_COMPRESSION_RATIO:
            raise RegistryFileError(
                f"XLSX 文件中的 {member.filename} 压缩了 {ratio:,.0f} 倍（上限 {MAX_COMPRESSION_RATIO} 倍），不像正常的表格，不予读取。请另存为 CSV 后上传。",
                f"{member.filename} in the XLSX file is compressed {ratio:,.0f} times (limit: {MAX_COMPRESSION_RATIO}), "
                "which no ordinary spreadsheet is, so it is not read. Save the file as CSV instead.",
            )


def _xlsx_rows(data: bytes) -> Iterator[tuple]:
    from openpyxl import load_workbook

    check_xlsx_archive(data)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise RegistryFileError(f"无法读取 XLSX 文件：{exc}", f"Cannot read the XLSX file: {exc}") from exc
    try:
        sheet = workbook.worksheets[0]
        # Read-only mode streams the sheet.  Both bounds are given explicitly: left to itself,
        # openpyxl takes them from the sheet's <dimension> element, which a crafted file can set
        # to 16,384 columns by 1,048,576 rows (and a wrong one silently cuts rows off).
        # One row past the limit is read, so that _table can refuse it.
        yield from sheet.iter_rows(min_row=1, max_row=MAX_ROWS + 1, min_col=1, max_col=MAX_COLUMNS, values_only=True)
    except Exception as exc:
        raise RegistryFileError(f"无法读取 XLSX 文件：{exc}", f"Cannot read the XLSX file: {exc}") from exc
    finally:
        workbook.close()


def _has_content(raw) -> bool:
    if raw.count(None) == len(raw):  # the usual blank spreadsheet row, at C speed
        return False
    return any(v is not None and (not isinstance(v, str) or v.strip()) for v in raw)


def read_table(data: bytes, filename: str) -> RawTable:
    name = filename.lower()
    if name.endswith(".xlsx") or data[:2] == b"PK":
        rows = _xlsx_rows(data)
    elif name.endswith((".csv", ".txt")) or not name:
        rows = _csv_rows(data)
    else:
        raise RegistryFileError("只支持 CSV 或 XLSX 文件。", "Only CSV or XLSX files are accepted.")
    with closing(rows):
        return _table(rows)


def _too_many_rows() -> RegistryFileError:
    return RegistryFileError(
        f"文件超过 {MAX_ROWS:,} 行（含空行），不予读取。请删除名册下方多余的空行后重新上传。",
        f"The file has more than {MAX_ROWS:,} rows (blank ones included) and is not read. "
        "Delete the blank rows below the registry and upload it again.",
    )


def _table(rows: Iterator) -> RawTable:
    """Rows of raw cells (text from a CSV, typed values from XLSX) to a table; row numbers are
    those a spreadsheet shows, counting the blank rows above the header."""
    header: list[str] | None = None
    header_row = 0
    for header_row, raw in enumerate(rows, start=1):
        if header_row > MAX_ROWS:
            raise _too_many_rows()
        if _has_content(raw):
            header = [_cell_text(v) for v in raw]
            break
    if header is None:
        raise RegistryFileError("文件是空的。", "The file is empty.")
    columns: list[str | None] = []
    headers: dict[str, str] = {}
    warnings: list[tuple[str, str]] = []
    for title in header:
        key = _LOOKUP.get(title.strip().lower())
        if key is None:
            if title.strip():
                warnings.append((f"未知列“{title}”已忽略。", f"Unknown column '{title}' ignored."))
        elif key in headers:
            raise RegistryFileError(f"列“{title}”重复。", f"Column '{title}' appears twice.")
        else:
            headers[key] = title.strip()
        columns.append(key)
    missing = [c for c in REQUIRED_COLUMNS if c not in headers]
    if "owner" not in headers:
        missing.append("owner")
    if "id_number" not in headers:
        missing.append("id_number")
    if missing:
        zh = "、".join(COLUMNS[c][0] for c in missing)
        en = ", ".join(missing)
        raise RegistryFileError(f"缺少必需的列：{zh}。", f"Missing required column(s): {en}.")
    wanted = [(index, key) for index, key in enumerate(columns) if key is not None]
    table_rows = []
    for number, raw in enumerate(rows, start=header_row + 1):
        if number > MAX_ROWS:
            raise _too_many_rows()
        if not _has_content(raw):
            continue
        if len(table_rows) == MAX_DATA_ROWS:
            raise RegistryFileError(
                f"文件超过 {MAX_DATA_ROWS:,} 行数据（第 {number:,} 行已超出），不予导入：一次导入最多 {MAX_DATA_ROWS:,} 套房屋。",
                f"The file has more than {MAX_DATA_ROWS:,} data rows (row {number:,} is past the limit) and is not imported: "
                f"one import holds at most {MAX_DATA_ROWS:,} units.",
            )
        values = dict.fromkeys(COLUMNS, "")
        for index, key in wanted:
            if index < len(raw):
                values[key] = _cell_text(raw[index])
        table_rows.append((number, values))
    return RawTable(rows=table_rows, warnings=warnings, headers=headers)
