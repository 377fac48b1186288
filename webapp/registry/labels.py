"""Unit labels typed into a box ("1-101, 1-102、2-201"): read once, in order, and capped, so that
a pasted list of thousands is refused with a reason instead of holding a request for minutes."""

from __future__ import annotations

import re

from webapp.core.errors_base import UserError

# More than a building's worth; a whole estate is chosen as such, not typed unit by unit.
MAX_LISTED_UNITS = 500

_SEPARATORS = re.compile(r"[,，、]")


def listed_labels(text: str | None) -> list[str]:
    """The labels in ``text``, each once, in the order given; refused beyond ``MAX_LISTED_UNITS``."""
    wanted = list(dict.fromkeys(part.strip() for part in _SEPARATORS.split(text or "") if part.strip()))
    if len(wanted) > MAX_LISTED_UNITS:
        raise UserError(
            f"一次最多列出 {MAX_LISTED_UNITS} 套房屋（这次列了 {len(wanted)} 套）：请分几次提交，或选择整栋楼或全部",
            f"list at most {MAX_LISTED_UNITS} units at a time ({len(wanted)} were listed): send them in parts, "
            "or choose a whole building or everyone",
        )
    return wanted
