"""loads_document: msgspec's quick reading of a whole document, held to the strict parser's verdicts."""

from __future__ import annotations

import json

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from crypto import canonical
from crypto.canonical import CanonicalJSONError, loads, loads_document

KEYS = st.text(alphabet=st.sampled_from('ab:"\\é\U00010000\ud800'), max_size=3)
VALUES = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**60), 2**60),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(alphabet=st.sampled_from('x:", \\\n0123456789\ud83d\ude00'), max_size=20),
    ),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(KEYS, inner, max_size=3)),
    max_leaves=10,
)


def verdict(read, raw: bytes):
    try:
        return "read", read(raw)
    except CanonicalJSONError as exc:
        return "refused", str(exc)


def spellings(value, how: str) -> str:
    text = json.dumps(value, ensure_ascii=how == "ascii", separators=(",", ":") if how != "spaced" else None)
    if how == "repeated" and text.startswith("{") and text != "{}":
        text = text[:-1] + "," + text[1:]  # every member twice
    if how == "colon escaped":
        text = text.replace(":", "\\u003a", 1)  # the first colon, a separator or inside a string
    return text


@settings(max_examples=600, deadline=None)
@given(VALUES, st.sampled_from(["compact", "spaced", "ascii", "repeated", "colon escaped"]))
@example({"a:": 1, "b": 2}, "compact")
@example({"a": 1}, "repeated")
def test_a_document_reads_and_is_refused_as_the_strict_parser_does(value, how):
    try:
        raw = spellings(value, how).encode("utf-8")
    except UnicodeEncodeError:
        raw = spellings(value, how).encode("utf-8", "surrogatepass")  # invalid UTF-8 on purpose
    assert verdict(loads_document, raw) == verdict(loads, raw)


@pytest.mark.parametrize(
    "raw",
    [
        b'{"a":1,"a":2}',
        b'{"a\\u003a":1,"a":1,"a":2}',  # an escaped colon would hide the repeat from the count
        b'{"a":"\\ud800"}',
        b'{"a":9007199254740992}',
        b'{"a": -9007199254740992}',
        b'{"a":1.5}',
        b'{"a":NaN}',
        b"\xef\xbb\xbf{}",
        b'{"a":"\xff"}',
        b'{"a":[1,]}',
    ],
)
def test_what_the_strict_parser_refuses_a_document_is_refused_for_in_the_same_words(raw):
    assert verdict(loads_document, raw) == verdict(loads, raw)
    assert verdict(loads_document, raw)[0] == "refused"


def test_a_plain_document_is_read_without_the_strict_parser(monkeypatch):
    def no_strict(*args, **kwargs):
        raise AssertionError("the strict parser ran")

    monkeypatch.setattr(canonical, "loads", no_strict)
    doc = {"log": {"entries": [{"ballot": '{"a":"b:c"}', "index": 0}]}, "heads": 900719925474099, "at": "12:30"}
    assert loads_document(json.dumps(doc, ensure_ascii=False).encode()) == doc
