"""Hex and base64url: one spelling per value, and errors that say what was wrong with which field."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto.encoding import b64url_decode, b64url_encode, hex_decode, hex_encode
from crypto.errors import EncodingError


@pytest.mark.parametrize(
    ("data", "text"),
    [
        (b"", ""),
        (b"\x00", "AA"),
        (b"\x00\x00", "AAA"),
        (b"\x00\x00\x00", "AAAA"),
        (b"\x00\x00\x17", "AAAX"),  # ends in X: only padding is stripped
        (b"\xfb\xff", "-_8"),  # the URL-safe alphabet, not + and /
        (b"hello w", "aGVsbG8gdw"),  # 10 characters: two padding characters are implied
    ],
)
def test_base64url_examples(data, text):
    assert b64url_encode(data) == text
    assert b64url_decode(text) == data


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=80))
def test_base64url_round_trips_without_padding(data):
    text = b64url_encode(data)
    assert "=" not in text
    assert len(text) == (len(data) * 8 + 5) // 6
    assert b64url_decode(text) == data
    assert b64url_decode(text, len(data)) == data


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("AA==", "value is not unpadded base64url"),  # padding
        ("A+", "value is not unpadded base64url"),  # another alphabet
        ("AA+A", "value is not unpadded base64url"),
        ("AA/A", "value is not unpadded base64url"),
        ("AAAAA", "value is not unpadded base64url"),  # a length no encoding has
        ("AB", "value is not in canonical base64url form"),  # non-zero bits after the last byte
        ("AAB", "value is not in canonical base64url form"),
        (None, "value is not unpadded base64url"),
        (b"AAAA", "value is not unpadded base64url"),
    ],
)
def test_base64url_refuses_every_other_spelling(text, message):
    with pytest.raises(EncodingError, match=f"^{message}$"):
        b64url_decode(text)


def test_base64url_errors_name_the_field_and_the_length():
    with pytest.raises(EncodingError, match="^JWK x is not unpadded base64url$"):
        b64url_decode("A+", 32, "JWK x")
    with pytest.raises(EncodingError, match="^JWK x is not in canonical base64url form$"):
        b64url_decode("AB", 1, "JWK x")
    with pytest.raises(EncodingError, match="^JWK x must be 32 bytes, not 3$"):
        b64url_decode("AAAA", 32, "JWK x")
    with pytest.raises(EncodingError, match="^value must be 2 bytes, not 3$"):
        b64url_decode("AAAA", 2)


def test_hex_defaults_to_a_32_byte_hash():
    digest = bytes(range(32))
    assert hex_encode(digest) == digest.hex()
    assert hex_decode(digest.hex()) == digest
    with pytest.raises(EncodingError, match=r"^hash must be 32 bytes \(64 hex digits\), not 1$"):
        hex_decode("00")
    assert hex_decode("00ff", None) == b"\x00\xff"
    assert hex_decode("", None) == b""


@pytest.mark.parametrize("text", ["0", "0A", "zz", " 00", None, b"00", "0x00"])
def test_hex_is_lowercase_and_whole_bytes_only(text):
    with pytest.raises(EncodingError, match="^hash is not lowercase hexadecimal$"):
        hex_decode(text, None)


def test_hex_errors_name_the_field():
    with pytest.raises(EncodingError, match="^root is not lowercase hexadecimal$"):
        hex_decode("AB", what="root")
    with pytest.raises(EncodingError, match=r"^root must be 2 bytes \(4 hex digits\), not 3$"):
        hex_decode("abcdef", 2, "root")
