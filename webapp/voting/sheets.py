"""Printed ballot sheets (纸质表决票): one A4 page per member, with the unit(s), the member id,
every item with its boxes, the sheet's serial and a QR code of (assembly, member, serial), and a
line for the owner's signature."""

from __future__ import annotations

from webapp.assemblies.kinds import kind_of
from webapp.assemblies.presentation import convener
from webapp.estates.thresholds import CATEGORIES
from webapp.printing.document import PdfWriter
from webapp.registry.counting import format_area
from webapp.voting.paper import qr_text


def render_sheets(assembly, notice: dict, sheets: list, units: dict[str, list[tuple[str, int]]], *, progress=None) -> bytes:

    estate = assembly.estate
    organiser = convener(assembly)
    pdf = PdfWriter(
        f"{estate.name} 纸质表决票",
        footer=f"{estate.name} · {assembly.title} · 公告摘要 {assembly.current_notice.sha256[:16]}…",
        author=organiser,
    )
    for n, sheet in enumerate(sheets):
        if n:
            pdf._new_page()
        pdf.title(f"{estate.name}业主大会 纸质表决票")
        pdf.paragraph(assembly.title, 12.5)
        pdf.small(f"召集人：{organiser}")
        member_units = units.get(sheet.member, [])
        labels = "、".join(u[0] for u in member_units[:8]) + ("…" if len(member_units) > 8 else "")
        area = sum(u[1] for u in member_units)
        pdf.paragraph(f"房屋：{labels}　面积合计：{format_area(area)} 平方米　成员编号：{sheet.member}", 11)
        pdf.qr(
            qr_text(assembly, sheet),
            size=80,
            caption=f"表决票编号 {sheet.serial}。本票由两位组织者分别录入；同一业主已在网上投票的，本票不计入。",
        )
        for i, item in enumerate(notice["items"], start=1):
            pdf.rule()
            pdf.paragraph(f"{i}. {item['title']}（{CATEGORIES[item['category']].zh}）", 11.5)
            kind = kind_of(item["kind"])
            if kind.has_options:
                pdf.small(kind.sheet_hint_zh(item), indent=12)
            for box in kind.sheet_boxes_zh(item):
                pdf.paragraph(f"□ {box}", 13 if not kind.has_options else 11.5, indent=12)
        pdf.rule()
        pdf.paragraph("业主（或受托人）签名：______________________　　日期：____________", 12)
        pdf.small(f"请在投票截止前交回{organiser}。未标记的事项视为弃权。")
        if progress:
            progress(n + 1, len(sheets))
    return pdf.finish()
