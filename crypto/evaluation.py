"""Evaluation forms, owners' anonymous answers and the published result (docs/evaluation-format.md).

A **form** is signed by the server's key when published, so that a result names exactly the form
it used (its digest: SHA-256 of its canonical JSON without ``kid`` and ``sig``)::

    {"type": "ownersvote-evaluation-form", "v": 1, "code": CODE, "version": N, "title": TEXT,
     "scales": {SCALE_ID: {"kind": "choice", "choices": [{"id", "label", "points"}, …]}
                         | {"kind": "score", "min": INT, "max": INT}},
     "sections": [{"id", "title", "items": [{"id", "text", "scale": SCALE_ID, "weight": BP}, …]}, …],
     "kid", "sig"}

Weights are integer basis points summing to exactly 10000 over all items.

An **answer** is the message an owner's token signs (RFC 9474, crypto/blindrsa.py), canonical
JSON of ``{"type": "ownersvote-evaluation-answer", "v": 1, "evaluation": ID, "form": DIGEST,
"key": KEY_THUMBPRINT, "nonce": B64URL(32 bytes), "answers": {ITEM_ID: CHOICE_ID | INT | null},
"comment": TEXT | null}``: the blind signature covers the answer itself, so nobody, the server
included, can change an answer once signed.

The **result** is signed by the server: the form, the evaluation's RSA public key, how many
tokens were issued, every answer with its signature (or none, ``withheld``, when fewer answers
came than ``min_answers``), and the counts.  :func:`verify_result` recounts everything.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from . import blindrsa
from .canonical import canonical_json, parse_canonical
from .cli import check_signed_file
from .encoding import b64url_decode
from .errors import CryptoError, FormatError
from .keys import Signer
from .treehead import sign_object, signed_payload, verify_object

FORM_TYPE = "ownersvote-evaluation-form"
ANSWER_TYPE = "ownersvote-evaluation-answer"
RESULT_TYPE = "ownersvote-evaluation-result"
WEIGHT_TOTAL = 10000
NONCE_BYTES = 32
MAX_COMMENT = 500
_ID_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789-_")


def _is_id(value: Any) -> bool:
    return isinstance(value, str) and 0 < len(value) <= 40 and set(value) <= _ID_CHARS


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _text(value: Any, what: str, limit: int = 200) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise FormatError(f"{what} must be a text of 1 to {limit} characters")
    return value


def validate_form(form: Any, *, signed: bool = True) -> None:
    """Raise :class:`FormatError` unless ``form`` is a well-formed evaluation form."""
    if not isinstance(form, dict):
        raise FormatError("a form is a JSON object")
    expected = {"type", "v", "code", "version", "title", "scales", "sections"} | ({"kid", "sig"} if signed else set())
    if set(form) != expected:
        raise FormatError(f"a form has exactly the members {sorted(expected)}")
    if form["type"] != FORM_TYPE or form["v"] != 1:
        raise FormatError("not an evaluation form of version 1")
    if not _is_id(form["code"]):
        raise FormatError("a form's code is 1 to 40 of a-z, 0-9, - and _")
    if not _is_int(form["version"]) or form["version"] < 1:
        raise FormatError("a form's version is a positive integer")
    _text(form["title"], "the form's title")
    scales = form["scales"]
    if not isinstance(scales, dict) or not scales:
        raise FormatError("a form has at least one scale")
    for scale_id, scale in scales.items():
        if not _is_id(scale_id) or not isinstance(scale, dict):
            raise FormatError(f"scale {scale_id!r} is not valid")
        if scale.get("kind") == "choice":
            if set(scale) != {"kind", "choices"} or not isinstance(scale["choices"], list) or len(scale["choices"]) < 2:
                raise FormatError(f"choice scale {scale_id!r} needs at least two choices")
            seen: set[str] = set()
            for choice in scale["choices"]:
                if not isinstance(choice, dict) or set(choice) != {"id", "label", "points"}:
                    raise FormatError(f"a choice of scale {scale_id!r} has exactly id, label and points")
                if not _is_id(choice["id"]) or choice["id"] in seen:
                    raise FormatError(f"scale {scale_id!r} has a missing or repeated choice id")
                seen.add(choice["id"])
                _text(choice["label"], "a choice's label", 40)
                if not _is_int(choice["points"]) or not 0 <= choice["points"] <= 100:
                    raise FormatError(f"a choice's points in scale {scale_id!r} are an integer from 0 to 100")
        elif scale.get("kind") == "score":
            if set(scale) != {"kind", "min", "max"} or not _is_int(scale["min"]) or not _is_int(scale["max"]):
                raise FormatError(f"score scale {scale_id!r} has exactly kind, min and max (integers)")
            if not 0 <= scale["min"] < scale["max"] <= 100:
                raise FormatError(f"score scale {scale_id!r} runs from min to max within 0 to 100")
        else:
            raise FormatError(f"scale {scale_id!r} is of kind choice or score")
    sections = form["sections"]
    if not isinstance(sections, list) or not sections:
        raise FormatError("a form has at least one section")
    ids: set[str] = set()
    total = 0
    for section in sections:
        if not isinstance(section, dict) or set(section) != {"id", "title", "items"}:
            raise FormatError("a section has exactly id, title and items")
        if not _is_id(section["id"]) or section["id"] in ids:
            raise FormatError("a section id is missing or repeated")
        ids.add(section["id"])
        _text(section["title"], "a section's title")
        if not isinstance(section["items"], list) or not section["items"]:
            raise FormatError(f"section {section['id']!r} has no items")
        for item in section["items"]:
            if not isinstance(item, dict) or set(item) != {"id", "text", "scale", "weight"}:
                raise FormatError("an item has exactly id, text, scale and weight")
            if not _is_id(item["id"]) or item["id"] in ids:
                raise FormatError("an item id is missing or repeated")
            ids.add(item["id"])
            _text(item["text"], "an item's text", 300)
            if item["scale"] not in scales:
                raise FormatError(f"item {item['id']!r} names no scale of the form")
            if not _is_int(item["weight"]) or item["weight"] < 0:
                raise FormatError(f"item {item['id']!r} has a weight that is not a non-negative integer")
            total += item["weight"]
    if total != WEIGHT_TOTAL:
        raise FormatError(f"the items' weights sum to {total} basis points, not {WEIGHT_TOTAL}")


def items(form: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [item for section in form["sections"] for item in section["items"]]


def form_digest(form: Mapping[str, Any]) -> str:
    return hashlib.sha256(signed_payload(form)).hexdigest()


def sign_form(signer: Signer, payload: Mapping[str, Any]) -> dict[str, Any]:
    payload = {**payload, "type": FORM_TYPE, "v": 1}
    validate_form(payload, signed=False)
    return sign_object(signer, payload)


def verify_form(form: Any, server_jwk: Mapping[str, Any]) -> str:
    validate_form(form)
    verify_object(form, server_jwk)
    return form_digest(form)


# --- answers -----------------------------------------------------------------------------------


def answer_message(*, evaluation: int, form: str, key: str, nonce: str, answers: Mapping[str, Any], comment: str | None) -> bytes:
    """The canonical bytes an owner's token signs (the phone builds the same bytes)."""
    return canonical_json(
        {
            "type": ANSWER_TYPE,
            "v": 1,
            "evaluation": evaluation,
            "form": form,
            "key": key,
            "nonce": nonce,
            "answers": dict(answers),
            "comment": comment,
        }
    )


