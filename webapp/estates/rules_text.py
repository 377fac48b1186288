"""The estate's stricter thresholds as people type them, one rule a line:

    6 通过 以上 4/5        (category 6: approval at least 4/5)
    3 参与 超过 3/4        (category 3: turnout more than 3/4)
    6 approval at_least 4/5

Pure: parsing and printing only; whether a rule is allowed (never looser than the statute) is
webapp.assemblies.rules.check_estate_thresholds."""

from __future__ import annotations

import re

from webapp.core.errors_base import UserError

_TESTS = {
    "通过": "approval",
    "同意": "approval",
    "approval": "approval",
    "参与": "quorum",
    "参与表决": "quorum",
    "quorum": "quorum",
    "turnout": "quorum",
}
_RELATIONS = {
    "以上": "at_least",
    "at_least": "at_least",
    "at-least": "at_least",
    "超过": "more_than",
    "more_than": "more_than",
    "more-than": "more_than",
}
_LINE = re.compile(r"^\s*([1-9])\s+(\S+)\s+(\S+)\s+(\d+)\s*/\s*(\d+)\s*$")


class RulesTextError(UserError):
    pass


def parse(text: str) -> dict:
    rules: dict = {}
    for n, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        match = _LINE.match(line)
        test = _TESTS.get(match.group(2).lower()) if match else None
        relation = _RELATIONS.get(match.group(3).lower()) if match else None
        if not match or test is None or relation is None:
            raise RulesTextError(
                f"第 {n} 行“{line.strip()}”看不懂：请写成“类别 通过/参与 以上/超过 分数”，例如“6 通过 以上 4/5”",
                f"line {n} '{line.strip()}' cannot be read: write 'category approval/quorum at_least/more_than p/q', e.g. '6 approval at_least 4/5'",
            )
        rules.setdefault(match.group(1), {})[test] = {relation: f"{int(match.group(4))}/{int(match.group(5))}"}
    return rules


def show(rules: dict, zh: bool = True) -> str:
    lines = []
    for category, tests in sorted((rules or {}).items()):
        for test, spec in sorted(tests.items()):
            ((relation, fraction),) = spec.items()
            if zh:
                lines.append(
                    f"{category} {'通过' if test == 'approval' else '参与'} {'以上' if relation == 'at_least' else '超过'} {fraction}"
                )
            else:
                lines.append(f"{category} {test} {relation} {fraction}")
    return "\n".join(lines)
