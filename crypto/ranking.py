"""The district's ranking of property firms (红黑榜) from published owners' evaluations
(docs/evaluation-format.md, "Ranking").

A **rule** is published by the district and signed by the server key (like a form): how much each
measure weighs, the pass mark and the red-list mark on the 0–100 scale, which choice counts as
satisfied, and after how many consecutive failing periods an estate's firm goes back to the owners::

    {"type": "ownersvote-ranking-rule", "v": 1, "code": CODE, "version": N, "title": TEXT,
     "weights": {"owners_score": BP, "owners_satisfaction": BP, "inspections": BP}, "satisfied_at": POINTS,
     "pass_mark": POINTS, "red_mark": POINTS, "fail_periods": N, "kid", "sig"}

A **ranking** names its rule and period, and for every estate its firm, the inputs taken from each
evaluation result that closed in the period (each result by its SHA-256) and, from version 2, from
each inspection of the estate's firm dated in the period (each signed inspection document by its
SHA-256, crypto/inspection.py), every measure, the score,
the rank and the band, with exact fractions (``"p/q"``) throughout; a score is compared with the
marks exactly, and shown rounded half up to two decimals.  :func:`build` computes it,
:func:`verify_ranking` recomputes it from its own inputs (and, given the results, the inputs from
the results) and fails at the first difference.

The measures of one evaluation, from its published counts:

- ``owners_score``: the items' mean points weighted by the form's weights, over the items whose
  counts are shown (an item answered fewer times than the minimum is suppressed and left out, the
  other weights renormalised).  A choice is worth its points; a score ``v`` on ``min``–``max`` is
  worth ``100·(v−min)/(max−min)``.
- ``owners_satisfaction`` (满意率): 100 × the share of answers to shown choice items whose choice is
  worth at least ``satisfied_at`` points.

The ``inspections`` measure (version 2): the mean of the estate's inspections' weighted scores
(each ``Σ weight·score/max`` on 0–100, crypto/inspection.py) dated in the period.

An estate's measure in a period is the mean over its evaluations that have it; its score is the
weighted sum of its measures (basis points / 10000).  Without a value for a measure that weighs
something, the estate is not scored (``unscored``), never given a zero.  ``red`` is a score at or
above ``red_mark``, ``black`` one below ``pass_mark`` (which also fails it).  Ranks are shared on
equal scores (1, 2, 2, 4).  A firm's district score is the mean of its estates' scores.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from fractions import Fraction
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from . import evaluation as ev
from . import inspection as insp
from .canonical import canonical_json
from .cli import key_values_joined
from .errors import CryptoError, FormatError
from .keys import Signer, jwk_thumbprint
from .treehead import sign_object, signed_payload, verify_object

RULE_TYPE = "ownersvote-ranking-rule"
RANKING_TYPE = "ownersvote-ranking"
OWNERS_MEASURES = ("owners_score", "owners_satisfaction")
MEASURES = (*OWNERS_MEASURES, "inspections")
# Version 1 rankings (before inspections were recorded) carry the owners' measures only; they
# still verify as they were signed.  Version 2 rows carry their inspections too.
VERSIONS = (1, 2)
VERSION = 2
WEIGHT_TOTAL = 10000
SCALE_MAX = 100
MAX_FAIL_PERIODS = 12
UNSCORED = ("no-evaluation", "too-few-answers", "no-inspection")
_FRACTION = re.compile(r"(0|[1-9][0-9]*)/([1-9][0-9]*)")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# --- exact numbers -----------------------------------------------------------------------------


def frac(value: Fraction) -> str:
    """An exact non-negative fraction as ``"p/q"`` in lowest terms (``"3/1"`` for three)."""
    if value < 0:
        raise FormatError("a measure is never negative")
    return f"{value.numerator}/{value.denominator}"


def read_frac(text: Any, what: str = "a number") -> Fraction:
    match = _FRACTION.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise FormatError(f"{what} is an exact fraction written p/q")
    value = Fraction(int(match.group(1)), int(match.group(2)))
    if frac(value) != text:
        raise FormatError(f"{what} is not in lowest terms")
    return value


def shown(value: Fraction) -> str:
    """``value`` (non-negative) rounded half up to two decimals, as text: 87.125 → ``"87.13"``."""
    hundredths = (value * 100 * 2 + 1) // 2
    return f"{hundredths // 100}.{hundredths % 100:02d}"


# --- the rule ----------------------------------------------------------------------------------


def validate_rule(rule: Any, *, signed: bool = True) -> None:
    """Raise :class:`FormatError` unless ``rule`` is a well-formed ranking rule."""
    if not isinstance(rule, dict):
        raise FormatError("a ranking rule is a JSON object")
    expected = {"type", "v", "code", "version", "title", "weights", "satisfied_at", "pass_mark", "red_mark", "fail_periods"}
    expected |= {"kid", "sig"} if signed else set()
    if set(rule) != expected:
        raise FormatError(f"a ranking rule has exactly the members {sorted(expected)}")
    if rule["type"] != RULE_TYPE or rule["v"] != 1:
        raise FormatError("not a ranking rule of version 1")
    if not ev._is_id(rule["code"]):
        raise FormatError("a rule's code is 1 to 40 of a-z, 0-9, - and _")
    if not _is_int(rule["version"]) or rule["version"] < 1:
        raise FormatError("a rule's version is a positive integer")
    ev._text(rule["title"], "the rule's title")
    weights = rule["weights"]
    if not isinstance(weights, dict) or not weights:
        raise FormatError("weights name the measures and their basis points")
    for name, weight in weights.items():
        if name not in MEASURES:
            raise FormatError(f"{name!r} is not a measure (known: {', '.join(MEASURES)})")
        if not _is_int(weight) or weight < 0:
            raise FormatError(f"the weight of {name} is a non-negative integer of basis points")
    total = sum(weights.values())
    if total != WEIGHT_TOTAL:
        raise FormatError(f"the weights sum to {total} basis points, not {WEIGHT_TOTAL} (100%)")
    for name in ("satisfied_at", "pass_mark", "red_mark"):
        if not _is_int(rule[name]) or not 0 <= rule[name] <= SCALE_MAX:
            raise FormatError(f"{name} is an integer on the scale 0 to {SCALE_MAX}, not {rule[name]!r}")
    if rule["pass_mark"] < 1:
        raise FormatError("the pass mark is above 0: a mark of 0 fails nobody")
    if rule["red_mark"] < rule["pass_mark"]:
        raise FormatError("the red-list mark is at least the pass mark")
    if not _is_int(rule["fail_periods"]) or not 1 <= rule["fail_periods"] <= MAX_FAIL_PERIODS:
        raise FormatError(f"fail_periods is an integer from 1 to {MAX_FAIL_PERIODS}")


def rule_digest(rule: Mapping[str, Any]) -> str:
    return hashlib.sha256(signed_payload(rule)).hexdigest()


def sign_rule(signer: Signer, payload: Mapping[str, Any]) -> dict[str, Any]:
    payload = {**payload, "type": RULE_TYPE, "v": 1}
    validate_rule(payload, signed=False)
    return sign_object(signer, payload)


def verify_rule(rule: Any, server_jwk: Mapping[str, Any]) -> str:
    validate_rule(rule)
    verify_object(rule, server_jwk)
    return rule_digest(rule)


# --- one evaluation's inputs and measures -------------------------------------------------------


def result_digest(result: Mapping[str, Any]) -> str:
    """How a ranking names a published evaluation result: SHA-256 (hex) of its canonical JSON."""
    return hashlib.sha256(canonical_json(result)).hexdigest()


def evaluation_inputs(result: Mapping[str, Any], satisfied_at: int) -> dict[str, Any]:
    """What a ranking takes from a (verified) evaluation result: per shown item its weight, how
    many answered and the mean points; over the shown choice items, how many answered and how
    many answered with a choice worth at least ``satisfied_at`` points."""
    form, counts, meta = result["form"], result["counts"], result["evaluation"]
    items: list[dict[str, Any]] = []
    choices_answered = satisfied = 0
    if not result["withheld"]:
        for item in ev.items(form):
            count = counts["items"][item["id"]]
            if count.get("suppressed") or count["answered"] == 0:
                continue
            scale = form["scales"][item["scale"]]
            answered = count["answered"]
            if scale["kind"] == "choice":
                mean = Fraction(count["points"], answered)
                choices_answered += answered
                satisfied += sum(count["choices"][c["id"]] for c in scale["choices"] if c["points"] >= satisfied_at)
            else:
                span = scale["max"] - scale["min"]
                mean = Fraction(SCALE_MAX * (count["points"] - answered * scale["min"]), answered * span)
            items.append({"id": item["id"], "weight": item["weight"], "answered": answered, "mean": frac(mean)})
    return {
        "id": meta["id"],
        "result": result_digest(result),
        "title": meta["title"],
        "closes": meta["closes"],
        "answers": counts["answers"],
        "issued": result["issued"],
        "withheld": result["withheld"],
        "items": items,
        "choices": {"answered": choices_answered, "satisfied": satisfied},
    }


def evaluation_measures(entry: Mapping[str, Any]) -> dict[str, Fraction | None]:
    """The measures of one evaluation from its inputs (None where there is nothing to measure)."""
    items = entry["items"]
    weight = sum(item["weight"] for item in items)
    score = sum((item["weight"] * read_frac(item["mean"], "an item's mean") for item in items), Fraction(0)) / weight if weight else None
    choices = entry["choices"]
    satisfaction = Fraction(SCALE_MAX * choices["satisfied"], choices["answered"]) if choices["answered"] else None
    return {"owners_score": score, "owners_satisfaction": satisfaction}


def _check_entry(entry: Any) -> None:
    keys = {"id", "result", "title", "closes", "answers", "issued", "withheld", "items", "choices"}
    if not isinstance(entry, dict) or set(entry) != keys:
        raise FormatError(f"an evaluation of a ranking has exactly {sorted(keys)}")
    if not _is_int(entry["id"]) or not _is_int(entry["closes"]) or not isinstance(entry["withheld"], bool):
        raise FormatError("an evaluation's id and closes are integers, withheld a boolean")
    if not isinstance(entry["result"], str) or not re.fullmatch(r"[0-9a-f]{64}", entry["result"]):
        raise FormatError("an evaluation names its result by SHA-256 (hex)")
    if not _is_int(entry["answers"]) or not _is_int(entry["issued"]) or not 0 <= entry["answers"] <= entry["issued"]:
        raise FormatError("an evaluation has no more answers than tokens issued")
    if not isinstance(entry["items"], list) or not isinstance(entry["choices"], dict):
        raise FormatError("an evaluation's items are a list, its choices an object")
    for item in entry["items"]:
        if not isinstance(item, dict) or set(item) != {"id", "weight", "answered", "mean"}:
            raise FormatError("an item of a ranking has exactly id, weight, answered and mean")
        if not _is_int(item["weight"]) or item["weight"] < 0 or not _is_int(item["answered"]) or item["answered"] < 1:
            raise FormatError("an item's weight and answered are integers (answered at least one)")
        if not 0 <= read_frac(item["mean"], "an item's mean") <= SCALE_MAX:
            raise FormatError("an item's mean is on the scale 0 to 100")
    choices = entry["choices"]
    if set(choices) != {"answered", "satisfied"} or not all(_is_int(v) and v >= 0 for v in choices.values()):
        raise FormatError("choices has exactly answered and satisfied (non-negative integers)")
    if choices["satisfied"] > choices["answered"]:
        raise FormatError("more satisfied answers than answers")


def _check_inspection(entry: Any) -> Fraction:
    """An inspection's inputs are well formed and its score follows from its items; returns it."""
    keys = {"document", "date", "items", "score"}
    if not isinstance(entry, dict) or set(entry) != keys:
        raise FormatError(f"an inspection of a ranking has exactly {sorted(keys)}")
    if not isinstance(entry["document"], str) or not re.fullmatch(r"[0-9a-f]{64}", entry["document"]):
        raise FormatError("an inspection is named by the SHA-256 (hex) of its signed document")
    try:
        date.fromisoformat(entry["date"])
    except (TypeError, ValueError):
        raise FormatError("an inspection's date is YYYY-MM-DD") from None
    items = entry["items"]
    if not isinstance(items, list) or not items:
        raise FormatError("an inspection's items are a non-empty list")
    for item in items:
        if not isinstance(item, dict) or set(item) != {"id", "weight", "score", "max"}:
            raise FormatError("an inspection's item has exactly id, weight, score and max")
        if not all(_is_int(item[k]) for k in ("weight", "score", "max")) or item["weight"] < 0 or not 0 <= item["score"] <= item["max"]:
            raise FormatError("an inspection's item has integers: weight ≥ 0, 0 ≤ score ≤ max")
        if not 1 <= item["max"] <= SCALE_MAX:
            raise FormatError(f"an inspection's item has a maximum from 1 to {SCALE_MAX}")
    if sum(item["weight"] for item in items) != WEIGHT_TOTAL:
        raise FormatError(f"an inspection's weights sum to {WEIGHT_TOTAL}")
    score = insp.item_score(items)
    if read_frac(entry["score"], "an inspection's score") != score:
        raise FormatError(f"inspection {entry['document'][:16]}…: its score does not follow from its items")
    return score


