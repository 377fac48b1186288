"""Canonical JSON (RFC 8785, JCS) through the ``rfc8785`` library, with a strict parser.

What is signed or hashed in OwnersVote is always ``canonical_json(value)``: UTF-8, object
members sorted by their UTF-16 code units, no insignificant whitespace, numbers in their
shortest form.  This wrapper narrows RFC 8785 to what the protocol needs and rejects what it
cannot carry unambiguously:

* floats (areas travel as decimal strings, counts as integers: a float in a ballot or a roll is
  a bug, and binary floating point is how tallies go wrong), unless a caller opts in;
* integers outside ±(2**53 − 1), which I-JSON (RFC 7493) parsers cannot represent exactly;
* NaN and the infinities; lone surrogates (not encodable as UTF-8);
* when parsing text: duplicate member names (different parsers keep different duplicates, the
  classic way to make a signed document say two things), invalid UTF-8 and a byte-order mark.
"""

from __future__ import annotations

import json
import re
from typing import Any

import msgspec
import rfc8785

from .errors import CanonicalJSONError

MAX_SAFE_INTEGER = 2**53 - 1
# Characters outside the BMP: the one case where UTF-16 order (RFC 8785 §3.2.3) and code-point
# order (Python's sort) of member names can differ.
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
# A \uD800–\uDFFF escape: the only way a lone surrogate can enter text decoded from UTF-8.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True, allow_nan=False).encode


def _check(value: Any, allow_floats: bool, path: str = "$") -> None:
    # An explicit walk (rather than trusting rfc8785 alone) so that the error names where the
    # offending value is and so that floats are refused even where JCS could print them.
    if value is None or value is True or value is False:
        return
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise CanonicalJSONError(f"{path}: string is not valid Unicode (lone surrogate)") from exc
        return
    if isinstance(value, int):
        if not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            raise CanonicalJSONError(f"{path}: integer {value} is outside the I-JSON safe range")
        return
    if isinstance(value, float):
        if not allow_floats:
            raise CanonicalJSONError(f"{path}: floating-point numbers are not allowed here")
        if value != value or value in (float("inf"), float("-inf")):
            raise CanonicalJSONError(f"{path}: NaN and infinities are not JSON")
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise CanonicalJSONError(f"{path}: object member names must be strings")
            _check(key, allow_floats, path)
            _check(item, allow_floats, f"{path}.{key}")
        return
    if isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            _check(item, allow_floats, f"{path}[{i}]")
        return
    raise CanonicalJSONError(f"{path}: {type(value).__name__} is not a JSON value")


def canonical_json(value: Any, *, allow_floats: bool = False) -> bytes:
    """The RFC 8785 canonical UTF-8 bytes of ``value``."""
    _check(value, allow_floats)
    if allow_floats:
        try:
            return rfc8785.dumps(value)
        except rfc8785.CanonicalizationError as exc:  # pragma: no cover - _check catches these first
            raise CanonicalJSONError(str(exc)) from exc
    return canonical_json_of_checked(value)


def canonical_json_of_checked(value: Any) -> bytes:
    """Canonical bytes of a value already known to be float-free, safe-integer, valid-Unicode JSON
    (one that :func:`canonical_json` checked or :func:`loads` produced).

    Speed matters here: the verifier canonicalises every roll entry and every log entry, and
    the pure-Python ``rfc8785`` costs ~50 µs a ballot.  For such values RFC 8785 output *is*
    the standard library's compact, key-sorted, non-ASCII-preserving encoding: integers print
    the same, strings need exactly the same escapes (``\\" \\\\ \\b \\f \\n \\r \\t``, other
    controls as lowercase ``\\u00xx``), and sorting by code point equals sorting by UTF-16
    code units unless a string holds a character beyond U+FFFF — in which case ``rfc8785``
    does the work.  tests/test_crypto/test_canonical.py checks the equivalence property-wise.
    """
    text = _dumps(value)
    if not text.isascii() and _ASTRAL.search(text):  # isascii() looks at a flag: no scan
        return rfc8785.dumps(value)
    return text.encode("utf-8")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise CanonicalJSONError(f"duplicate member name {key!r}")
            seen.add(key)
    return obj


def _safe_int(text: str) -> int:
    value = int(text)
    if not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
        raise CanonicalJSONError(f"integer {text} is outside the I-JSON safe range")
    return value


def _no_constant(name: str) -> Any:
    raise CanonicalJSONError(f"{name} is not JSON")


def _no_float(text: str) -> Any:
    raise CanonicalJSONError(f"floating-point number {text} is not allowed here")


