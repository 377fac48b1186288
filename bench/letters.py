"""Benchmark: render the QR invitation letters for a whole estate into one PDF.

    .venv/bin/python bench/letters.py                  # 1,200 letters, best of 3
    .venv/bin/python bench/letters.py --letters 5000 --repeat 1 --out /tmp/letters.pdf

Prints the wall time of ``render_letters`` (from Letter objects to PDF bytes), the part spent
making QR matrices, and the PDF's size. Each letter has its own random 256-bit token, so every
QR code differs as in production.
"""

from __future__ import annotations

import argparse
import base64
import datetime
import secrets
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from webapp.owners.letters import Letter, render_letters  # noqa: E402
from webapp.printing.fonts import font_info  # noqa: E402
from webapp.printing.qr import qr_matrix  # noqa: E402

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def make_letters(n: int) -> list[Letter]:
    out = []
    for i in range(n):
        token = base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()
        code = "-".join("".join(secrets.choice(ALPHABET) for _ in range(4)) for _ in range(3))
        out.append(
            Letter(
                estate_name="绿苑小区",
                building=str(i // 120 + 1),
                unit=f"{(i % 120) // 4 + 1}{(i % 4) + 1:02d}",
                url=f"https://vote.example.cn/r/{token}",
                code=code,
                code_url="https://vote.example.cn/r",
                expires_on=datetime.date(2025, 6, 30),
                help_text="物业服务中心 0571-88886666，或社区居委会",
                organiser="绿苑小区业主大会筹备组",
            )
        )
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--letters", type=int, default=1200)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", type=Path, help="write the last PDF here")
    args = ap.parse_args()

    t = time.perf_counter()
    fonts = font_info()
    print(f"font: {fonts.source} (embedded: {fonts.embedded}); loaded in {time.perf_counter() - t:.2f} s")
    letters = make_letters(args.letters)

    # Time the QR matrices alone once (the same work render_letters does per letter).
    t = time.perf_counter()
    for lt in letters:
        qr_matrix(lt.url, "Q")
    qr_s = time.perf_counter() - t

    best = float("inf")
    pdf = b""
    for _ in range(args.repeat):
        t = time.perf_counter()
        pdf = render_letters(letters)
        best = min(best, time.perf_counter() - t)
    if args.out:
        args.out.write_bytes(pdf)
    n = args.letters
    print(
        f"{n} letters: {best:.2f} s (best of {args.repeat}), {best / n * 1000:.1f} ms per letter; "
        f"QR matrices alone {qr_s:.2f} s; PDF {len(pdf) / 2**20:.1f} MiB "
        f"({len(pdf) / n / 1024:.1f} KiB per letter)"
    )


if __name__ == "__main__":
    main()
