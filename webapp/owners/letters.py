"""Printable invitation letters (登记告知书): one A4 page per unit, as PDF bytes.

A pure rendering module: it takes already-issued letters (token, fallback code and expiry are
made, hashed and audited elsewhere) and returns PDF bytes. It touches no database, no request
and no clock, so the same input always gives the same pages.

The QR code carries ``Letter.url``, which holds the secret token. The url is therefore drawn
*only* as the QR code: it is never written as text, as a link annotation or in the document
metadata, so copying text out of the PDF (or a search index over it) cannot leak the token. The
fallback code is a separate secret that the owner types at ``code_url``.

Font decision
-------------
The letters are printed, but also forwarded as PDF files and opened on owners' phones, whose
viewers may have no Chinese font for a non-embedded one. So we **embed** a CJK font (subset: only
the glyphs used). reportlab embeds TrueType outlines only; Debian's Noto CJK fonts are CFF
(PostScript) outlines, which reportlab cannot embed, so we look for a TrueType CJK font in known
system paths, preferring WenQuanYi Micro Hei (Debian ``fonts-wqy-microhei``: a clean 黑体 with a
matching monospace face, Apache-2.0 / GPL with font exception, ~5 MB, parsed in ~0.1 s).

If none is installed we fall back to reportlab's built-in CID font ``STSong-Light`` (Adobe-GB1,
not embedded) and Courier-Bold for the code: the PDF is still valid and prints from any viewer
that has a Chinese font (and poppler with ``poppler-data``), but an embedded font is the robust
choice, so CI installs ``fonts-wqy-microhei`` and the tests insist on embedding when ``CI`` is set.
"""

from __future__ import annotations

import datetime
import io
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas

from webapp.printing.fonts import FontInfo, font_info, wrap_text
from webapp.printing.qr import draw_qr, qr_matrix
from webapp.registry.counting import natural_key

__all__ = ["Letter", "render_letters", "TITLE", "font_info", "delivery_key"]

log = logging.getLogger(__name__)

TITLE = "业主大会网上表决登记告知书"


@dataclass(frozen=True)
class Letter:
    estate_name: str  # 绿苑小区
    building: str  # "3"
    unit: str  # "1201"
    url: str  # the QR target, e.g. "https://vote.example.cn/r/<43-char base64url token>"
    code: str  # short fallback code to type, e.g. "K7QF-9M2X-H3RT"
    code_url: str  # where to type the code, e.g. "https://vote.example.cn/r"
    expires_on: datetime.date
    help_text: str  # who to ask for help, e.g. "物业服务中心 0571-88886666，或社区居委会"
    organiser: str  # who sends it, e.g. "绿苑小区业主大会筹备组"
    help_phone: str | None = None  # the estate's help line, e.g. "0571-8888 6666"
    # The estate's proxy rule (Estate.proxy_cap): an owner may authorise someone in writing, and one
    # person represents at most this many owners.  A proxy's own letter says what it is instead.
    proxy_cap: int = 3
    for_proxy: bool = False


def own_phone_warning(letter: Letter) -> str:
    """The black bar of the letter: register on your own phone; and how voting for someone else is
    done in this estate (a written, vetted letter of proxy), never that it is not allowed."""
    if letter.for_proxy:
        return "本告知书只供受托人本人用自己的手机登记，不要转交他人。\n受托人只能按书面委托书代业主投票。"
    return (
        f"请用您本人的手机登记，不要让别人替您登记或投票。\n委托他人投票须有书面委托书并经监督员审核，每人最多代理 {letter.proxy_cap} 户。"
    )


# --------------------------------------------------------------------------------------------
# Text helpers

PAGE_W, PAGE_H = A4
MARGIN_X = 56.0  # ~2 cm
CONTENT_W = PAGE_W - 2 * MARGIN_X

BODY_SIZE = 14.5  # large type for elderly readers (小四 is 12 pt)
LEADING = 1.5


def _fit_size(text: str, font: str, size: float, width: float, minimum: float) -> float:
    """The largest size <= ``size`` (not below ``minimum``) at which ``text`` fits ``width``."""
    w = pdfmetrics.stringWidth(text, font, size)
    return size if w <= width else max(minimum, size * width / w)


