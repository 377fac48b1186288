"""Merge translations into tools/zh_CN.json, keeping it sorted (also resolves merge conflicts:
feed it each side's file).  Usage: python tools/zh_merge.py NEW.json [MORE.json …]"""

from __future__ import annotations

import json
import sys
from pathlib import Path

TABLE = Path(__file__).resolve().parent / "zh_CN.json"


def write(table: dict) -> None:
    lines = [json.dumps(k, ensure_ascii=False) + ": " + json.dumps(v, ensure_ascii=False) for k, v in sorted(table.items())]
    TABLE.write_text("{\n" + ",\n".join(lines) + "\n}\n")


def main(paths: list[str]) -> int:
    table = json.loads(TABLE.read_text())
    for path in paths:
        table.update(json.loads(Path(path).read_text()))
    write(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
