"""The JSON input and output documents (docs/tally-format.md)."""

from __future__ import annotations

import re
from typing import Any

from . import fmt
from .model import (
    AT_LEAST,
    MORE_THAN,
    Ballot,
    CategoryRule,
    Item,
    Member,
    Rules,
    TallyInput,
    TallyInputError,
    Threshold,
    _is_int,
    checked_ballot,
    checked_member,
)
from .results import (
    Check,
    ElectionResult,
    ItemResult,
    OptionTally,
    ResolutionResult,
    SelectionResult,
    TallyResult,
    Weight,
)

_AREA = re.compile(r"(0|[1-9][0-9]*)(?:\.([0-9]{1,2}))?")
_AREA_LOOSE = re.compile(r"[0-9]*\.[0-9]{3,}")
_FRACTION = re.compile(r"([0-9]+)/([0-9]+)")


def _show(value: Any) -> str:
    """A value as it appeared in the JSON document, for error messages."""
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        return "an array" if isinstance(value, list) else "an object"
    return str(value)


def parse_area(value: Any, path: str) -> int:
    """A decimal string with at most two decimals → hundredths of m².  Never through a float."""
    if not isinstance(value, str):
        raise TallyInputError(path, f'must be a decimal string such as "89.50", not {_show(value)}')
    m = _AREA.fullmatch(value)
    if m is None:
        if _AREA_LOOSE.fullmatch(value):
            raise TallyInputError(path, f"{_show(value)} has more than two decimals")
        if value.startswith("-"):
            raise TallyInputError(path, f"{_show(value)} is negative")
        raise TallyInputError(path, f'{_show(value)} is not a decimal area such as "89.50"')
    whole, cents = m.group(1), (m.group(2) or "").ljust(2, "0")
    return int(whole) * 100 + int(cents)


