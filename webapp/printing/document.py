"""A small flowing-text A4 writer on reportlab: headings, paragraphs that wrap Chinese text
correctly, key–value rows, QR codes, automatic page breaks and page numbers.

The Chinese font is the one the QR letters embed (webapp.printing.fonts): a document
printed for a notice board must render the same on every phone and printer.
"""

from __future__ import annotations

import io
from datetime import datetime

from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas

from webapp.printing.fonts import font_info, wrap_text
from webapp.printing.qr import draw_qr, qr_matrix

PAGE_W, PAGE_H = A4
MARGIN = 52.0
WIDTH = PAGE_W - 2 * MARGIN
BOTTOM = 60.0


class PdfWriter:
    def __init__(self, title: str, footer: str = "", author: str | None = None):
        self.buffer = io.BytesIO()
        self.c = Canvas(self.buffer, pagesize=A4, pageCompression=1)
        self.c.setTitle(title)
        # Who issues the document (the estate's organising body); reportlab writes "anonymous"
        # unless told otherwise.
        self.c.setAuthor(author or "OwnersVote 业主表决")
        self.c.setCreator("OwnersVote 业主表决")
        self.fonts = font_info()
        self.footer = footer
        self.page = 1
        self.y = PAGE_H - MARGIN

    def _new_page(self) -> None:
        self._foot()
        self.c.showPage()
        self.page += 1
        self.y = PAGE_H - MARGIN

    def _foot(self) -> None:
        self.c.setFont(self.fonts.body, 8.5)
        self.c.setFillGray(0.35)
        self.c.drawString(MARGIN, 30, self.footer[:140])
        self.c.drawRightString(PAGE_W - MARGIN, 30, f"{self.page}")
        self.c.setFillGray(0)

    def need(self, height: float) -> None:
        if self.y - height < BOTTOM:
            self._new_page()

    def lines(self, text: str, size: float, *, indent: float = 0, gray: float = 0.0, gap: float = 4.0) -> None:
        leading = size * 1.45
        self.c.setFillGray(gray)
        for line in wrap_text(text, self.fonts.body, size, WIDTH - indent):
            self.need(leading)
            self.c.setFont(self.fonts.body, size)
            self.y -= leading
            self.c.drawString(MARGIN + indent, self.y + size * 0.3, line)
        self.c.setFillGray(0)
        self.y -= gap

    def title(self, text: str) -> None:
        size = 20.0
        while pdfmetrics.stringWidth(text, self.fonts.body, size) > WIDTH and size > 12:
            size -= 1
        self.need(size * 2)
        self.c.setFont(self.fonts.body, size)
        self.y -= size * 1.6
        self.c.drawCentredString(PAGE_W / 2, self.y, text)
        self.y -= 8

    def heading(self, text: str) -> None:
        self.need(40)
        self.lines(text, 14.5, gap=2)

    def paragraph(self, text: str, size: float = 11.5, indent: float = 0) -> None:
        self.lines(text, size, indent=indent)

    def small(self, text: str, indent: float = 0) -> None:
        self.lines(text, 8.5, indent=indent, gray=0.3, gap=2)

    def rule(self) -> None:
        self.need(10)
        self.y -= 4
        self.c.setLineWidth(0.5)
        self.c.setStrokeGray(0.6)
        self.c.line(MARGIN, self.y, PAGE_W - MARGIN, self.y)
        self.c.setStrokeGray(0)
        self.y -= 6

    def qr(self, data: str, size: float = 92.0, caption: str = "", x: float | None = None) -> None:
        """A QR code at the left (or at ``x``), with a caption beside it."""
        self.need(size + 12)
        left = MARGIN if x is None else x
        draw_qr(self.c, qr_matrix(data, "M"), left, self.y - size, size)
        if caption:
            self.c.setFont(self.fonts.body, 9)
            top = self.y - 14
            for line in wrap_text(caption, self.fonts.body, 9, WIDTH - size - 16):
                self.c.drawString(left + size + 12, top, line)
                top -= 13
        self.y -= size + 10

    def finish(self) -> bytes:
        self._foot()
        self.c.save()
        return self.buffer.getvalue()


def date_zh(value: datetime) -> str:
    return f"{value.year}年{value.month}月{value.day}日 {value:%H:%M}"