def inspection_inputs(document: Mapping[str, Any]) -> dict[str, Any]:
    """What a ranking takes from a (verified) signed inspection document."""
    taken = insp.ranking_input(document)
    return {**taken, "score": frac(insp.item_score(taken["items"]))}


def _check_names(row: Any) -> None:
    estate, firm = row.get("estate"), row.get("firm")
    if not isinstance(estate, dict) or set(estate) != {"id", "name"} or not _is_int(estate["id"]) or not isinstance(estate["name"], str):
        raise FormatError("a row's estate has exactly id (an integer) and name")
    if not isinstance(firm, dict) or set(firm) != {"name", "uscc"} or not all(isinstance(v, str) for v in firm.values()):
        raise FormatError("a row's firm has exactly name and uscc")
    if not isinstance(row.get("evaluations"), list):
        raise FormatError("a row's evaluations are a list")


# --- rows, ranks and the document --------------------------------------------------------------


def competition_ranks(scores: Sequence[Fraction]) -> list[int]:
    """Each score's rank: one more than the number of strictly higher scores (1, 2, 2, 4)."""
    ordered = sorted(scores, reverse=True)
    first: dict[Fraction, int] = {}
    for index, score in enumerate(ordered):
        first.setdefault(score, index + 1)
    return [first[score] for score in scores]


