"""Inspections of an estate's firm, rectification notices and their follow-ups, each signed by the
inspector's device key in the browser (docs/inspection-format.md).

An **inspection form** is published by the district (not signed: every inspection names it by its
digest, SHA-256 of its canonical JSON, and carries each item's maximum and weight itself)::

    {"type": "ownersvote-inspection-form", "v": 1, "code": CODE, "version": N, "title": TEXT,
     "sections": [{"id", "title", "items": [{"id", "text", "max": 1..100, "weight": BP}, …]}, …]}

Weights are integer basis points summing to exactly 10000 over all items.

Three documents are signed by a supervisor's device key (canonical JSON, RFC 8785; the signature
is over those bytes, its ``kid`` the RFC 7638 thumbprint of the key, named inside the document):

- an **inspection** (``ownersvote-inspection``): the estate, the firm serving it that day (or
  null), the form, the date, a score per item (an integer from 0 to the item's maximum, with the
  item's maximum and weight repeated), notes, and the SHA-256 of every photo;
- a **rectification notice** (``ownersvote-rectification-notice``, 整改通知): the inspection it
  follows (by digest), the firm, the items to put right and a deadline after the day it is issued;
- a **follow-up** (``ownersvote-rectification-followup``): the notice (by digest), and for each of
  its items whether it was rectified.

A signed record is ``{"document": DOC, "jwk": JWK, "sig": B64URL}``; :func:`verify_signed` checks
it.  An inspection's **score** on 0–100 is ``Σ weight·score/max / 100`` (exact, a fraction);
:func:`ranking_input` is what a ranking takes from an inspection (crypto/ranking.py).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from datetime import date
from fractions import Fraction
from typing import Any

from .canonical import canonical_json
from .encoding import b64url_decode
from .errors import CryptoError, FormatError
from .keys import jwk_thumbprint, public_jwk, verify

FORM_TYPE = "ownersvote-inspection-form"
INSPECTION_TYPE = "ownersvote-inspection"
NOTICE_TYPE = "ownersvote-rectification-notice"
FOLLOWUP_TYPE = "ownersvote-rectification-followup"
WEIGHT_TOTAL = 10000
MAX_POINTS = 100
MAX_NOTE = 500
MAX_NOTES = 2000
MAX_PHOTOS = 6
MAX_NOTICE_ITEMS = 30
NONCE_BYTES = 16
_ID = re.compile(r"[a-z0-9_-]{1,40}")
_HEX64 = re.compile(r"[0-9a-f]{64}")
_USCC = re.compile(r"[0-9A-HJ-NPQRTUWXY]{18}")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_id(value: Any) -> bool:
    return isinstance(value, str) and _ID.fullmatch(value) is not None


def _text(value: Any, what: str, limit: int = 200) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise FormatError(f"{what} must be a text of 1 to {limit} characters")
    return value


def _optional_text(value: Any, what: str, limit: int) -> None:
    if value is not None:
        _text(value, what, limit)


def _day(value: Any, what: str) -> date:
    try:
        day = date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        day = None
    if day is None or day.isoformat() != value:
        raise FormatError(f"{what} is a date written YYYY-MM-DD")
    return day


def _members(document: Any, expected: set[str], what: str) -> dict[str, Any]:
    if not isinstance(document, dict) or set(document) != expected:
        raise FormatError(f"{what} has exactly the members {sorted(expected)}")
    return document


# --- the form ----------------------------------------------------------------------------------


def validate_form(form: Any) -> None:
    """Raise :class:`FormatError` unless ``form`` is a well-formed inspection form."""
    _members(form, {"type", "v", "code", "version", "title", "sections"}, "an inspection form")
    if form["type"] != FORM_TYPE or form["v"] != 1:
        raise FormatError("not an inspection form of version 1")
    if not _is_id(form["code"]):
        raise FormatError("a form's code is 1 to 40 of a-z, 0-9, - and _")
    if not _is_int(form["version"]) or form["version"] < 1:
        raise FormatError("a form's version is a positive integer")
    _text(form["title"], "the form's title")
    sections = form["sections"]
    if not isinstance(sections, list) or not sections:
        raise FormatError("a form has at least one section")
    seen: set[str] = set()
    total = 0
    for section in sections:
        _members(section, {"id", "title", "items"}, "a section")
        if not _is_id(section["id"]):
            raise FormatError("a section's id is 1 to 40 of a-z, 0-9, - and _")
        _text(section["title"], "a section's title")
        if not isinstance(section["items"], list) or not section["items"]:
            raise FormatError(f"section {section['id']} has at least one item")
        for item in section["items"]:
            _members(item, {"id", "text", "max", "weight"}, "an item")
            if not _is_id(item["id"]) or item["id"] in seen:
                raise FormatError(f"item ids are unique ids of a-z, 0-9, - and _ ({item['id']!r})")
            seen.add(item["id"])
            _text(item["text"], f"item {item['id']}'s text")
            if not _is_int(item["max"]) or not 1 <= item["max"] <= MAX_POINTS:
                raise FormatError(f"item {item['id']}'s maximum is an integer from 1 to {MAX_POINTS}")
            if not _is_int(item["weight"]) or item["weight"] < 0:
                raise FormatError(f"item {item['id']}'s weight is a non-negative integer of basis points")
            total += item["weight"]
    if total != WEIGHT_TOTAL:
        raise FormatError(f"the items' weights sum to {total} basis points, not {WEIGHT_TOTAL} (100%)")


def form_items(form: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The form's items in order, across its sections."""
    return [dict(item) for section in form["sections"] for item in section["items"]]


