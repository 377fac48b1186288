"""The tally's JSON is strict: a key repeated in any object is an error, also where the parser
first reads the document without its per-object hook and counts colons to rule repeats out
(tally.cli.parse_json).  Hypothesis writes texts with repeats anywhere, colons inside keys and
strings, and the shapes the count treats apart (members, ballots and their choices); every
verdict must be the one the hook alone gives."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tally.cli import _DocumentError, parse_json

KEYS = st.one_of(st.sampled_from(["members", "ballots", "choices", "member", "id", "r1", "a:b", ":", "x"]), st.text(max_size=4))
SCALARS = st.one_of(st.integers(-5, 5), st.booleans(), st.none(), st.text(alphabet='ab:"\\ 业', max_size=4))


def _objects(children):
    # An object as its list of members, so that a key may come twice.
    return st.lists(st.tuples(KEYS, children), max_size=4).map(lambda pairs: ("object", pairs))


VALUES = st.recursive(SCALARS, lambda children: st.one_of(st.lists(children, max_size=4), _objects(children)), max_leaves=25)
BALLOT = st.lists(st.tuples(st.sampled_from(["member", "choices", "choices", "x"]), VALUES), max_size=3).map(lambda p: ("object", p))
DOCUMENT = st.lists(
    st.one_of(
        st.tuples(st.just("members"), st.lists(_objects(SCALARS), max_size=4)),
        st.tuples(st.just("ballots"), st.lists(BALLOT, max_size=4)),
        st.tuples(KEYS, VALUES),
    ),
    max_size=5,
).map(lambda pairs: ("object", pairs))


def _text(value, colon: str) -> str:
    if isinstance(value, tuple) and value and value[0] == "object":
        return "{" + ", ".join(json.dumps(k, ensure_ascii=False) + colon + _text(v, colon) for k, v in value[1]) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_text(v, colon) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def _reference(text: str):
    """The verdict of the per-object hook alone: the value, or that a key is repeated."""

    def hook(pairs):
        keys = [k for k, _ in pairs]
        if len(set(keys)) != len(keys):
            raise _DocumentError("repeated")
        return dict(pairs)

    try:
        return json.loads(text, object_pairs_hook=hook, parse_float=Decimal)
    except _DocumentError:
        return _DocumentError


@settings(max_examples=400, deadline=None)
@given(DOCUMENT, st.sampled_from([": ", ":", " : "]))
def test_a_repeated_key_anywhere_is_refused_and_nothing_else_is(document, colon):
    text = _text(document, colon)
    expected = _reference(text)
    if expected is _DocumentError:
        with pytest.raises(_DocumentError):
            parse_json(text)
    else:
        assert parse_json(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        '{"members": [], "items": [], "ballots": [{"member": "m1", "choices": {"r1": "agree", "r1": "disagree"}}]}',
        '{"members": [{"id": "m1", "area": "1.00", "id": "m2"}], "items": [], "ballots": []}',
        # A colon inside a string makes the count inconclusive: the hook decides.
        '{"members": [], "items": [{"id": "r1", "title": "a:b", "category": 2, "category": 3}], "ballots": []}',
        # A repeat inside a value the count does not visit (a mark's list).
        '{"members": [], "items": [], "ballots": [{"member": "m1", "choices": {"e1": [{"a": 1, "a": 2}]}}]}',
    ],
)
def test_a_repeated_key_in_a_ballot_member_or_item_is_named(text):
    with pytest.raises(_DocumentError, match="appears twice"):
        parse_json(text)