def band(score: Fraction, rule: Mapping[str, Any]) -> str | None:
    """``red`` (红榜) at or above the red mark, ``black`` (黑榜) below the pass mark, else None."""
    if score >= rule["red_mark"]:
        return "red"
    if score < rule["pass_mark"]:
        return "black"
    return None


def row_score(
    evaluations: Sequence[Mapping[str, Any]],
    rule: Mapping[str, Any],
    inspections: Sequence[Mapping[str, Any]] | None = None,
) -> tuple[dict[str, Fraction | None], Fraction | None, str | None]:
    """An estate's measures (means over its evaluations and, given them, its inspections), its
    score, and why it has none.  ``inspections`` None is a version 1 ranking (no such measure)."""
    names = OWNERS_MEASURES if inspections is None else MEASURES
    each = [evaluation_measures(entry) for entry in evaluations]
    measures: dict[str, Fraction | None] = {}
    for name in OWNERS_MEASURES:
        values: list[Fraction] = [value for m in each if (value := m[name]) is not None]
        measures[name] = sum(values, Fraction(0)) / len(values) if values else None
    if inspections is not None:
        scores = [read_frac(entry["score"], "an inspection's score") for entry in inspections]
        measures["inspections"] = sum(scores, Fraction(0)) / len(scores) if scores else None
    if inspections is None and not evaluations:
        return dict.fromkeys(names), None, "no-evaluation"
    weights = rule["weights"]
    missing = [name for name, weight in weights.items() if weight and measures.get(name) is None]
    if any(name in OWNERS_MEASURES for name in missing):
        return measures, None, "too-few-answers" if evaluations else "no-evaluation"
    if missing:
        return measures, None, "no-inspection"
    score = sum((Fraction(weight, WEIGHT_TOTAL) * (measures[name] or 0) for name, weight in weights.items() if weight), Fraction(0))
    return measures, score, None