def loads(data: bytes | str, *, allow_floats: bool = False) -> Any:
    """Parse JSON text strictly (see the module docstring); bytes must be UTF-8 without a BOM."""
    if isinstance(data, (bytes, bytearray, memoryview)):
        data = bytes(data)
        if data.startswith(b"\xef\xbb\xbf"):
            raise CanonicalJSONError("JSON text must not start with a byte-order mark")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise CanonicalJSONError(f"JSON text is not valid UTF-8 ({exc.reason} at byte {exc.start})") from exc
    elif isinstance(data, str):
        text = data
        if text.startswith("\ufeff"):
            raise CanonicalJSONError("JSON text must not start with a byte-order mark")
    else:
        raise CanonicalJSONError(f"cannot parse {type(data).__name__} as JSON")
    try:
        value = json.loads(
            text,
            object_pairs_hook=_no_duplicates,
            parse_constant=_no_constant,
            parse_float=float if allow_floats else _no_float,
            parse_int=_safe_int,
        )
    except CanonicalJSONError:
        raise
    except (json.JSONDecodeError, RecursionError) as exc:
        raise CanonicalJSONError(f"not JSON: {exc}") from exc
    # The hooks have refused floats, NaN, duplicates and unsafe integers; what is left to find
    # is a lone surrogate, which can only come from a \\uD8xx–\\uDFxx escape.
    if _SURROGATE_ESCAPE.search(text):
        _check(value, allow_floats)
    return value


def loads_document(data: bytes) -> Any:
    """:func:`loads` for a whole document (a bundle, a published roll): the same value or the
    same error, quicker on a large text (a 96 MB bundle: 0.60 s of CPU against 0.79 s).

    The strict parser's Python hook on every object (for repeated member names) is a third of
    its time there.  msgspec's C parser reads the text first, refusing floats, NaN, invalid
    UTF-8, lone surrogates and anything else that is not JSON; :func:`loads` then runs only if
    a check cannot rule out what msgspec lets through (each check is one pass over the text):

    * a repeated member name, which msgspec drops silently.  Every member of an object has one
      colon of its own outside any string, and JSON never needs to escape a colon: so unless the
      text spells one as ``\\u003a``, the text's colons are its members plus the colons inside
      its strings, and the same value written again (msgspec's encoder: a colon only as a
      separator or as itself) has as many colons exactly when no member was dropped;
    * an integer outside ±(2**53 − 1): sixteen digits or more after a separator or a space.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return loads(data)  # which names the problem
    if b"\\u003" in data:  # perhaps a colon escaped (lone surrogates msgspec refuses itself)
        return loads(data)
    # Digits and minus signs as "0", what may stand before a number as ":", the rest as "x"
    # (a number alone, with nothing before it, is not a document: the strict parser reads it).
    if _LONG_NUMBER in data.translate(_NUMBER_STARTS) or data.lstrip()[:1] in b"-0123456789":
        return loads(data)
    try:
        value = _quick_decode(data)
    except (msgspec.DecodeError, RecursionError):
        return loads(data)
    if _quick_encode(value).count(b":") != data.count(b":"):
        return loads(data)
    return value


_NUMBER_STARTS = bytes(48 if chr(c) in "0123456789-" else 58 if chr(c) in ":,[ \t\n\r" else 120 for c in range(256))
_LONG_NUMBER = b":" + b"0" * 16


def parse_canonical(data: bytes | str) -> Any:
    """Parse text that must already be in canonical form (a signed ballot, for instance).

    Signing the canonical bytes is only meaningful if every party reads the same value from
    them; requiring the received bytes to *be* canonical rules out whitespace, escapes and key
    orders that some other parser might read differently.
    """
    raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    if b"\\" not in raw:
        # The usual case, read and written again by msgspec's C parser and encoder rather than
        # the strict parser's Python hooks (a ballot: 6 µs against 9 µs).  Text without a
        # backslash has no escape, so no lone surrogate; a float (the hook), NaN or invalid UTF-8
        # stops the parse; a repeated member name, which the parser would drop, or any spelling
        # but the canonical one makes the text differ from its canonical form; and an integer
        # outside the safe range has at least 16 digits in a row.  For ASCII text msgspec's
        # sorted compact output is the canonical form (strings need no escape here, and
        # code-point order is UTF-16 order below U+10000); other text is compared with
        # canonical_json_of_checked.  Anything else (and every error) goes through the strict
        # path below, which names the problem.
        try:
            value = _quick_decode(raw) if _SIXTEEN_DIGITS not in raw.translate(_DIGITS_AS_ZERO) else None
        except (msgspec.DecodeError, RecursionError):
            pass
        else:
            if value is not None and (_quick_encode(value) if raw.isascii() else canonical_json_of_checked(value)) == raw:
                return value
    value = loads(raw)
    if canonical_json_of_checked(value) != raw:
        raise CanonicalJSONError("JSON text is not in RFC 8785 canonical form")
    return value


def _refuse_float(text: str) -> Any:
    raise ValueError(text)  # msgspec reports it as a DecodeError: the strict path names it


_quick_decode = msgspec.json.Decoder(float_hook=_refuse_float).decode
_quick_encode = msgspec.json.Encoder(order="sorted").encode
# Every digit as "0", everything else as a space: an integer beyond ±(2**53 − 1) has 16 digits
# or more, so it leaves sixteen zeros in a row (so may a long digit run inside a string: that
# text only takes the strict path).
_DIGITS_AS_ZERO = bytes(48 if 48 <= c <= 57 else 32 for c in range(256))
_SIXTEEN_DIGITS = b"0" * 16
