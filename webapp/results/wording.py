"""A result in the words a reader knows: candidates, bidders and plans by their names.

The tally (``tally/explain.py``) names options by their ids ("c3", "b2"), because names are the
notice's business, not the tally's; the verifiers regenerate its reasons from the numbers.  A
page or the printed announcement says the same sentences with each id replaced by the name the
signed notice gives it, so that a reader of a tie knows which two people are tied.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

# An option id stands alone: not inside a longer id ("c1" in "c12") nor a word.
_EDGE = r"(?<![0-9A-Za-z_\-]){}(?![0-9A-Za-z_\-])"


def option_names(notice_item: Mapping) -> dict[str, str]:
    """Option id → name, from one item of the signed notice."""
    return {o["id"]: o["name"] for o in notice_item.get("options", []) if o.get("name")}


def named(text: str, names: Mapping[str, str]) -> str:
    """``text`` with every option id replaced by its name (longest ids first)."""
    if not names:
        return text
    pattern = re.compile("|".join(_EDGE.format(re.escape(i)) for i in sorted(names, key=len, reverse=True)))
    return pattern.sub(lambda m: names[m.group(0)], text)


def reason_text(result_item: Mapping, notice_item: Mapping, zh: bool) -> str:
    """An item's reason, in Chinese or English, with people's and firms' names."""
    reason = result_item["reason"]["zh" if zh else "en"]
    return named(reason, option_names(notice_item))