def _period_check(period: Any) -> ZoneInfo:
    if not isinstance(period, dict) or set(period) != {"title", "from", "until", "zone"}:
        raise FormatError("a period has exactly title, from, until and zone")
    ev._text(period["title"], "the period's title")
    try:
        start, end = date.fromisoformat(period["from"]), date.fromisoformat(period["until"])
        zone = ZoneInfo(period["zone"])
    except (TypeError, ValueError, ZoneInfoNotFoundError):
        raise FormatError("a period's from and until are dates (YYYY-MM-DD) and its zone a time zone") from None
    if start >= end or start.isoformat() != period["from"] or end.isoformat() != period["until"]:
        raise FormatError("a period ends after it begins")
    return zone


def in_period(closes_ms: int, period: Mapping[str, Any]) -> bool:
    """Whether an evaluation that closed at ``closes_ms`` belongs to ``period`` (by the local date
    of its close in the period's zone: from ≤ date < until)."""
    zone = _period_check(period)
    day = datetime.fromtimestamp(closes_ms / 1000, UTC).astimezone(zone).date()
    return date.fromisoformat(period["from"]) <= day < date.fromisoformat(period["until"])


def _day_in_period(day: str, period: Mapping[str, Any]) -> bool:
    return date.fromisoformat(period["from"]) <= date.fromisoformat(day) < date.fromisoformat(period["until"])


