"""What no view ever has to handle: a NUL byte in a path, a query or a form value, and JSON nested
deeper than any of our documents.  Both are refused with a 400 before any view runs, in one place
(PostgreSQL cannot store a NUL in text, and Python's JSON parser runs out of stack on a few
thousand brackets: either was a 500)."""

from __future__ import annotations

import re
from itertools import accumulate

from flask import Flask, request

from webapp.core.errors import Malformed

# Our deepest document (a signed ballot inside the cast request) nests fewer than ten levels.
MAX_JSON_DEPTH = 32

# The same strings as "(?:[^"\\]|\\.)*", matched a run of plain characters at a time rather than
# one alternation per character: a third of the time on a cast's body, which every ballot pays.
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = re.compile(rb"[^\[\]{}]+")
_DEPTH_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


def too_deep(body: bytes) -> bool:
    """Whether the brackets of a JSON text (outside its strings) nest deeper than
    ``MAX_JSON_DEPTH``; malformed text is measured all the same."""
    brackets = _NOT_BRACKET.sub(b"", _JSON_STRING.sub(b"", body))
    if len(brackets) <= MAX_JSON_DEPTH:
        return False
    return max(accumulate(map(_DEPTH_STEP.__getitem__, brackets))) > MAX_JSON_DEPTH


def _has_nul(values) -> bool:
    return any("\x00" in key or "\x00" in value for key, value in values)


def refuse_bad_input() -> None:
    if "\x00" in request.path or b"%00" in request.query_string or "\x00" in request.query_string.decode("latin-1"):
        raise Malformed("地址中含有不允许的空字符", "the address holds a character that is not allowed (NUL)")
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        if request.is_json:
            if too_deep(request.get_data(cache=True)):
                raise Malformed(
                    f"提交的数据格式不正确：嵌套超过 {MAX_JSON_DEPTH} 层",
                    f"malformed JSON: nested deeper than {MAX_JSON_DEPTH} levels",
                )
        elif _has_nul(request.form.items(multi=True)) or any("\x00" in (upload.filename or "") for upload in request.files.values()):
            raise Malformed("提交的内容中含有不允许的空字符", "the form holds a character that is not allowed (NUL)")


def install(app: Flask) -> None:
    app.before_request(refuse_bad_input)
