"""Resolve a git conflict in tools/zh_CN.json by taking the union of both sides (and of the
common ancestor), then rewrite the file sorted.  Usage during a merge: python tools/merge_zh_conflict.py"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from zh_merge import write  # noqa: E402


def side(stage: int) -> dict:
    text = subprocess.run(["git", "show", f":{stage}:tools/zh_CN.json"], capture_output=True, text=True).stdout
    return json.loads(text) if text.strip() else {}


def main() -> int:
    table = {}
    for stage in (1, 2, 3):
        table.update(side(stage))
    write(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