def form_digest(form: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical_json(form)).hexdigest()


# --- the signed documents ------------------------------------------------------------------------


def document_digest(document: Mapping[str, Any]) -> str:
    """How a document is named (by a notice, a follow-up, a ranking): SHA-256 (hex) of the
    canonical JSON bytes its inspector signed."""
    return hashlib.sha256(canonical_json(document)).hexdigest()


def _estate(value: Any) -> None:
    _members(value, {"id", "name"}, "an estate")
    if not _is_int(value["id"]) or value["id"] < 1:
        raise FormatError("an estate's id is a positive integer")
    _text(value["name"], "the estate's name")


def _firm(value: Any, *, optional: bool) -> None:
    if value is None and optional:
        return
    _members(value, {"name", "uscc"}, "a firm")
    _text(value["name"], "the firm's name")
    if not isinstance(value["uscc"], str) or not _USCC.fullmatch(value["uscc"]):
        raise FormatError("a firm's uscc is its 18-character unified social credit code")


def _common(document: Mapping[str, Any]) -> None:
    if document["v"] != 1:
        raise FormatError(f"not a {document['type']} of version 1")
    _estate(document["estate"])
    _day(document["date"], "the date")
    if not isinstance(document["kid"], str) or not 0 < len(document["kid"]) <= 64:
        raise FormatError("kid names the signing key (its RFC 7638 thumbprint)")
    try:
        b64url_decode(document["nonce"], NONCE_BYTES, "the nonce")
    except (CryptoError, TypeError) as exc:
        raise FormatError(f"the nonce is {NONCE_BYTES} random bytes, base64url: {exc}") from None
    _optional_text(document["notes"], "the notes", MAX_NOTES)


def _photos(value: Any) -> None:
    if not isinstance(value, list) or len(value) > MAX_PHOTOS:
        raise FormatError(f"photos are a list of at most {MAX_PHOTOS} SHA-256 digests")
    if any(not isinstance(p, str) or not _HEX64.fullmatch(p) for p in value) or len(set(value)) != len(value):
        raise FormatError("each photo is named once by its SHA-256 (hex)")


_INSPECTION = {"type", "v", "estate", "firm", "form", "date", "kid", "nonce", "items", "notes", "photos"}
_NOTICE = {"type", "v", "estate", "firm", "inspection", "date", "deadline", "kid", "nonce", "items", "notes"}
_FOLLOWUP = {"type", "v", "estate", "notice", "date", "kid", "nonce", "items", "notes", "photos"}


def validate_inspection(document: Any) -> None:
    _members(document, _INSPECTION, "an inspection")
    if document["type"] != INSPECTION_TYPE:
        raise FormatError("not an inspection")
    _common(document)
    _firm(document["firm"], optional=True)
    form = _members(document["form"], {"code", "version", "digest"}, "an inspection's form")
    if (
        not _is_id(form["code"])
        or not _is_int(form["version"])
        or not isinstance(form["digest"], str)
        or not _HEX64.fullmatch(form["digest"])
    ):
        raise FormatError("the form is named by code, version and digest")
    items = document["items"]
    if not isinstance(items, list) or not items:
        raise FormatError("an inspection scores at least one item")
    seen: set[str] = set()
    for item in items:
        _members(item, {"id", "score", "max", "weight", "note"}, "a scored item")
        if not _is_id(item["id"]) or item["id"] in seen:
            raise FormatError("each item is scored once")
        seen.add(item["id"])
        if not _is_int(item["max"]) or not 1 <= item["max"] <= MAX_POINTS or not _is_int(item["weight"]) or item["weight"] < 0:
            raise FormatError(f"item {item['id']}: its maximum is 1 to {MAX_POINTS}, its weight non-negative basis points")
        if not _is_int(item["score"]) or not 0 <= item["score"] <= item["max"]:
            raise FormatError(f"item {item['id']}: the score is a whole number from 0 to {item['max']}")
        _optional_text(item["note"], f"item {item['id']}'s note", MAX_NOTE)
    if sum(item["weight"] for item in items) != WEIGHT_TOTAL:
        raise FormatError(f"the items' weights sum to {WEIGHT_TOTAL} basis points")
    _photos(document["photos"])