def _obj(value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise TallyInputError(path, f"must be an object, not {_show(value)}")
    return value


def _list(value: Any, path: str) -> list[Any]:
    if not isinstance(value, list):
        raise TallyInputError(path, f"must be an array, not {_show(value)}")
    return value


def _int(value: Any, path: str, minimum: int) -> int:
    if not _is_int(value):
        raise TallyInputError(path, f"must be an integer, not {_show(value)}")
    if value < minimum:
        raise TallyInputError(path, f"must be at least {minimum}, not {value}")
    return value


def _id(value: Any, path: str) -> str:
    if value is None:
        raise TallyInputError(path, "missing")
    if not isinstance(value, str) or not value:
        raise TallyInputError(path, f"must be a non-empty string, not {_show(value)}")
    return value


def _only(obj: dict[str, Any], allowed: tuple[str, ...], path: str) -> None:
    # Rules change outcomes, so a misspelt key must not silently fall back to the statute.
    for key in obj:
        if key not in allowed:
            raise TallyInputError(f"{path}.{key}" if path else key, f"unknown key (expected one of {', '.join(allowed)})")


def parse_threshold(value: Any, path: str) -> Threshold:
    obj = _obj(value, path)
    op, frac = next(iter(obj.items())) if len(obj) == 1 else ("", None)
    if op not in (AT_LEAST, MORE_THAN):
        raise TallyInputError(path, 'must be {"at_least": "p/q"} or {"more_than": "p/q"}')
    m = _FRACTION.fullmatch(frac) if isinstance(frac, str) else None
    if m is None:
        raise TallyInputError(f"{path}.{op}", f'must be a fraction "p/q" such as "2/3", not {_show(frac)}')
    try:
        return Threshold(op, int(m.group(1)), int(m.group(2)))
    except TallyInputError as e:
        raise e.within(path) from None


def parse_rules(value: Any) -> Rules:
    if value is None:
        return Rules()
    obj = _obj(value, "rules")
    _only(obj, ("thresholds", "alternates"), "rules")
    thresholds: dict[int, CategoryRule] = {}
    for key, rule in _obj(obj.get("thresholds", {}), "rules.thresholds").items():
        where = f"rules.thresholds.{key}"
        if key not in {str(c) for c in range(1, 10)}:
            raise TallyInputError(where, "category must be 1 to 9 (Civil Code Art. 278 ¶1)")
        rule = _obj(rule, where)
        _only(rule, ("quorum", "approval"), where)
        thresholds[int(key)] = CategoryRule(
            quorum=parse_threshold(rule["quorum"], f"{where}.quorum") if "quorum" in rule else None,
            approval=parse_threshold(rule["approval"], f"{where}.approval") if "approval" in rule else None,
        )
    alternates = _int(obj.get("alternates", 0), "rules.alternates", 0)
    try:
        return Rules(thresholds, alternates)
    except TallyInputError as e:
        raise e.within("rules") from None


def load_document(doc: dict[str, Any]) -> TallyInput:
    """Validate an input document and build the typed input.

    Raises :class:`TallyInputError` naming the first problem found, located by a JSON path.
    Unknown keys are ignored on members, items and ballots (exports carry unit numbers, names,
    notes) but refused under ``rules``, where a typo would silently apply the statute instead.
    """
    doc = _obj(doc, "document")
    for key in ("members", "items", "ballots"):
        if key not in doc:
            raise TallyInputError(key, "missing (the document needs members, items and ballots)")
    rules = parse_rules(doc.get("rules"))

    members = _members(_list(doc["members"], "members"))

    items = []
    for i, it in enumerate(_list(doc["items"], "items")):
        path = f"items[{i}]"
        it = _obj(it, path)
        iid = _id(it.get("id"), f"{path}.id")
        if "category" not in it:
            raise TallyInputError(f"{path}.category", "missing (1 to 9, Civil Code Art. 278 ¶1)")
        if "kind" not in it and ("options" in it or "seats" in it):
            raise TallyInputError(f"{path}.kind", 'missing ("election", "selection" or "plan" for an item with options)')
        options = _list(it["options"], f"{path}.options") if "options" in it else []
        try:
            items.append(Item(iid, it["category"], it.get("kind", "resolution"), tuple(options), it.get("seats"), it.get("title")))
        except TallyInputError as e:
            raise e.within(path) from None

    ballots = _ballots(_list(doc["ballots"], "ballots"))

    return TallyInput(tuple(members), tuple(items), tuple(ballots), rules)


# Members and ballots: a whole estate's, so the usual case (a well-formed entry) is checked in a
# few exact type tests and built without checking again; any other entry goes through the
# checks one by one, which name its first problem.


def _members(raw: list[Any]) -> list[Member]:
    areas: dict[str, int] = {}  # an estate has a few thousand different areas: each parsed once
    out = []
    for i, m in enumerate(raw):
        if type(m) is dict:
            mid, area, heads = m.get("id"), m.get("area"), m.get("heads", 1)
            if type(mid) is str and mid and type(area) is str and type(heads) is int and heads >= 0:
                hundredths = areas.get(area)
                if hundredths is None:
                    hundredths = areas[area] = parse_area(area, f"members[{i}].area")
                out.append(checked_member(mid, hundredths, heads))
                continue
        out.append(_member(m, f"members[{i}]"))
    return out


def _member(m: Any, path: str) -> Member:
    m = _obj(m, path)
    if "area" not in m:
        raise TallyInputError(f"{path}.area", "missing")
    mid = _id(m.get("id"), f"{path}.id")
    area = parse_area(m["area"], f"{path}.area")
    heads = _int(m["heads"], f"{path}.heads", 0) if "heads" in m else 1
    return Member(mid, area, heads)


def _ballots(raw: list[Any]) -> list[Ballot]:
    out = []
    for i, b in enumerate(raw):
        if type(b) is dict:
            member, choices = b.get("member"), b.get("choices")
            if type(member) is str and member and type(choices) is dict:
                out.append(checked_ballot(member, choices))
                continue
        out.append(_ballot(b, f"ballots[{i}]"))
    return out


def _ballot(b: Any, path: str) -> Ballot:
    b = _obj(b, path)
    if "choices" not in b:
        raise TallyInputError(f"{path}.choices", "missing (use {} for a ballot that marks nothing)")
    return Ballot(_id(b.get("member"), f"{path}.member"), _obj(b["choices"], f"{path}.choices"))


# ---------------------------------------------------------------------------------------------
# Output


def _weight(w: Weight) -> dict[str, Any]:
    return {"area": fmt.area(w.area), "heads": w.heads}


def _rated(w: Weight, r: ItemResult) -> dict[str, Any]:
    p, t = r.participation, r.totals
    return {
        **_weight(w),
        "of_participants": {"area": fmt.pct(w.area, p.area), "heads": fmt.pct(w.heads, p.heads)},
        "of_totals": {"area": fmt.pct(w.area, t.area), "heads": fmt.pct(w.heads, t.heads)},
    }


def _check(c: Check) -> dict[str, Any]:
    return {"area_met": c.area_met, "heads_met": c.heads_met, "met": c.met}


def _rule(t: Threshold, estate_rule: bool) -> dict[str, Any]:
    return {**t.to_document(), "source": "estate_rules" if estate_rule else "civil_code_278_2"}


def _option(t: OptionTally, r: ItemResult) -> dict[str, Any]:
    return {**_rated(t.votes, r), "reached": t.reached}


def _item(r: ItemResult) -> dict[str, Any]:
    p, t = r.participation, r.totals
    out: dict[str, Any] = {
        "kind": r.kind,
        "category": r.category,
        "thresholds": {
            "quorum": _rule(r.quorum.threshold, r.quorum.estate_rule),
            "approval": _rule(r.approval_rule, r.approval_estate_rule),
        },
        "participation": {
            **_weight(p),
            "quorum_met": r.quorum.met,
            "area_met": r.quorum.area_met,
            "heads_met": r.quorum.heads_met,
            "of_totals": {"area": fmt.pct(p.area, t.area), "heads": fmt.pct(p.heads, t.heads)},
        },
        "passed": r.passed,
        "reason": {"zh": r.reason.zh, "en": r.reason.en},
    }
    if r.title is not None:
        out["title"] = r.title
    if isinstance(r, ResolutionResult):
        out["counts"] = {
            "agree": _rated(r.agree, r),
            "disagree": _rated(r.disagree, r),
            "abstain": _rated(r.abstain, r),
            "invalid": _rated(r.invalid, r),
        }
        out["approval"] = _check(r.approval)
    elif isinstance(r, ElectionResult):
        out["counts"] = {"abstain": _rated(r.abstain, r), "invalid": _rated(r.invalid, r)}
        eligible = set(r.eligible)
        out["candidates"] = {c.option: {**_option(c, r), "eligible": c.option in eligible} for c in r.candidates}
        out.update(
            seats=r.seats,
            elected=list(r.elected),
            tie=list(r.tie) if r.tie else None,
            tied_seats=r.tied_seats,
            unfilled=r.unfilled,
            alternates=list(r.alternates),
            alternates_wanted=r.alternates_wanted,
            alternates_pending=r.alternates_pending,
            alternates_tie=list(r.alternates_tie) if r.alternates_tie else None,
        )
    else:
        # A selection or a plan: the same members; "kind" tells them apart.
        assert isinstance(r, SelectionResult)
        out["counts"] = {"abstain": _rated(r.abstain, r), "invalid": _rated(r.invalid, r)}
        out["options"] = {o.option: _option(o, r) for o in r.options}
        out.update(
            winner=r.winner,
            closest=r.closest,
            closest_tie=list(r.closest_tie) if r.closest_tie else None,
        )
    return out


def result_to_document(result: TallyResult) -> dict[str, Any]:
    """The output document: plain JSON types only, areas as strings with two decimals, heads as
    ints, shares as truncated percentage strings (``null`` when the base is zero)."""
    return {
        "totals": _weight(result.totals),
        "ballots": result.ballots,
        "items": {r.item_id: _item(r) for r in result.items},
    }
