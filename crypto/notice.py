"""The assembly's notice (公告) as a signed document: what owners were asked, and under which rules.

Every ballot, every signed tree head and every certification names the SHA-256 of the notice
version it belongs to, so nothing that decides a result — an item's wording, a candidate, the
voting window, a threshold, the counting rule, how many supervisors must certify — can be changed
afterwards without every signature over it failing.

A notice is the canonical JSON of::

    {"type": "ownersvote-notice", "v": 1,
     "estate": {"id": ESTATE_ID, "name": NAME},
     "assembly": ASSEMBLY_ID, "title": TITLE, "kind": "first" | "regular" | "extraordinary",
     "version": N, "published_at": MS, "opens": MS, "closes": MS,
     "replace_allowed": BOOL, "synthetic": BOOL,
     "rules": {"thresholds": {…}, "alternates": N, "required_signatures": K, "counting_rule": TEXT | null},
     "items": [ITEM, …],
     "kid": SERVER_KID, "sig": B64URL}

signed by the server's key like a tree head (the signature covers every member but ``kid`` and
``sig``).  An ITEM is ``{"id", "category", "kind", "title", "text"?, "seats"? (elections),
"options"? (elections and selections: [{"id", "name", "statement"?, "uscc"?, "fee"?,
"attachments"?}]; plans: [{"id", "name", "text"?, "attachment_sha256"?, "attachment_name"?}]),
"attachments"? ([{"name", "sha256"}])}``.  A plan (方案选择) is a choice among plans in any
category, decided like a selection; each plan has a title (``name``), optionally its description
(``text``) and optionally one attachment, named by its SHA-256 and file name together.  ``rules.thresholds`` and
``rules.alternates`` are the tally engine's rules (docs/tally-format.md), written with every
fraction in lowest terms.  The **notice digest** is SHA-256 of the canonical JSON of the notice
without ``kid`` and ``sig``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from fractions import Fraction
from typing import Any

from .encoding import hex_decode
from .errors import EncodingError, FormatError
from .keys import Signer
from .treehead import sign_object, signed_payload, verify_object

NOTICE_TYPE = "ownersvote-notice"
KINDS = ("first", "regular", "extraordinary")
ITEM_KINDS = ("resolution", "election", "selection", "plan")
_TOP = {
    "type",
    "v",
    "estate",
    "assembly",
    "title",
    "kind",
    "version",
    "published_at",
    "opens",
    "closes",
    "replace_allowed",
    "synthetic",
    "rules",
    "items",
    "kid",
    "sig",
}
_RULES = {"thresholds", "alternates", "required_signatures", "counting_rule"}
_ITEM_REQUIRED = {"id", "category", "kind", "title"}
_ITEM_OPTIONAL = {"text", "seats", "options", "attachments"}
_OPTION_OPTIONAL = {"statement", "uscc", "fee", "attachments"}
# A plan is no bidder: no credit code, no fee; its description and its one attachment instead.
_PLAN_OPTION_OPTIONAL = {"text", "attachment_sha256", "attachment_name"}
_FRACTION = re.compile(r"([1-9][0-9]*)/([1-9][0-9]*)")
_FEE = re.compile(r"(0|[1-9][0-9]*)\.[0-9]{2}")


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _nonempty(v: Any) -> bool:
    return isinstance(v, str) and v != ""


def _attachments(value: Any, where: str) -> None:
    if not isinstance(value, list):
        raise FormatError(f"{where}.attachments must be a list")
    for n, att in enumerate(value):
        if not isinstance(att, dict) or set(att) != {"name", "sha256"} or not _nonempty(att["name"]):
            raise FormatError(f"{where}.attachments[{n}] must be {{name, sha256}}")
        try:
            hex_decode(att["sha256"], what=f"{where}.attachments[{n}].sha256")
        except EncodingError as exc:
            raise FormatError(str(exc)) from exc


def _fraction(text: Any, where: str) -> None:
    match = _FRACTION.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise FormatError(f'{where}: a fraction is written "p/q" with positive integers')
    p, q = int(match.group(1)), int(match.group(2))
    if Fraction(p, q).numerator != p or p > q:
        raise FormatError(f"{where}: {text} must be written in lowest terms and be at most 1 (e.g. 4/5, not 8/10)")


def _rules(rules: Any) -> None:
    if not isinstance(rules, dict) or set(rules) != _RULES:
        raise FormatError(f"notice rules must be exactly {sorted(_RULES)}")
    thresholds = rules["thresholds"]
    if not isinstance(thresholds, dict):
        raise FormatError("notice rules.thresholds must be an object")
    for category, rule in thresholds.items():
        if category not in {str(c) for c in range(1, 10)} or not isinstance(rule, dict) or not rule:
            raise FormatError(f"notice rules.thresholds.{category}: a category 1–9 with a quorum and/or approval rule")
        for test, spec in rule.items():
            if test not in ("quorum", "approval") or not isinstance(spec, dict) or len(spec) != 1:
                raise FormatError(f'notice rules.thresholds.{category}.{test}: must be {{at_least|more_than: "p/q"}}')
            ((relation, value),) = spec.items()
            if relation not in ("at_least", "more_than"):
                raise FormatError(f"notice rules.thresholds.{category}.{test}: at_least or more_than, not {relation!r}")
            _fraction(value, f"notice rules.thresholds.{category}.{test}")
    for name in ("alternates", "required_signatures"):
        if not _is_int(rules[name]) or rules[name] < (1 if name == "required_signatures" else 0):
            raise FormatError(f"notice rules.{name} must be a {'positive' if name == 'required_signatures' else 'non-negative'} integer")
    if rules["counting_rule"] is not None and not isinstance(rules["counting_rule"], str):
        raise FormatError("notice rules.counting_rule must be text or null")


def _item(item: Any, n: int, seen: set[str]) -> None:
    where = f"notice items[{n}]"
    if not isinstance(item, dict) or not set(item) >= _ITEM_REQUIRED or set(item) - _ITEM_REQUIRED - _ITEM_OPTIONAL:
        raise FormatError(f"{where} must have {sorted(_ITEM_REQUIRED)} and only {sorted(_ITEM_OPTIONAL)} besides")
    if not _nonempty(item["id"]) or item["id"] in seen:
        raise FormatError(f"{where}.id must be a non-empty string, unique")
    seen.add(item["id"])
    if not _is_int(item["category"]) or not 1 <= item["category"] <= 9:
        raise FormatError(f"{where}.category must be an integer 1–9 (Civil Code Art. 278)")
    kind = item["kind"]
    if kind not in ITEM_KINDS:
        raise FormatError(f"{where}.kind must be one of {ITEM_KINDS}")
    if not isinstance(item["title"], str) or not item["title"].strip():
        raise FormatError(f"{where}.title must be non-empty text")
    if "text" in item and not isinstance(item["text"], str):
        raise FormatError(f"{where}.text must be text")
    if "attachments" in item:
        _attachments(item["attachments"], where)
    if kind == "resolution":
        if "options" in item or "seats" in item:
            raise FormatError(f"{where}: a resolution has no options or seats")
        return
    if kind == "election":
        if not _is_int(item.get("seats")) or item["seats"] < 1:
            raise FormatError(f"{where}: an election needs a positive number of seats")
    elif "seats" in item:
        raise FormatError(f"{where}: only an election has seats")
    options = item.get("options")
    if not isinstance(options, list) or not options:
        raise FormatError(f"{where}: {'a' if kind == 'plan' else 'an'} {kind} needs a non-empty list of options")
    optional = _PLAN_OPTION_OPTIONAL if kind == "plan" else _OPTION_OPTIONAL
    ids: set[str] = set()
    for m, option in enumerate(options):
        owhere = f"{where}.options[{m}]"
        if not isinstance(option, dict) or not {"id", "name"} <= set(option) or set(option) - {"id", "name"} - optional:
            raise FormatError(f"{owhere} must be {{id, name}} with only {sorted(optional)} besides")
        if not _nonempty(option["id"]) or option["id"] in ids or not _nonempty(option["name"]):
            raise FormatError(f"{owhere}: id (unique in the item) and name must be non-empty text")
        ids.add(option["id"])
        if kind == "plan":
            _plan_option(option, owhere)
            continue
        for text in ("statement", "uscc"):
            if text in option and not isinstance(option[text], str):
                raise FormatError(f"{owhere}.{text} must be text")
        if "fee" in option and not (isinstance(option["fee"], str) and _FEE.fullmatch(option["fee"])):
            raise FormatError(f'{owhere}.fee must be yuan per m² per month with two decimals, like "2.50"')
        if "attachments" in option:
            _attachments(option["attachments"], owhere)


def _plan_option(option: dict[str, Any], where: str) -> None:
    """A plan's own fields: its description, and at most one attachment named by hash and file name."""
    if "text" in option and not isinstance(option["text"], str):
        raise FormatError(f"{where}.text must be text")
    if ("attachment_sha256" in option) != ("attachment_name" in option):
        raise FormatError(f"{where}: a plan's attachment needs both attachment_sha256 and attachment_name")
    if "attachment_sha256" in option:
        if not _nonempty(option["attachment_name"]):
            raise FormatError(f"{where}.attachment_name must be a non-empty file name")
        try:
            hex_decode(option["attachment_sha256"], what=f"{where}.attachment_sha256")
        except EncodingError as exc:
            raise FormatError(str(exc)) from exc