def read_answer(message: bytes, form: Mapping[str, Any], *, evaluation: int, digest: str, key: str) -> dict[str, Any]:
    """Parse and check an answer's message against its evaluation and form; raise FormatError."""
    try:
        answer = parse_canonical(message)
    except CryptoError as exc:
        raise FormatError(f"the answer is not canonical JSON: {exc}") from None
    if not isinstance(answer, dict) or set(answer) != {"type", "v", "evaluation", "form", "key", "nonce", "answers", "comment"}:
        raise FormatError("an answer has exactly type, v, evaluation, form, key, nonce, answers and comment")
    if answer["type"] != ANSWER_TYPE or answer["v"] != 1:
        raise FormatError("not an evaluation answer of version 1")
    if answer["evaluation"] != evaluation:
        raise FormatError("the answer belongs to another evaluation")
    if answer["form"] != digest:
        raise FormatError("the answer names another form")
    if answer["key"] != key:
        raise FormatError("the answer names another evaluation key")
    b64url_decode(answer["nonce"], NONCE_BYTES, "the answer's nonce")
    comment = answer["comment"]
    if comment is not None and (not isinstance(comment, str) or not comment.strip() or len(comment) > MAX_COMMENT):
        raise FormatError(f"a comment is a text of 1 to {MAX_COMMENT} characters, or null")
    given = answer["answers"]
    if not isinstance(given, dict):
        raise FormatError("answers is an object of item ids")
    known = {item["id"]: form["scales"][item["scale"]] for item in items(form)}
    if set(given) != set(known):
        raise FormatError("an answer names every item of the form, each once (null for one left out)")
    for item_id, value in given.items():
        scale = known[item_id]
        if value is None:
            continue
        if scale["kind"] == "choice":
            if value not in {choice["id"] for choice in scale["choices"]}:
                raise FormatError(f"item {item_id!r}: {value!r} is not a choice of its scale")
        elif not _is_int(value) or not scale["min"] <= value <= scale["max"]:
            raise FormatError(f"item {item_id!r}: a score from {scale['min']} to {scale['max']}")
    if all(value is None for value in given.values()) and comment is None:
        raise FormatError("an answer answers at least one item or comments")
    return answer


