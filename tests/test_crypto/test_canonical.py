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
    text = (
        '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],'
        '"string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",'
        '"literals": [null, true, false]}'
    )
    expected = (
        '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
    )
    assert canonical_json(loads(text, allow_floats=True), allow_floats=True) == expected.encode("utf-8")


def test_rfc8785_section_3_2_3_sorting():
    """Member names sort by UTF-16 code units (the emoji sorts before U+FB33)."""
    value = {
        "\u20ac": "Euro Sign",
        "\r": "Carriage Return",
        "\ufb33": "Hebrew Letter Dalet With Dagesh",
        "1": "One",
        "\U0001f600": "Emoji: Grinning Face",
        "\u0080": "Control",
        "\u00f6": "Latin Small Letter O With Diaeresis",
    }
    out = canonical_json(value).decode("utf-8")
    order = [k for k in ("\r", "1", "\u0080", "\u00f6", "\u20ac", "\U0001f600", "\ufb33")]
    positions = [out.index('"' + k.replace("\r", "\\r") + '"') for k in order]
    assert positions == sorted(positions)
    assert canonical_json(value) == rfc8785.dumps(value)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ('{"a":1,"a":2}', "duplicate"),
        ('{"a":1.5}', "floating"),
        ('{"a":NaN}', "NaN"),
        ('{"a":Infinity}', "Infinity"),
        ('{"a":9007199254740992}', "safe range"),
        ('{"a":"\\ud800"}', "surrogate"),
        ('{"a":1', "not JSON"),
    ],
)
def test_strict_parser_refuses(text, why):
    with pytest.raises(CanonicalJSONError, match=why):
        loads(text)


def test_strict_parser_refuses_bad_utf8_and_bom():
    with pytest.raises(CanonicalJSONError, match=r"^JSON text is not valid UTF-8 \(invalid start byte at byte 6\)$"):
        loads(b'{"a":"\xff"}')
    with pytest.raises(CanonicalJSONError, match="^JSON text must not start with a byte-order mark$"):
        loads(b'\xef\xbb\xbf{"a":1}')
    with pytest.raises(CanonicalJSONError, match="^JSON text must not start with a byte-order mark$"):
        loads('\ufeff{"a":1}')
    assert loads('{"a":"\ufeff"}') == {"a": "\ufeff"}  # only a leading one is a byte-order mark


def test_canonical_refuses_floats_and_big_ints():
    with pytest.raises(CanonicalJSONError, match=r"^\$\.area: floating-point numbers are not allowed here$"):
        canonical_json({"area": 89.5})
    with pytest.raises(CanonicalJSONError, match=r"^\$\.n: integer 9007199254740992 is outside the I-JSON safe range$"):
        canonical_json({"n": MAX_SAFE_INTEGER + 1})
    assert canonical_json({"n": MAX_SAFE_INTEGER}) == b'{"n":9007199254740991}'


def test_parse_canonical_requires_canonical_bytes():
    assert parse_canonical(b'{"a":1,"b":[true]}') == {"a": 1, "b": [True]}
    for text in (b'{"b":1,"a":2}', b'{"a": 1}', b'{"a":"\\u0041"}', b'{"a":-0}'):
        with pytest.raises(CanonicalJSONError, match="^JSON text is not in RFC 8785 canonical form$"):
            parse_canonical(text)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-MAX_SAFE_INTEGER, MAX_SAFE_INTEGER) | st.text(st.characters(blacklist_categories=("Cs",))),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(st.characters(blacklist_categories=("Cs",)), max_size=6), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_fast_path_equals_rfc8785(value):
    """The stdlib-based fast path produces exactly rfc8785's bytes, and they round-trip."""
    assert canonical_json_of_checked(value) == rfc8785.dumps(value)
    assert parse_canonical(rfc8785.dumps(value)) == value


# --- values inside arrays, and both ends of the I-JSON safe range --------------------------


@pytest.mark.parametrize(
    ("value", "where"),
    [
        ([1, 2.5], r"\$\[1\]"),
        ((0, 0.0), r"\$\[1\]"),
        ({"roll": [{"area": 89.5}]}, r"\$\.roll\[0\]\.area"),
        ([[1], [2, [3, 1e3]]], r"\$\[1\]\[1\]\[1\]"),
    ],
)
def test_a_float_inside_an_array_is_refused_and_located(value, where):
    with pytest.raises(CanonicalJSONError, match=rf"^{where}: floating-point numbers are not allowed here$"):
        canonical_json(value)


@pytest.mark.parametrize("n", [MAX_SAFE_INTEGER + 1, -MAX_SAFE_INTEGER - 1, 2**64, -(2**64)])
def test_an_unsafe_integer_inside_an_array_is_refused_and_located(n):
    with pytest.raises(CanonicalJSONError, match=rf"^\$\.a\[2\]: integer {n} is outside the I-JSON safe range$"):
        canonical_json({"a": [0, 1, n]})


def test_floats_inside_arrays_pass_when_the_caller_opts_in():
    assert canonical_json([1, 2.5, [0.5]], allow_floats=True) == b"[1,2.5,[0.5]]"
    assert canonical_json({"a": [{"b": 1.25}]}, allow_floats=True) == b'{"a":[{"b":1.25}]}'
    with pytest.raises(CanonicalJSONError, match=r"^\$\[0\]: NaN and infinities are not JSON$"):
        canonical_json([float("nan")], allow_floats=True)
    with pytest.raises(CanonicalJSONError, match=r"^\$\.a\[0\]: NaN and infinities are not JSON$"):
        canonical_json({"a": [float("-inf")]}, allow_floats=True)