def validate_notice(notice: Any, *, signed: bool = True) -> None:
    """Raise :class:`FormatError` unless ``notice`` has the documented shape (not its signature)."""
    expected = _TOP if signed else _TOP - {"kid", "sig"}
    if not isinstance(notice, dict) or set(notice) != expected:
        got = set(notice) if isinstance(notice, dict) else set()
        raise FormatError(f"notice members: missing {sorted(expected - got)}, unexpected {sorted(got - expected)}")
    if notice["type"] != NOTICE_TYPE or notice["v"] != 1:
        raise FormatError(f"not a version-1 {NOTICE_TYPE}")
    estate = notice["estate"]
    if not isinstance(estate, dict) or set(estate) != {"id", "name"} or not _nonempty(estate["id"]) or not isinstance(estate["name"], str):
        raise FormatError("notice estate must be {id, name}")
    for name in ("assembly", "title"):
        if not _nonempty(notice[name]):
            raise FormatError(f"notice {name} must be non-empty text")
    if notice["kind"] not in KINDS:
        raise FormatError(f"notice kind must be one of {KINDS}")
    for name in ("version", "published_at", "opens", "closes"):
        if not _is_int(notice[name]) or notice[name] < (1 if name == "version" else 0):
            raise FormatError(f"notice {name} must be a {'positive integer' if name == 'version' else 'time in milliseconds'}")
    if not notice["opens"] < notice["closes"]:
        raise FormatError("notice window: voting must close after it opens")
    if notice["published_at"] > notice["opens"]:
        raise FormatError("notice window: voting cannot open before the notice was published")
    for name in ("replace_allowed", "synthetic"):
        if not isinstance(notice[name], bool):
            raise FormatError(f"notice {name} must be true or false")
    _rules(notice["rules"])
    items = notice["items"]
    if not isinstance(items, list) or not items:
        raise FormatError("notice items must be a non-empty list")
    seen: set[str] = set()
    for n, item in enumerate(items):
        _item(item, n, seen)