def count(form: Mapping[str, Any], answers: Sequence[Mapping[str, Any]], min_answers: int) -> dict[str, Any]:
    """The published counts: per item, how many answered, and per choice (or the sum of scores)
    and the sum of points; an item answered fewer than ``min_answers`` times is suppressed."""
    out: dict[str, Any] = {}
    for item in items(form):
        scale = form["scales"][item["scale"]]
        values = [answer["answers"][item["id"]] for answer in answers if answer["answers"][item["id"]] is not None]
        if len(values) < min_answers:
            out[item["id"]] = {"answered": len(values), "suppressed": True}
            continue
        if scale["kind"] == "choice":
            points = {choice["id"]: choice["points"] for choice in scale["choices"]}
            choices = {choice["id"]: sum(1 for value in values if value == choice["id"]) for choice in scale["choices"]}
            out[item["id"]] = {"answered": len(values), "choices": choices, "points": sum(points[value] for value in values)}
        else:
            out[item["id"]] = {"answered": len(values), "points": sum(values)}
    return out


# --- the result ----------------------------------------------------------------------------------

_RESULT_KEYS = {
    "type",
    "v",
    "evaluation",
    "form",
    "suite",
    "key",
    "issued",
    "min_answers",
    "withheld",
    "answers",
    "counts",
    "server",
    "kid",
    "sig",
}


def sign_result(signer: Signer, payload: Mapping[str, Any]) -> dict[str, Any]:
    return sign_object(signer, {**payload, "type": RESULT_TYPE, "v": 1})


