"""Small builders for tally documents, so each test shows only the numbers that matter."""

from __future__ import annotations

from typing import Any

from tally import tally_document


def members(*weights: str | tuple[str, int]) -> list[dict]:
    """``members("100.00", ("5000.00", 1))`` → members m0, m1, … with one head unless given."""
    out = []
    for i, w in enumerate(weights):
        area, heads = (w, 1) if isinstance(w, str) else w
        out.append({"id": f"m{i}", "area": area, "heads": heads})
    return out


def doc(
    member_list: list[dict],
    items: list[dict],
    ballots: dict[str, dict] | list[dict],
    rules: dict | None = None,
) -> dict[str, Any]:
    if isinstance(ballots, dict):
        ballots = [{"member": m, "choices": c} for m, c in ballots.items()]
    d: dict[str, Any] = {"members": member_list, "items": items, "ballots": ballots}
    if rules is not None:
        d["rules"] = rules
    return d


def resolution(category: int = 2, item_id: str = "q") -> dict:
    return {"id": item_id, "category": category, "kind": "resolution"}


def election(options: list[str], seats: int, category: int = 3, item_id: str = "e") -> dict:
    return {"id": item_id, "category": category, "kind": "election", "seats": seats, "options": options}


def selection(options: list[str], category: int = 4, item_id: str = "s") -> dict:
    return {"id": item_id, "category": category, "kind": "selection", "options": options}


def votes(marks: list[Any], item_id: str = "q") -> dict[str, dict]:
    """Ballots for m0, m1, … in order; ``None`` means that member did not vote at all."""
    return {f"m{i}": {item_id: mark} for i, mark in enumerate(marks) if mark is not None}


def run(d: dict) -> dict:
    return tally_document(d)


def item(d: dict, item_id: str = "q") -> dict:
    return tally_document(d)["items"][item_id]


def plan(options: list[str], category: int = 7, item_id: str = "p") -> dict:
    """A choice among plans (方案选择): at most one mark, any category."""
    return {"id": item_id, "category": category, "kind": "plan", "options": options}