def _split_to_width(s: str, font: str, size: float, width: float) -> list[str]:
    """Break ``s`` between any two characters so that each piece fits ``width`` (for URLs)."""
    lines, line = [], ""
    for ch in s:
        if line and pdfmetrics.stringWidth(line + ch, font, size) > width:
            lines.append(line)
            line = ""
        line += ch
    return lines + [line] if line else lines


def delivery_key(building: str, unit: str) -> tuple:
    """The order a courier walks: building by building (natural order), floor by floor, then
    the flats of a floor.  Unit numbers carry the floor in their hundreds (101, 1001, 2504:
    floor = number // 100), so ``1001`` comes after ``904`` and not after ``101``; numbers that
    are not plain digits (``商铺2``) come after the flats, in natural order."""
    u = unit.strip()
    if u.isdigit():
        number = int(u)
        return (natural_key(building.strip()), 0, number // 100, number, u)
    return (natural_key(building.strip()), 1, 0, 0, natural_key(u))


def _date_zh(d: datetime.date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def unit_label(building: str, unit: str) -> str:
    """ "3", "1201" -> "3号楼 1201室"; labels already in words ("A座", "商铺2") stay as given."""
    b = building.strip()
    u = unit.strip()
    if b.isdigit():
        b += "号楼"
    if u.isdigit():
        u += "室"
    return f"{b} {u}" if b else u


class _Page:
    """Drawing on one page with a cursor that moves down, in the letters' fonts."""

    def __init__(self, c: Canvas, fonts: FontInfo):
        self.c = c
        self.f = fonts
        self.y = PAGE_H - 58

    def text(
        self,
        x: float,
        y: float,
        s: str,
        size: float,
        *,
        font: str | None = None,
        bold: bool = False,
        align: str = "left",
        char_space: float = 0.0,
    ) -> None:
        font = font or self.f.body
        if align != "left":
            w = pdfmetrics.stringWidth(s, font, size) + char_space * max(len(s) - 1, 0)
            x -= w / 2 if align == "center" else w
        # Character spacing, render mode and line width belong to the PDF graphics state and
        # outlive a text object (BT/ET): draw inside q/Q so one bold or spaced string does not
        # leak into the next.
        self.c.saveState()
        t = self.c.beginText()
        t.setFont(font, size)
        if char_space:
            t.setCharSpace(char_space)
        if bold:
            # The CJK faces have no bold; fill and stroke the outlines instead (a common
            # "faux bold" that prints well).
            t.setTextRenderMode(2)
            self.c.setLineWidth(size * 0.03)
        t.setTextOrigin(x, y)
        t.textOut(s)
        self.c.drawText(t)
        self.c.restoreState()

    def paragraph(
        self,
        s: str,
        size: float = BODY_SIZE,
        *,
        x: float = MARGIN_X,
        width: float = CONTENT_W,
        bold: bool = False,
        first: str = "",
        gap_after: float = 4.0,
    ) -> None:
        """A wrapped paragraph; ``first`` is a hanging label (e.g. "1.") before the text."""
        indent = pdfmetrics.stringWidth(first, self.f.body, size) if first else 0.0
        lines = wrap_text(s, self.f.body, size, width - indent)
        for i, line in enumerate(lines):
            self.y -= size * LEADING if i else size * 1.2
            if i == 0 and first:
                self.text(x, self.y, first, size, bold=True)
            self.text(x + indent, self.y, line, size, bold=bold)
        self.y -= size * (LEADING - 1.2) + gap_after


# --------------------------------------------------------------------------------------------
# QR code


# A progress callback gets (stage, done, total); stages are "qr", "pages" and "save".
Progress = Callable[[str, int, int], None]


def _report_every(total: int) -> int:
    return max(1, total // 200)


def _qr_matrices(urls: list[str], progress: Progress | None = None) -> list[list[list[bool]]]:
    """One QR matrix per letter, in order; zxing-cpp encodes a code in well under a millisecond,
    so a batch needs no worker processes (which a killed job used to leave behind)."""
    total = len(urls)
    step = _report_every(total)
    out: list[list[list[bool]]] = []
    for url in urls:
        out.append(qr_matrix(url, "Q"))
        if progress is not None and (len(out) % step == 0 or len(out) == total):
            progress("qr", len(out), total)
    return out


# --------------------------------------------------------------------------------------------
# The letter


def _notes_height(notes: Sequence[tuple[str, str]], font: str, size: float) -> float:
    h = 0.0
    for head, body in notes:
        n = len(wrap_text(body, font, size, CONTENT_W - pdfmetrics.stringWidth(head, font, size)))
        h += size * 1.2 + (n - 1) * size * LEADING + size * (LEADING - 1.2) + 1
    return h


def _draw_letter(c: Canvas, fonts: FontInfo, letter: Letter, matrix: list[list[bool]]) -> None:
    pg = _Page(c, fonts)
    cx = PAGE_W / 2
    label = unit_label(letter.building, letter.unit)
    expires = _date_zh(letter.expires_on)
    c.setStrokeGray(0)
    c.setFillGray(0)

    # Title and estate.
    pg.text(cx, pg.y, TITLE, 24, bold=True, align="center")
    pg.y -= 30
    size = _fit_size(letter.estate_name, fonts.body, 17, CONTENT_W, 10)
    pg.text(cx, pg.y, letter.estate_name, size, align="center")
    pg.y -= 14
    c.setLineWidth(1.2)
    c.line(MARGIN_X, pg.y, PAGE_W - MARGIN_X, pg.y)

    # The unit, prominent, in a box.
    pg.y -= 12
    box_h = 58
    c.setLineWidth(2)
    c.roundRect(MARGIN_X, pg.y - box_h, CONTENT_W, box_h, 6, stroke=1, fill=0)
    pg.text(MARGIN_X + 14, pg.y - box_h / 2 - 5, "房号", 14)
    size = _fit_size(label, fonts.body, 32, CONTENT_W - 120, 14)
    pg.text(cx, pg.y - box_h / 2 - size * 0.36, label, size, bold=True, align="center")
    pg.y -= box_h + 6

    # What to do.
    pg.paragraph("尊敬的业主：", 15, bold=True, gap_after=2)
    pg.paragraph("本小区业主大会将在网上表决。请您用自己的手机登记一次，以后就可以用这部手机投票。", gap_after=6)
    steps = (
        "用手机相机或微信“扫一扫”，扫描下面的二维码。",
        "按提示填写业主姓名和身份证号码的后六位，核对身份。",
        "核对通过后，您的手机会保存一把“电子钥匙”。以后用这部手机投票，不用密码。",
    )
    for i, step in enumerate(steps, 1):
        pg.paragraph(step, first=f"{i}. ", gap_after=2)

    # Own phone only: a black bar with white text, visible in black-and-white print.
    pg.y -= 6
    warn = own_phone_warning(letter)
    wsize = 14.5
    wlines = wrap_text(warn, fonts.body, wsize, CONTENT_W - 24)
    wh = len(wlines) * wsize * LEADING + 12
    c.setFillGray(0)
    c.roundRect(MARGIN_X, pg.y - wh, CONTENT_W, wh, 5, stroke=0, fill=1)
    c.setFillGray(1)
    c.setStrokeGray(1)
    ly = pg.y - 6 - wsize * 1.1
    for line in wlines:
        pg.text(MARGIN_X + 12, ly, line, wsize, bold=True)
        ly -= wsize * LEADING
    c.setFillGray(0)
    c.setStrokeGray(0)
    pg.y -= wh + 14

    # QR code on the left, the fallback code on the right.
    qr_size = 176.0  # ~6.2 cm including the quiet zone
    qr_x = MARGIN_X - 6
    qr_top = pg.y
    draw_qr(c, matrix, qr_x, qr_top - qr_size, qr_size)
    pg.text(qr_x + qr_size / 2, qr_top - qr_size - 8, "请用手机扫描此二维码", 13, align="center")

    rx = MARGIN_X + qr_size + 14
    rw = PAGE_W - MARGIN_X - rx
    c.setLineWidth(1)
    c.setDash(4, 3)
    c.roundRect(rx, qr_top - qr_size - 14, rw, qr_size + 6, 6, stroke=1, fill=0)
    c.setDash()
    sub = _Page(c, fonts)
    sub.y = qr_top - 6
    sub.paragraph("扫不了二维码时：", 15, x=rx + 12, width=rw - 24, bold=True, gap_after=2)
    sub.paragraph("在手机浏览器里打开下面的网址：", 13.5, x=rx + 12, width=rw - 24, gap_after=0)
    # The address in monospace: shrunk a little if long, then broken across two lines rather
    # than made unreadably small. Never cut: an owner must be able to type all of it.
    usize = _fit_size(letter.code_url, fonts.mono, 14, rw - 24, 11)
    ulines = _split_to_width(letter.code_url, fonts.mono, usize, rw - 24)
    while len(ulines) > 2 and usize > 8:
        usize -= 0.5
        ulines = _split_to_width(letter.code_url, fonts.mono, usize, rw - 24)
    for line in ulines:
        sub.y -= usize + 5
        pg.text(rx + 12, sub.y, line, usize, font=fonts.mono)
    sub.y -= 6
    sub.paragraph("再输入登记码：", 13.5, x=rx + 12, width=rw - 24, gap_after=0)
    csize = _fit_size(letter.code, fonts.mono, 25, rw - 40, 12)
    cspace = 1.5  # a little air between the characters, when the box allows it
    if pdfmetrics.stringWidth(letter.code, fonts.mono, csize) + cspace * len(letter.code) > rw - 40:
        cspace = 0.0
    sub.y -= csize + 14
    c.setLineWidth(1.5)
    c.rect(rx + 12, sub.y - 10, rw - 24, csize + 18, stroke=1, fill=0)
    pg.text(rx + rw / 2, sub.y, letter.code, csize, font=fonts.mono, bold=True, align="center", char_space=cspace)
    pg.y = qr_top - qr_size - 24

    # Validity, single use, loss, safe-keeping, help.
    notes = (
        ("有效期：", f"至{expires}（含当天），过期作废。"),
        ("仅限本户：", f"本告知书只用于{label}，只能登记一次。"),
        ("如果丢失：", f"请找{letter.organiser}补发新的告知书。补发后，这份告知书作废。"),
        ("请保管好：", "不要把本告知书或二维码拍照发到微信群，也不要交给别人。"),
        ("用浏览器打开：", "请用手机相机扫码，在手机自带的浏览器中登记；在微信、支付宝或 QQ 里打开时，请点右上角“···”，选“在浏览器打开”。"),
        ("需要帮助：", letter.help_text),
    ) + ((("帮助热线：", letter.help_phone),) if letter.help_phone else ())
    # Long help texts or organiser names shrink the notes rather than run off the page.
    room = pg.y - 70
    nsize = BODY_SIZE
    while nsize > 10.5 and _notes_height(notes, fonts.body, nsize) > room:
        nsize -= 0.5
    for head, body in notes:
        pg.paragraph(body, nsize, first=head, gap_after=1)

    # Sender.
    pg.y -= 10
    osize = _fit_size(letter.organiser, fonts.body, 15, CONTENT_W, 10)
    pg.text(PAGE_W - MARGIN_X, max(pg.y - osize, 40), letter.organiser, osize, align="right")


# reportlab keeps global font state; one render at a time keeps it simple and safe.
_render_lock = threading.Lock()


def render_letters(letters: Sequence[Letter], progress: Progress | None = None) -> bytes:
    """One A4 page per letter, in the given order; PDF bytes.  ``progress(stage, done, total)``
    is called now and then: while the QR codes are made ("qr"), while the pages are drawn
    ("pages"), and before and after the file is written out ("save", 0 or 1 of 1)."""
    letters = list(letters)
    if not letters:
        raise ValueError("render_letters needs at least one letter")
    for i, lt in enumerate(letters):
        if not isinstance(lt, Letter):
            raise TypeError(f"letters[{i}] is {type(lt).__name__}, not Letter")
        if not lt.url:
            raise ValueError(f"letters[{i}] has no url")
    fonts = font_info()
    matrices = _qr_matrices([lt.url for lt in letters], progress)
    total = len(letters)
    step = _report_every(total)
    buf = io.BytesIO()
    with _render_lock:
        c = Canvas(buf, pagesize=A4, pageCompression=1)
        c.setTitle(TITLE)
        c.setSubject(letters[0].estate_name)
        c.setAuthor(letters[0].organiser)
        c.setCreator("OwnersVote")
        for n, (lt, matrix) in enumerate(zip(letters, matrices, strict=True), 1):
            _draw_letter(c, fonts, lt, matrix)
            c.showPage()
            if progress is not None and (n % step == 0 or n == total):
                progress("pages", n, total)
        if progress is not None:
            progress("save", 0, 1)
        c.save()
        if progress is not None:
            progress("save", 1, 1)
    return buf.getvalue()
