"""Refresh the message catalogs: extract, merge zh_CN from tools/zh_CN.json, compile.

Usage: .venv/bin/python tools/translations.py   (a test checks that the catalog is complete)
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
POT = ROOT / "webapp/translations/messages.pot"
PO = ROOT / "webapp/translations/zh/LC_MESSAGES/messages.po"


def main() -> int:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "--no-location",
            "--sort-output",
            "--omit-header",
            "-o",
            str(POT),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    template = read_po(POT.open("rb"))
    table = json.loads((ROOT / "tools/zh_CN.json").read_text())
    template.locale = "zh"
    missing = []
    for message in template:
        if message.id:
            message.string = table.get(message.id, "")
            if not message.string:
                missing.append(message.id)
    template.fuzzy = False
    PO.parent.mkdir(parents=True, exist_ok=True)
    with PO.open("wb") as fh:
        write_po(fh, template, omit_header=False, no_location=True, sort_output=True)
    with PO.with_suffix(".mo").open("wb") as fh:
        write_mo(fh, template)
    for mid in missing:
        print(f"missing zh_CN: {mid!r}")
    return 1 if missing else 0


if __name__ == "__main__":
    raise SystemExit(main())
