"""The district view as an Excel workbook (openpyxl): the estates' lines and the figures by month,
as the districts pass them upward.  Counts are written as integers, shares as exact fractions of
the counts (a formula a reader can check), never as rounded floats typed in."""

from __future__ import annotations

from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from webapp.assemblies.states import state_label
from webapp.district.operations import EstateLine

HEADERS_ZH = [
    "小区",
    "区",
    "街道",
    "组织机构",
    "任期届满",
    "物业服务企业",
    "统一社会信用代码",
    "服务起始",
    "最近考评",
    "得分",
    "榜单",
    "进行中的业主大会",
    "最近结果",
    "进行中的业主提议",
    "逾期未整改通知",
]
HEADERS_EN = [
    "Estate",
    "District",
    "Sub-district",
    "Organising body",
    "Term ends",
    "Firm",
    "USCC",
    "Serving since",
    "Latest ranking",
    "Score",
    "List",
    "Assemblies in progress",
    "Last result",
    "Open petitions",
    "Rectification notices past due",
]


def workbook(lines: list[EstateLine], figures: dict, *, zh: bool) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "小区" if zh else "Estates"
    headers = HEADERS_ZH if zh else HEADERS_EN
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    band = {"red": "红榜" if zh else "red", "black": "黑榜" if zh else "black"}
    for line in lines:
        running = "；".join(
            f"{r.assembly.title}（{state_label(r.assembly.state, zh)}"
            + ((f"，已投票 {r.turnout.ballots} 户" if zh else f", {r.turnout.ballots} households voted") if r.turnout else "")
            + "）"
            for r in line.running
        )
        last = ""
        if line.last is not None:
            if line.last.intact:
                last = f"{line.last.assembly.title}: {line.last.passed}/{line.last.items}"
            else:
                last = f"{line.last.assembly.title}: " + ("核验未通过" if zh else "does not verify")
        score = line.score
        sheet.append(
            [
                line.estate.name,
                line.area.district if line.area else "",
                line.area.sub_district if line.area else "",
                line.body_name or ("未登记" if zh else "none recorded"),
                line.body.term_end.isoformat() if line.body and line.body.term_end else "",
                line.firm.name if line.firm else ("无物业" if zh else "none"),
                line.firm.uscc if line.firm else "",
                line.firm_since.isoformat() if line.firm_since else "",
                score.period if score else "",
                (score.shown if score and score.intact else "") or "",
                band.get(score.band, "") if score and score.band else "",
                running,
                last,
                "；".join(f"{p.petition.subject}（{p.shown.area_share}, {p.shown.heads}/{p.shown.heads_needed}）" for p in line.petitions),
                len(line.overdue),
            ]
        )
    _widths(sheet)

    trend = book.create_sheet("指标" if zh else "Figures")
    measures = list(figures["measures"].items())
    header = ["月末" if zh else "Month end", "小区数" if zh else "Estates"]
    for _name, words in measures:
        label = words["zh"] if zh else words["en"]
        header += [label + ("（个）" if zh else " (count)"), label]
    trend.append(header)
    for cell in trend[1]:
        cell.font = Font(bold=True)
    for row_number, point in enumerate(figures["points"], start=2):
        row: list = [point["day"], point["estates"]]
        for index, (name, _words) in enumerate(measures):
            row.append(point[name]["count"])
            count_cell = f"{get_column_letter(3 + 2 * index)}{row_number}"
            row.append(f'=IF(B{row_number}=0,"",{count_cell}/B{row_number})')
        trend.append(row)
        for index in range(len(measures)):
            trend.cell(row=row_number, column=4 + 2 * index).number_format = "0.00%"
    _widths(trend)
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def _widths(sheet) -> None:
    for column in sheet.columns:
        longest = max((len(str(c.value)) for c in column if c.value is not None), default=4)
        sheet.column_dimensions[column[0].column_letter].width = min(60, max(8, longest * 2))