def validate_notice(document: Any) -> None:
    _members(document, _NOTICE, "a rectification notice")
    if document["type"] != NOTICE_TYPE:
        raise FormatError("not a rectification notice")
    _common(document)
    _firm(document["firm"], optional=False)
    if not isinstance(document["inspection"], str) or not _HEX64.fullmatch(document["inspection"]):
        raise FormatError("a notice names the inspection it follows by its digest")
    if _day(document["deadline"], "the deadline") <= _day(document["date"], "the date"):
        raise FormatError("the deadline is after the day the notice is issued")
    items = document["items"]
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_NOTICE_ITEMS:
        raise FormatError(f"a notice has 1 to {MAX_NOTICE_ITEMS} items")
    for n, item in enumerate(items, start=1):
        _members(item, {"id", "text", "item"}, "a notice's item")
        if item["id"] != str(n):
            raise FormatError("a notice's items are numbered 1, 2, 3, … in order")
        _text(item["text"], f"notice item {n}", MAX_NOTE)
        if item["item"] is not None and not _is_id(item["item"]):
            raise FormatError(f"notice item {n} names a form item by its id, or null")


def validate_followup(document: Any) -> None:
    _members(document, _FOLLOWUP, "a follow-up")
    if document["type"] != FOLLOWUP_TYPE:
        raise FormatError("not a follow-up")
    _common(document)
    if not isinstance(document["notice"], str) or not _HEX64.fullmatch(document["notice"]):
        raise FormatError("a follow-up names its notice by its digest")
    items = document["items"]
    if not isinstance(items, list) or not items:
        raise FormatError("a follow-up records every item of its notice")
    for item in items:
        _members(item, {"id", "rectified", "note"}, "a follow-up's item")
        if not isinstance(item["id"], str) or not isinstance(item["rectified"], bool):
            raise FormatError("each item of a follow-up says rectified true or false")
        _optional_text(item["note"], f"follow-up item {item['id']}'s note", MAX_NOTE)
    if [item["id"] for item in items] != [str(n) for n in range(1, len(items) + 1)]:
        raise FormatError("a follow-up records the notice's items 1, 2, 3, … in order")
    _photos(document["photos"])


VALIDATORS = {INSPECTION_TYPE: validate_inspection, NOTICE_TYPE: validate_notice, FOLLOWUP_TYPE: validate_followup}


def validate(document: Any) -> None:
    kind = document.get("type") if isinstance(document, dict) else None
    if kind not in VALIDATORS:
        raise FormatError(f"a signed document is one of {sorted(VALIDATORS)}")
    VALIDATORS[kind](document)


def verify_document(document: Mapping[str, Any], jwk: Mapping[str, Any], sig: str) -> str:
    """Check a document and its inspector's signature over its canonical JSON with ``jwk`` (the
    key the document names by ``kid``).  Returns the document's digest."""
    validate(document)
    if jwk_thumbprint(public_jwk(jwk)) != document["kid"]:
        raise FormatError("the document names another key than the one that signed it")
    verify(jwk, canonical_json(document), sig)
    return document_digest(document)


def verify_signed(record: Any) -> str:
    """Check a signed record ``{"document", "jwk", "sig"}``; returns the document's digest."""
    _members(record, {"document", "jwk", "sig"}, "a signed record")
    if not isinstance(record["jwk"], dict) or not isinstance(record["sig"], str):
        raise FormatError("a signed record's jwk is an object and its sig text")
    return verify_document(record["document"], record["jwk"], record["sig"])


# --- scores and what a ranking takes -----------------------------------------------------------


def item_score(items: list[Mapping[str, Any]]) -> Fraction:
    """The weighted score on 0–100 of scored items: Σ weight·score/max over 10000, times 100."""
    return sum((Fraction(item["weight"] * item["score"], item["max"]) for item in items), Fraction(0)) / (WEIGHT_TOTAL // MAX_POINTS)


def inspection_score(document: Mapping[str, Any]) -> Fraction:
    return item_score(document["items"])


def ranking_input(document: Mapping[str, Any]) -> dict[str, Any]:
    """What a ranking takes from a (verified) inspection: its digest, date and scored items."""
    return {
        "document": document_digest(document),
        "date": document["date"],
        "items": [{"id": i["id"], "weight": i["weight"], "score": i["score"], "max": i["max"]} for i in document["items"]],
    }