def verify_result(result: Any, server_jwk: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Recount a published evaluation: the server's signatures on the result and on its form, each
    answer's token valid under the evaluation's key and distinct, no more answers than tokens
    issued, and the counts exactly those that follow from the answers.  Returns a summary; raises
    :class:`CryptoError` (FormatError, SignatureInvalid) at the first fault."""
    if not isinstance(result, dict) or set(result) != _RESULT_KEYS:
        raise FormatError(f"a result has exactly the members {sorted(_RESULT_KEYS)}")
    if result["type"] != RESULT_TYPE or result["v"] != 1:
        raise FormatError("not an evaluation result of version 1")
    if server_jwk is None:
        server_jwk = result["server"]
    elif result["server"] != dict(server_jwk):
        raise FormatError("the result carries another server key than the one given")
    if not isinstance(server_jwk, Mapping):
        raise FormatError("server is the server's public JWK")
    verify_object(result, server_jwk)
    form = result["form"]
    digest = verify_form(form, server_jwk)
    evaluation = result["evaluation"]
    if not isinstance(evaluation, dict) or not _is_int(evaluation.get("id")) or evaluation.get("form") != digest:
        raise FormatError("the result's evaluation names another form than the one it carries")
    if result["suite"] != blindrsa.SUITE:
        raise FormatError(f"the suite is {blindrsa.SUITE}")
    key = blindrsa.load_public(result["key"])
    thumbprint = blindrsa.rsa_thumbprint(result["key"])
    issued, min_answers, withheld = result["issued"], result["min_answers"], result["withheld"]
    if not _is_int(issued) or issued < 0 or not _is_int(min_answers) or min_answers < 1 or not isinstance(withheld, bool):
        raise FormatError("issued and min_answers are integers, withheld a boolean")
    counts = result["counts"]
    if not isinstance(counts, dict) or not _is_int(counts.get("answers")):
        raise FormatError("counts names how many answers were counted")
    if withheld:
        if result["answers"] is not None or set(counts) != {"answers"} or counts["answers"] >= min_answers:
            raise FormatError("answers are withheld only when fewer than min_answers came, and then nothing else is counted")
        if counts["answers"] > issued:
            raise FormatError("more answers than tokens issued")
        return {"evaluation": evaluation["id"], "answers": counts["answers"], "issued": issued, "withheld": True, "form": digest}
    if not isinstance(result["answers"], list):
        raise FormatError("answers is a list")
    seen: set[str] = set()
    read: list[dict[str, Any]] = []
    for index, entry in enumerate(result["answers"]):
        if not isinstance(entry, dict) or set(entry) != {"message", "sig"}:
            raise FormatError(f"answer {index} has exactly message and sig")
        message = b64url_decode(entry["message"], what=f"answer {index}'s message")
        blindrsa.verify(key, message, b64url_decode(entry["sig"], what=f"answer {index}'s signature"))
        token = blindrsa.token_id(message)
        if token in seen:
            raise FormatError(f"answer {index} repeats a token already counted")
        seen.add(token)
        read.append(read_answer(message, form, evaluation=evaluation["id"], digest=digest, key=thumbprint))
    if len(read) > issued:
        raise FormatError(f"{len(read)} answers, but only {issued} tokens were issued")
    if len(read) < min_answers:
        raise FormatError("fewer answers than min_answers were published instead of withheld")
    expected = {"answers": len(read), "items": count(form, read, min_answers)}
    if counts != expected:
        raise FormatError("the published counts do not follow from the published answers")
    return {"evaluation": evaluation["id"], "answers": len(read), "issued": issued, "withheld": False, "form": digest}


def main(argv: list[str] | None = None, prog: str = "ownersvote verify-evaluation") -> int:
    """Recount a published evaluation result offline (docs/evaluation-format.md)."""

    def check(document: Any) -> str:
        summary = verify_result(document)
        how = "withheld (fewer answers than the minimum)" if summary["withheld"] else "every token valid and distinct, counts recounted"
        return (
            f"evaluation {summary['evaluation']}, {summary['answers']} answers of {summary['issued']} tokens issued; {how}; "
            f"form {summary['form']}"
        )

    return check_signed_file(
        argv, prog=prog, description="Recount a published evaluation (docs/evaluation-format.md).", what="result", check=check
    )