def build(
    rule: Mapping[str, Any], period: Mapping[str, Any], rows: Sequence[Mapping[str, Any]], *, published: int, version: int = VERSION
) -> dict[str, Any]:
    """The ranking's payload (unsigned, without ``server``) from the signed rule, the period and
    one input per estate and firm: ``{"estate": {"id", "name"}, "firm": {"name", "uscc"},
    "evaluations": [evaluation_inputs(...), ...], "inspections": [inspection_inputs(...), ...]}``
    (``inspections`` from version 2; a row without it has none).  Pure: the same inputs give the
    same bytes."""
    if version not in VERSIONS:
        raise FormatError(f"a ranking is of version {' or '.join(map(str, VERSIONS))}")
    _period_check(period)
    if version == 1 and rule["weights"].get("inspections"):
        raise FormatError("a ranking of version 1 has no inspections: its rule cannot weigh them")
    scored: list[dict[str, Any]] = []
    unscored: list[dict[str, Any]] = []
    for row in rows:
        _check_names(row)
        evaluations = sorted(row["evaluations"], key=lambda e: (e["closes"], e["id"]))
        for entry in evaluations:
            _check_entry(entry)
            if not in_period(entry["closes"], period):
                raise FormatError(f"evaluation {entry['id']} did not close in the period")
        inspections: list[dict[str, Any]] | None = None
        if version == 1:
            if "inspections" in row:
                raise FormatError("a ranking of version 1 carries no inspections")
        else:
            given = row.get("inspections", [])
            if not isinstance(given, list):
                raise FormatError("a row's inspections are a list")
            inspections = sorted(given, key=lambda e: (str(e.get("date")), str(e.get("document"))) if isinstance(e, dict) else ("", ""))
            for entry in inspections:
                _check_inspection(entry)
                if not _day_in_period(entry["date"], period):
                    raise FormatError(f"inspection {entry['document'][:16]}… is not dated in the period")
            if len({e["document"] for e in inspections}) != len(inspections):
                raise FormatError("an inspection appears twice in a row")
        measures, score, why = row_score(evaluations, rule, inspections)
        out = {
            "estate": {"id": row["estate"]["id"], "name": row["estate"]["name"]},
            "firm": {"name": row["firm"]["name"], "uscc": row["firm"]["uscc"]},
            "evaluations": evaluations,
            **({} if inspections is None else {"inspections": inspections}),
            "measures": {name: (frac(value) if value is not None else None) for name, value in measures.items()},
            "score": frac(score) if score is not None else None,
            "shown": shown(score) if score is not None else None,
            "unscored": why,
            "rank": None,
            "band": band(score, rule) if score is not None else None,
            "fails": score is not None and score < rule["pass_mark"],
        }
        (scored if score is not None else unscored).append(out)
    keys = [(row["estate"]["id"], row["firm"]["uscc"]) for row in [*scored, *unscored]]
    if len(set(keys)) != len(keys):
        raise FormatError("an estate and firm appear twice in a ranking")
    for row, rank in zip(scored, competition_ranks([read_frac(r["score"]) for r in scored]), strict=True):
        row["rank"] = rank
    scored.sort(key=lambda r: (r["rank"], r["estate"]["id"], r["firm"]["uscc"]))
    unscored.sort(key=lambda r: (r["estate"]["id"], r["firm"]["uscc"]))
    firms: dict[str, list[dict[str, Any]]] = {}
    for row in scored:
        firms.setdefault(row["firm"]["uscc"], []).append(row)
    firm_rows: list[dict[str, Any]] = []
    for uscc, mine in firms.items():
        mean = sum((read_frac(r["score"]) for r in mine), Fraction(0)) / len(mine)
        firm_rows.append(
            {
                "firm": {"name": min(mine, key=lambda r: r["estate"]["id"])["firm"]["name"], "uscc": uscc},
                "estates": len(mine),
                "score": frac(mean),
                "shown": shown(mean),
                "rank": 0,
                "red": sum(1 for r in mine if r["band"] == "red"),
                "black": sum(1 for r in mine if r["band"] == "black"),
            }
        )
    for firm, rank in zip(firm_rows, competition_ranks([read_frac(f["score"]) for f in firm_rows]), strict=True):
        firm["rank"] = rank
    firm_rows.sort(key=lambda f: (f["rank"], f["firm"]["uscc"]))
    every = [entry["document"] for row in [*scored, *unscored] for entry in row.get("inspections", [])]
    if len(set(every)) != len(every):
        raise FormatError("an inspection appears in two rows")
    return {
        "type": RANKING_TYPE,
        "v": version,
        "rule": dict(rule),
        "period": dict(period),
        "published": published,
        "estates": [*scored, *unscored],
        "firms": firm_rows,
    }


