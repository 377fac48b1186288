"""What the assembly's lifecycle asks of the packages above it, and how they answer.

An assembly cannot publish its notice while an election's candidate list is unfinished, nor open
voting without a certified roll; opening voting opens the ballot log, and the clock closes it.
Those answers live in `candidates`, `rolls` and `voting`, which stand above `assemblies`: each
registers its answer here from its ``init_app`` (explicitly, by name), and the lifecycle asks
through this module without importing them.  :data:`REQUIRED` names every answer the law needs;
:func:`check_complete` (called when the app is built) refuses to run without one, so a legal
check cannot silently go missing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

Problems = list[tuple[str, str]]

# hook point -> what its functions take and give
POINTS = {
    # (item, now) -> problems: before a notice (version) is published, per agenda item
    "item_notice_problems",
    # (assembly) -> problems: before voting may open when its time comes
    "opening_blockers",
    # (assembly, now) -> None: voting has just opened (in the same transaction)
    "voting_opened",
    # (assembly) -> bool: make the transitions of an open vote that are due (True if one was made)
    "voting_due",
    # (item) -> list of option dicts: an election's published candidates, as the notice lists them
    "election_options",
    # (item) -> problems: why an agenda item cannot be removed (its nominations, say)
    "item_removal_problems",
    # (assembly) -> dict: more for the assembly's staff page (the rolls a supervisor may choose)
    "detail_context",
    # (assembly) -> problems: why a roll cannot be frozen for it yet (letters of proxy undecided)
    "roll_freeze_problems",
    # (assembly) -> {member: [jwk, ...]}: keys a roll lists beside a member's own (approved proxies)
    "roll_extra_keys",
}

# The legal checks an installation cannot run without (docs/architecture.md).
REQUIRED = {
    "item_notice_problems": {"candidates.list"},  # a published, vetted candidate list (elections)
    "opening_blockers": {"candidates.shortfall", "rolls.certified"},  # enough candidates; a signed roll
    "voting_opened": {"voting.open_log"},
    "voting_due": {"voting.close"},
    "election_options": {"candidates.published"},
    "item_removal_problems": {"candidates.nominated"},
    "roll_freeze_problems": {"proxies.undecided"},
    "roll_extra_keys": {"proxies.keys"},
}

_HOOKS: dict[str, dict[str, Callable[..., Any]]] = {point: {} for point in POINTS}


def register(point: str, name: str, func: Callable[..., Any]) -> None:
    if point not in _HOOKS:
        raise ValueError(f"no hook point {point!r}")
    # By name: building the app again (tests build many) replaces the answer, never doubles it.
    _HOOKS[point][name] = func


def registered(point: str) -> set[str]:
    return set(_HOOKS[point])


def check_complete() -> None:
    missing = {point: sorted(names - set(_HOOKS[point])) for point, names in REQUIRED.items()}
    missing = {point: names for point, names in missing.items() if names}
    if missing:
        raise RuntimeError(f"the assembly's legal checks are not all installed: {missing}")


def item_notice_problems(item, now: datetime) -> Problems:
    return [problem for func in _HOOKS["item_notice_problems"].values() for problem in func(item, now)]


def opening_blockers(assembly) -> Problems:
    return [problem for func in _HOOKS["opening_blockers"].values() for problem in func(assembly)]


def voting_opened(assembly, now: datetime) -> None:
    for func in _HOOKS["voting_opened"].values():
        func(assembly, now)


def voting_due(assembly) -> bool:
    changed = False
    for func in _HOOKS["voting_due"].values():
        changed = func(assembly) or changed
    return changed


def election_options(item) -> list[dict]:
    (func,) = _HOOKS["election_options"].values()
    return func(item)


def item_removal_problems(item) -> Problems:
    return [problem for func in _HOOKS["item_removal_problems"].values() for problem in func(item)]


def detail_context(assembly) -> dict:
    found: dict = {}
    for func in _HOOKS["detail_context"].values():
        found.update(func(assembly))
    return found


def roll_freeze_problems(assembly) -> Problems:
    return [problem for func in _HOOKS["roll_freeze_problems"].values() for problem in func(assembly)]


def roll_extra_keys(assembly) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for func in _HOOKS["roll_extra_keys"].values():
        for member, keys in func(assembly).items():
            found.setdefault(member, []).extend(keys)
    return found
