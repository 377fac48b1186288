"""Reading registry exports (CSV or XLSX) into rows of text keyed by our column names.

Property offices export CSV in UTF-8 (often with a BOM) or in GB18030/GBK; both are accepted.
XLSX cells arrive typed: numbers are turned back into the text a person typed, and an identity
number that Excel stored as a number (and so rounded) is left for validation to reject.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from webapp.core.errors_base import UserError

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
    raise RegistryFileError("文件编码无法识别，请另存为 UTF-8 编码的 CSV 或 XLSX。", "Cannot decode the file: save it as UTF-8 CSV or XLSX.")


def _read_csv(data: bytes) -> list[list[str]]:
    text = _decode(data)
    # The delimiter is read off the header row alone: ';' also separates co-owners inside cells,
    # so a sniffer looking at the data rows could take it for the delimiter.
    header = text.lstrip("\r\n").split("\n", 1)[0]
    delimiter = max((",", "\t", ";"), key=header.count)
    return [[c.strip() for c in row] for row in csv.reader(io.StringIO(text), delimiter=delimiter)]


def _read_xlsx(data: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise RegistryFileError(f"无法读取 XLSX 文件：{exc}", f"Cannot read the XLSX file: {exc}") from exc
    sheet = workbook.worksheets[0]
    rows = [[_cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    workbook.close()
    return rows


def read_table(data: bytes, filename: str) -> RawTable:
    name = filename.lower()
    if name.endswith(".xlsx") or data[:2] == b"PK":
        grid = _read_xlsx(data)
    elif name.endswith((".csv", ".txt")) or not name:
        grid = _read_csv(data)
    else:
        raise RegistryFileError("只支持 CSV 或 XLSX 文件。", "Only CSV or XLSX files are accepted.")
    grid = [row for row in grid]
    while grid and not any(grid[0]):
        grid.pop(0)
    if not grid:
        raise RegistryFileError("文件是空的。", "The file is empty.")
    header, body_start = grid[0], 2
    columns: list[str | None] = []
    warnings: list[tuple[str, str]] = []
    seen: set[str] = set()
    for title in header:
        key = _LOOKUP.get(title.strip().lower())
        if key is None:
            if title.strip():
                warnings.append((f"未知列“{title}”已忽略。", f"Unknown column '{title}' ignored."))
        elif key in seen:
            raise RegistryFileError(f"列“{title}”重复。", f"Column '{title}' appears twice.")
        else:
            seen.add(key)
        columns.append(key)
    missing = [c for c in REQUIRED_COLUMNS if c not in seen]
    if "owner" not in seen:
        missing.append("owner")
    if "id_number" not in seen:
        missing.append("id_number")
    if missing:
        zh = "、".join(COLUMNS[c][0] for c in missing)
        en = ", ".join(missing)
        raise RegistryFileError(f"缺少必需的列：{zh}。", f"Missing required column(s): {en}.")
    rows = []
    for offset, raw in enumerate(grid[1:]):
        if not any(cell.strip() for cell in raw):
            continue
        values = {key: "" for key in COLUMNS}
        for key, cell in zip(columns, raw):
            if key is not None:
                values[key] = cell.strip()
        rows.append((body_start + offset, values))
    return RawTable(rows=rows, warnings=warnings)