def sign_ranking(signer: Signer, payload: Mapping[str, Any]) -> dict[str, Any]:
    """The ranking signed, with the rule it embeds signed by the same key: a rule signed by a key
    since rotated out is signed again (the same payload, so the same digest), so that the one
    server key the ranking carries checks both."""
    rule = payload["rule"]
    if isinstance(rule, Mapping) and rule.get("kid") != signer.kid:
        payload = {**payload, "rule": sign_object(signer, {k: v for k, v in rule.items() if k not in ("kid", "sig")})}
    return sign_object(signer, {**payload, "server": signer.jwk})


_RANKING_KEYS = {"type", "v", "rule", "period", "published", "estates", "firms", "server", "kid", "sig"}


def verify_ranking(
    document: Any,
    server_jwk: Mapping[str, Any] | None = None,
    results: Sequence[Mapping[str, Any]] = (),
    inspections: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """Check a published ranking: the server's signatures on it and on its rule, every number
    recomputed from its own inputs by the rule, and, for each evaluation result given, that the
    result verifies, belongs to the row that names it, and yields exactly the inputs the ranking
    took; likewise for each signed inspection given (``{"document", "jwk", "sig"}``: its
    inspector's signature, its estate and firm, its inputs).  Returns a summary; raises
    :class:`CryptoError` at the first fault."""
    if not isinstance(document, dict) or set(document) != _RANKING_KEYS:
        raise FormatError(f"a ranking has exactly the members {sorted(_RANKING_KEYS)}")
    if document["type"] != RANKING_TYPE or document["v"] not in VERSIONS:
        raise FormatError(f"not a ranking of version {' or '.join(map(str, VERSIONS))}")
    if server_jwk is None:
        server_jwk = document["server"]
    elif document["server"] != dict(server_jwk):
        raise FormatError("the ranking carries another server key than the one given")
    if not isinstance(server_jwk, Mapping):
        raise FormatError("server is the server's public JWK")
    verify_object(document, server_jwk)
    rule = document["rule"]
    verify_rule(rule, server_jwk)
    if not _is_int(document["published"]) or not isinstance(document["estates"], list):
        raise FormatError("published is a time in milliseconds, estates a list")
    inputs = []
    for row in document["estates"]:
        if not isinstance(row, dict):
            raise FormatError("a row of a ranking is an object")
        taken = {"estate": row.get("estate"), "firm": row.get("firm"), "evaluations": row.get("evaluations")}
        if document["v"] >= 2:
            taken["inspections"] = row.get("inspections")
        inputs.append(taken)
    try:
        expected = build(rule, document["period"], inputs, published=document["published"], version=document["v"])
    except (KeyError, TypeError, AttributeError, ZeroDivisionError) as exc:
        raise FormatError(f"the ranking's inputs are malformed: {exc!r}") from None
    payload = {k: v for k, v in document.items() if k not in ("server", "kid", "sig")}
    if canonical_json(expected) != canonical_json(payload):
        for key in ("estates", "firms"):
            if canonical_json(expected[key]) != canonical_json(payload[key]):
                raise FormatError(f"the ranking's {key} do not follow from its inputs by its rule")
        raise FormatError("the ranking does not follow from its inputs by its rule")
    where = {entry["id"]: (row, entry) for row in document["estates"] for entry in row["evaluations"]}
    for result in results:
        try:
            # Each result by the server key it carries (it may predate a rotation): the signed
            # ranking names the result's digest, which binds the result itself.
            ev.verify_result(result)
        except (KeyError, TypeError, AttributeError) as exc:
            raise FormatError(f"an evaluation result is malformed: {exc!r}") from None
        evaluation = result["evaluation"]
        if evaluation["id"] not in where:
            raise FormatError(f"evaluation {evaluation['id']} is not in the ranking")
        row, entry = where[evaluation["id"]]
        if evaluation["estate"]["id"] != row["estate"]["id"] or evaluation["firm"]["uscc"] != row["firm"]["uscc"]:
            raise FormatError(f"evaluation {evaluation['id']} is of another estate or firm than its row")
        if evaluation_inputs(result, rule["satisfied_at"]) != entry:
            raise FormatError(f"evaluation {evaluation['id']}: the ranking did not take exactly what its result says")
    inspected = {entry["document"]: row for row in document["estates"] for entry in row.get("inspections", [])}
    for record in inspections:
        try:
            digest = insp.verify_signed(record)
        except (KeyError, TypeError, AttributeError) as exc:
            raise FormatError(f"a signed inspection is malformed: {exc!r}") from None
        inspection = record["document"]
        if inspection["type"] != insp.INSPECTION_TYPE:
            raise FormatError(f"document {digest[:16]}… is not an inspection")
        if digest not in inspected:
            raise FormatError(f"inspection {digest[:16]}… is not in the ranking")
        row = inspected[digest]
        if inspection["estate"]["id"] != row["estate"]["id"] or (inspection["firm"] or {}).get("uscc") != row["firm"]["uscc"]:
            raise FormatError(f"inspection {digest[:16]}… is of another estate or firm than its row")
        entry = next(e for e in row["inspections"] if e["document"] == digest)
        if inspection_inputs(inspection) != entry:
            raise FormatError(f"inspection {digest[:16]}…: the ranking did not take exactly what the signed inspection says")
    rows = document["estates"]
    return {
        "period": document["period"]["title"],
        "rule": rule_digest(rule),
        "estates": len(rows),
        "scored": sum(1 for r in rows if r["score"] is not None),
        "red": sum(1 for r in rows if r["band"] == "red"),
        "black": sum(1 for r in rows if r["band"] == "black"),
        "results": len(results),
        "inspections": len(inspections),
    }


def main(argv: list[str] | None = None, prog: str = "ownersvote verify-ranking") -> int:
    """Check a published ranking offline, and the evaluation results it names when given."""
    parser = argparse.ArgumentParser(prog=prog, description="Check a published ranking of firms (docs/evaluation-format.md).")
    parser.add_argument("ranking", metavar="RANKING", help="the published ranking (JSON)")
    parser.add_argument(
        "results",
        metavar="RESULT",
        nargs="*",
        help="published evaluation results and signed inspections it names (JSON), to check its inputs",
    )
    parser.add_argument(
        "--server-key", metavar="KID", help="require the ranking to be signed by this key id (as the platform published it)"
    )
    args = parser.parse_args(key_values_joined(sys.argv[1:] if argv is None else argv))
    try:
        document = json.loads(Path(args.ranking).read_bytes())
        given = [json.loads(Path(path).read_bytes()) for path in args.results]
    except (OSError, ValueError) as exc:
        print(f"{prog}: cannot read: {exc}", file=sys.stderr)
        return 2
    try:
        if args.server_key and (not isinstance(document, dict) or jwk_thumbprint(document.get("server") or {}) != args.server_key):
            raise FormatError(f"the ranking is not signed by the pinned server key {args.server_key}")
        # A signed inspection is {"document", "jwk", "sig"}; anything else is taken for a result.
        signed = [g for g in given if isinstance(g, dict) and set(g) == {"document", "jwk", "sig"}]
        results = [g for g in given if not (isinstance(g, dict) and set(g) == {"document", "jwk", "sig"})]
        summary = verify_ranking(document, results=results, inspections=signed)
    except CryptoError as exc:
        print(f"{prog}: {args.ranking}: FAILED — {exc}", file=sys.stderr)
        return 1
    except (KeyError, TypeError, AttributeError) as exc:
        print(f"{prog}: {args.ranking}: FAILED — malformed: {exc!r}", file=sys.stderr)
        return 1
    print(
        f"{prog}: {args.ranking}: OK — {summary['period']}: {summary['estates']} estates, {summary['scored']} scored, "
        f"{summary['red']} on the red list, {summary['black']} on the black list; every number recomputed by rule {summary['rule'][:16]}…; "
        f"{summary['results']} evaluation results and {summary['inspections']} signed inspections checked against it"
    )
    return 0
