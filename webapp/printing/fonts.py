"""The Chinese fonts of every printed page (letters, notices, ballot sheets, announcements),
and line breaking for Chinese text.

Font decision: the pages are printed, but also forwarded as PDF files and opened on owners'
phones, whose viewers may have no Chinese font for a non-embedded one.  So we **embed** a CJK
font (subset: only the glyphs used).  reportlab embeds TrueType outlines only; Debian's Noto CJK
fonts are CFF (PostScript) outlines, which reportlab cannot embed, so we look for a TrueType CJK
font in known system paths, preferring WenQuanYi Micro Hei (Debian ``fonts-wqy-microhei``).  If
none is installed we fall back to reportlab's built-in CID font ``STSong-Light`` (not embedded).
"""

from __future__ import annotations

import functools
import logging
import os
import re
from typing import NamedTuple

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont

log = logging.getLogger(__name__)

# --------------------------------------------------------------------------------------------
# Fonts

# (path, subfont index of the proportional face, subfont index of the monospace face or None).
# TrueType-outline CJK fonts only (see the module docstring); first found wins.
_CJK_FONT_CANDIDATES: tuple[tuple[str, int, int | None], ...] = (
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0, 1),  # fonts-wqy-microhei
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0, 1),  # fonts-wqy-zenhei
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", 0, None),  # fonts-droid-fallback
    ("/usr/share/fonts/truetype/arphic/uming.ttc", 0, None),  # fonts-arphic-uming
)

_BODY = "OwnersVoteCJK"
_MONO = "OwnersVoteCJKMono"
_FALLBACK_BODY = "STSong-Light"
_FALLBACK_MONO = "Courier-Bold"


class FontInfo(NamedTuple):
    body: str  # reportlab font name for the Chinese text
    mono: str  # reportlab font name for the fallback code
    embedded: bool  # True when the Chinese font is embedded in the PDF
    source: str  # the font file, or "STSong-Light (not embedded)"


@functools.cache
def font_info() -> FontInfo:
    """Register the letters' fonts once per process and say which ones are used."""
    for path, index, mono_index in _CJK_FONT_CANDIDATES:
        if not os.path.isfile(path):
            continue
        try:
            pdfmetrics.registerFont(TTFont(_BODY, path, subfontIndex=index))
            mono = _FALLBACK_MONO
            if mono_index is not None:
                pdfmetrics.registerFont(TTFont(_MONO, path, subfontIndex=mono_index))
                mono = _MONO
        except Exception:  # a broken or unsupported file: try the next one
            log.warning("cannot use CJK font %s for letters", path, exc_info=True)
            continue
        return FontInfo(_BODY, mono, True, path)
    # No TrueType CJK font on this machine: reportlab's built-in Adobe-GB1 CID font. It is not
    # embedded, so viewers substitute a local Chinese font (poppler needs poppler-data and a CJK
    # font such as fonts-noto-cjk). Install fonts-wqy-microhei to embed instead.
    log.warning("no TrueType CJK font found; letters use non-embedded STSong-Light")
    pdfmetrics.registerFont(UnicodeCIDFont(_FALLBACK_BODY))
    return FontInfo(_FALLBACK_BODY, _FALLBACK_MONO, False, "STSong-Light (not embedded)")


# Characters that must not begin a line (避头点) and a pattern that keeps Latin words, numbers,
# phone numbers and URLs whole when wrapping.
_NO_LINE_START = set("，。、；：！？）》」』”’,.;:!?)]%")
_TOKEN = re.compile(r"[A-Za-z0-9@#%&+=_./:\-]+|\s+|.", re.S)


@functools.lru_cache(maxsize=1024)
def wrap_text(text: str, font: str, size: float, width: float) -> tuple[str, ...]:
    """Break ``text`` into lines no wider than ``width`` (CJK: between any two characters).

    Cached: most paragraphs are the same on every letter of a batch.
    """
    lines: list[str] = []
    for para in text.split("\n"):
        line = ""
        for tok in _TOKEN.findall(para):
            if not line and tok.isspace():
                continue
            if pdfmetrics.stringWidth(line + tok, font, size) <= width or not line:
                line += tok
            elif tok in _NO_LINE_START:
                line += tok  # hang the punctuation in the margin
            else:
                if len(line) > 1 and line[-1] in "（《「『“‘(":
                    lines.append(line[:-1].rstrip())
                    line = line[-1] + tok
                else:
                    lines.append(line.rstrip())
                    line = "" if tok.isspace() else tok
        lines.append(line.rstrip())
    return tuple(lines)
