"""Canonical JSON: RFC 8785's own examples, the strict parser, and the fast path against rfc8785."""
from __future__ import annotations

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto.canonical import MAX_SAFE_INTEGER, canonical_json, canonical_json_of_checked, loads, parse_canonical
from crypto.errors import CanonicalJSONError


def test_rfc8785_section_3_2_2_example():
    """RFC 8785 §3.2.2 input and output (numbers included: floats are allowed only on request)."""
    text = ('{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],'
            '"string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",'
            '"literals": [null, true, false]}')
    expected = ('{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],'
                '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}')
    assert canonical_json(loads(text, allow_floats=True), allow_floats=True) == expected.encode("utf-8")


def test_rfc8785_section_3_2_3_sorting():
    """Member names sort by UTF-16 code units (the emoji sorts before U+FB33)."""
    value = {"\u20ac": "Euro Sign", "\r": "Carriage Return", "\ufb33": "Hebrew Letter Dalet With Dagesh",
             "1": "One", "\U0001F600": "Emoji: Grinning Face", "\u0080": "Control",
             "\u00f6": "Latin Small Letter O With Diaeresis"}
    out = canonical_json(value).decode("utf-8")
    order = [k for k in ("\r", "1", "\u0080", "\u00f6", "\u20ac", "\U0001F600", "\ufb33")]
    positions = [out.index('"' + k.replace("\r", "\\r") + '"') for k in order]
    assert positions == sorted(positions)
    assert canonical_json(value) == rfc8785.dumps(value)


@pytest.mark.parametrize("text,why", [
    ('{"a":1,"a":2}', "duplicate"),
    ('{"a":1.5}', "floating"),
    ('{"a":NaN}', "NaN"),
    ('{"a":Infinity}', "Infinity"),
    ('{"a":9007199254740992}', "safe range"),
    ('{"a":"\\ud800"}', "surrogate"),
    ('{"a":1', "not JSON"),
])
def test_strict_parser_refuses(text, why):
    with pytest.raises(CanonicalJSONError, match=why):
        loads(text)


def test_strict_parser_refuses_bad_utf8_and_bom():
    with pytest.raises(CanonicalJSONError, match="UTF-8"):
        loads(b'{"a":"\xff"}')
    with pytest.raises(CanonicalJSONError, match="byte-order"):
        loads(b'\xef\xbb\xbf{"a":1}')


def test_canonical_refuses_floats_and_big_ints():
    with pytest.raises(CanonicalJSONError):
        canonical_json({"area": 89.5})
    with pytest.raises(CanonicalJSONError):
        canonical_json({"n": MAX_SAFE_INTEGER + 1})
    assert canonical_json({"n": MAX_SAFE_INTEGER}) == b'{"n":9007199254740991}'


def test_parse_canonical_requires_canonical_bytes():
    assert parse_canonical(b'{"a":1,"b":[true]}') == {"a": 1, "b": [True]}
    for text in (b'{"b":1,"a":2}', b'{"a": 1}', b'{"a":"\\u0041"}', b'{"a":-0}'):
        with pytest.raises(CanonicalJSONError):
            parse_canonical(text)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-MAX_SAFE_INTEGER, MAX_SAFE_INTEGER)
    | st.text(st.characters(blacklist_categories=("Cs",))),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(st.characters(blacklist_categories=("Cs",)), max_size=6), children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_fast_path_equals_rfc8785(value):
    """The stdlib-based fast path produces exactly rfc8785's bytes, and they round-trip."""
    assert canonical_json_of_checked(value) == rfc8785.dumps(value)
    assert parse_canonical(rfc8785.dumps(value)) == value