def test_the_negative_end_of_the_safe_range():
    """−(2**53 − 1) is the smallest integer I-JSON carries exactly; one less is refused."""
    assert MAX_SAFE_INTEGER == 9007199254740991
    assert canonical_json(-9007199254740991) == b"-9007199254740991"
    assert canonical_json([-9007199254740991]) == b"[-9007199254740991]"
    assert loads("-9007199254740991") == -9007199254740991
    assert loads("[-9007199254740991]") == [-9007199254740991]
    with pytest.raises(CanonicalJSONError, match=r"^\$: integer -9007199254740992 is outside the I-JSON safe range$"):
        canonical_json(-9007199254740992)
    with pytest.raises(CanonicalJSONError, match="^integer -9007199254740992 is outside the I-JSON safe range$"):
        loads("[-9007199254740992]")
    with pytest.raises(CanonicalJSONError, match="^integer 9007199254740992 is outside the I-JSON safe range$"):
        loads("9007199254740992")
    assert loads("9007199254740991") == 9007199254740991


@settings(max_examples=200, deadline=None)
@given(st.integers(-(2**70), 2**70) | st.integers(-(2**53) - 3, -(2**53) + 3) | st.integers(2**53 - 3, 2**53 + 3))
def test_integers_are_accepted_exactly_inside_the_safe_range(n):
    safe = -(2**53 - 1) <= n <= 2**53 - 1
    text = str(n).encode("ascii")
    if safe:
        assert canonical_json([n]) == b"[" + text + b"]"
        assert loads(text) == n
    else:
        with pytest.raises(CanonicalJSONError, match="outside the I-JSON safe range"):
            canonical_json([n])
        with pytest.raises(CanonicalJSONError, match="outside the I-JSON safe range"):
            loads(text)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({1: "a"}, r"^\$: object member names must be strings$"),
        ({"a": {"b": b"x"}}, r"^\$\.a\.b: bytes is not a JSON value$"),
        (["\ud800"], r"^\$\[0\]: string is not valid Unicode \(lone surrogate\)$"),
        ({"\udc00": 1}, r"^\$: string is not valid Unicode \(lone surrogate\)$"),
    ],
)
def test_other_unrepresentable_values_are_refused_and_located(value, message):
    with pytest.raises(CanonicalJSONError, match=message):
        canonical_json(value)


def test_a_lone_surrogate_in_a_nested_member_name_is_located():
    with pytest.raises(CanonicalJSONError, match=r"^\$\.a: string is not valid Unicode \(lone surrogate\)$"):
        canonical_json({"a": {"\udc00": 1}})


def test_the_duplicate_named_is_the_repeated_member_not_the_first():
    with pytest.raises(CanonicalJSONError, match="^duplicate member name 'b'$"):
        loads('{"a":1,"b":2,"c":3,"b":4}')
    assert loads('{"a":1,"b":{"a":2}}') == {"a": 1, "b": {"a": 2}}  # the same name in another object is fine


@pytest.mark.parametrize("data", [123, None, 1.5, ["{}"]])
def test_only_text_or_bytes_can_be_parsed(data):
    with pytest.raises(CanonicalJSONError, match=f"^cannot parse {type(data).__name__} as JSON$"):
        loads(data)


def test_parsing_accepts_bytearray_and_memoryview():
    assert loads(bytearray(b'{"a":[1]}')) == {"a": [1]} == loads(memoryview(b'{"a":[1]}'))


def test_surrogate_escapes_with_floats_allowed():
    """A \\uD8xx escape makes the parser re-check the value: with the caller's float choice."""
    assert loads('[1.5,"\\ud83d\\ude00"]', allow_floats=True) == [1.5, "\U0001f600"]
    with pytest.raises(CanonicalJSONError, match=r"^\$\[1\]: string is not valid Unicode \(lone surrogate\)$"):
        loads('[1.5,"\\ud800"]', allow_floats=True)
    with pytest.raises(CanonicalJSONError, match="^floating-point number 1.5 is not allowed here$"):
        loads('[1.5,"\\ud83d\\ude00"]')


def test_nan_is_refused_even_when_floats_are_allowed():
    with pytest.raises(CanonicalJSONError, match=r"^\$\.x: NaN and infinities are not JSON$"):
        canonical_json({"x": float("nan")}, allow_floats=True)
    with pytest.raises(CanonicalJSONError, match=r"^\$: NaN and infinities are not JSON$"):
        canonical_json(float("inf"), allow_floats=True)
    with pytest.raises(CanonicalJSONError, match="^NaN is not JSON$"):
        loads("NaN", allow_floats=True)


@given(st.fixed_dictionaries({"ballot": st.text(), "kind": st.sampled_from(["online", "paper"]), "kid": st.text(), "sig": st.text()}))
@settings(max_examples=400)
def test_a_log_entrys_bytes_made_directly_are_its_rfc8785_form(entry):
    from crypto.ballot import entry_leaf_data

    try:
        expected = rfc8785.dumps(entry)
    except rfc8785.CanonicalizationError:  # a lone surrogate is not Unicode text
        with pytest.raises(CanonicalJSONError):
            entry_leaf_data(entry)
    else:
        assert entry_leaf_data(entry) == expected
