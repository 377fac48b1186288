"""QR codes for every printed page (letters, notices, ballot sheets, announcements) and for the
receipt page: encoded by zxing-cpp, whose C++ encoder chooses the mask pattern by the standard's
penalty score in well under a millisecond (the pure-Python encoder spent ~7 ms a code doing the
same, 80 % of a batch of letters: docs/performance.md)."""

from __future__ import annotations

import base64

import zxingcpp
from reportlab.pdfgen.canvas import Canvas

QUIET_ZONE = 4  # modules of white around the code, as the standard asks


def qr_matrix(data: str, ec_level: str = "Q") -> list[list[bool]]:
    """The QR modules for ``data`` (True is dark) with a 4-module quiet zone.  Letters use EC level
    Q (25 % recovery) so that a creased, stained or poorly printed letter still scans."""
    code = zxingcpp.create_barcode(data, zxingcpp.BarcodeFormat.QRCode, ec_level=ec_level)
    image = memoryview(code.to_image(scale=1, add_quiet_zones=True))
    rows, cols = image.shape
    pixels = image.tobytes()
    return [[pixels[r * cols + c] < 128 for c in range(cols)] for r in range(rows)]


def draw_qr(c: Canvas, matrix: list[list[bool]], x: float, y: float, size: float) -> None:
    """Draw the QR as black vector rectangles in a ``size`` square whose lower-left is (x, y).

    Vector modules stay crisp at any printer resolution (an upscaled bitmap may be smoothed by
    viewers). The path is written in module units under one transformation: runs of dark
    modules in a row become one integer ``re`` rectangle, all filled at once, which keeps the
    page stream small and is much faster than formatting floats for each rectangle.
    """
    n = len(matrix)
    m = size / n
    ops = ["q", f"{m:.5f} 0 0 {-m:.5f} {x:.3f} {y + size:.3f} cm", "0 g"]
    for r, row in enumerate(matrix):
        col = 0
        while col < n:
            if row[col]:
                start = col
                while col < n and row[col]:
                    col += 1
                ops.append(f"{start} {r} {col - start} 1 re")
            else:
                col += 1
    ops += ["f", "Q"]
    c.addLiteral("\n".join(ops))


def qr_svg_data_uri(data: str, ec_level: str = "M") -> str:
    """A QR code as an SVG data URI (the CSP allows data: images, never inline script)."""
    svg = zxingcpp.create_barcode(data, zxingcpp.BarcodeFormat.QRCode, ec_level=ec_level).to_svg(scale=8, add_quiet_zones=True)
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()