def notice_digest(notice: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of the notice's canonical JSON without ``kid`` and ``sig``."""
    return hashlib.sha256(signed_payload(notice)).hexdigest()


def sign_notice(signer: Signer, payload: Mapping[str, Any]) -> dict[str, Any]:
    payload = {**payload, "type": NOTICE_TYPE, "v": 1}
    validate_notice(payload, signed=False)
    return sign_object(signer, payload)


def verify_notice(notice: Any, server_jwk: Mapping[str, Any]) -> str:
    """Check shape and the server's signature; return the notice digest."""
    validate_notice(notice)
    verify_object(notice, server_jwk)
    return notice_digest(notice)


def tally_items(notice: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The agenda as the tally engine reads it (docs/tally-format.md), from the notice alone."""
    out = []
    for item in notice["items"]:
        entry: dict[str, Any] = {"id": item["id"], "category": item["category"], "kind": item["kind"], "title": item["title"]}
        if item["kind"] == "election":
            entry["seats"] = item["seats"]
        if item["kind"] != "resolution":
            entry["options"] = [o["id"] for o in item["options"]]
        out.append(entry)
    return out


def tally_rules(notice: Mapping[str, Any]) -> dict[str, Any]:
    rules = notice["rules"]
    return {"thresholds": rules["thresholds"], "alternates": rules["alternates"]}


def tally_input(notice: Mapping[str, Any]) -> dict[str, Any]:
    """The bundle's ``tally_input`` section: what the tally needs besides members and ballots."""
    return {"rules": tally_rules(notice), "items": tally_items(notice)}


def assembly_summary(notice: Mapping[str, Any]) -> dict[str, Any]:
    """The bundle's ``assembly`` section: the notice's facts for people, in the v1 layout."""
    return {
        "id": notice["assembly"],
        "name": notice["title"],
        "kind": notice["kind"],
        "replace_allowed": notice["replace_allowed"],
        "counting_rule": notice["rules"]["counting_rule"],
        "voting_opens": notice["opens"],
        "voting_closes": notice["closes"],
        "items": [{"id": item["id"], "title": item["title"]} for item in notice["items"]],
    }
