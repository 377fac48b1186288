"""crypto/roll.py on its own: rules pinned by the mutants that survived its first mutation run
(docs/mutation-testing.md)."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto.canonical import canonical_json
from crypto.errors import SignatureInvalid, ThresholdNotMet
from crypto.keys import ed25519_from_seed, p256_from_seed
from crypto.merkle import MerkleLog, leaf_hash
from crypto.roll import (
    certification_payload,
    certified_tally,
    pseudonymous_member_id,
    roll_entry,
    roll_payload,
    roll_root,
    sign_payload,
    verify_threshold,
)

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def _pseudonym(secret: bytes, *parts: str) -> str:
    """The documented derivation, written out: HMAC-SHA-256 over the parts joined by NUL, the first
    80 bits in 16 Crockford characters, most significant first."""
    mac = hmac.new(secret, "\x00".join(parts).encode("utf-8"), hashlib.sha256).digest()
    bits = "".join(f"{b:08b}" for b in mac[:10])
    return "M-" + "".join(CROCKFORD[int(bits[5 * i : 5 * i + 5], 2)] for i in range(16))


def test_the_pseudonym_is_the_documented_derivation():
    assert pseudonymous_member_id(b"secret", "7", "roll-4", "owner:12") == "M-NGQEEKPJ5NR8H33H"
    for secret, parts in [(b"secret", ("7", "roll-4", "owner:12")), (b"\xff" * 32, ("estate", "r", "m")), (b"k", ("小区", "名册", "业主"))]:
        assert pseudonymous_member_id(secret, *parts) == _pseudonym(secret, *parts)
    # the parts are separated, so moving text from one part to the next changes the pseudonym
    assert pseudonymous_member_id(b"k", "1", "23", "4") != pseudonymous_member_id(b"k", "12", "3", "4")


def test_the_roll_root_is_the_merkle_root_over_the_canonical_entries():
    keys = [ed25519_from_seed(bytes([n]) * 32).jwk for n in range(3)]
    entries = [roll_entry("M-A", 8950, 1, [keys[0]]), roll_entry("M-B", "10.00", 2, [], [keys[1]]), roll_entry("M-C", 0, 0)]
    log = MerkleLog()
    for e in entries:
        log.append_leaf_hash(leaf_hash(canonical_json(e)))
    assert roll_root(entries) == log.root()
    assert roll_root(entries[:2]) != roll_root(entries)


def test_verify_threshold_names_every_bad_signature_and_the_shortfall():
    a, b = ed25519_from_seed(b"\x01" * 32), ed25519_from_seed(b"\x02" * 32)
    payload = roll_payload("e", "r", "00" * 32, 0, "0.00", 0, 1, 2)
    trusted = {a.kid: a.jwk, b.kid: b.jwk}
    good = [sign_payload(a, payload), sign_payload(b, payload)]
    assert verify_threshold(payload, good, trusted, 2) == [a.kid, b.kid]
    with pytest.raises(ThresholdNotMet, match=r"^1 valid signature\(s\), 2 required$"):
        verify_threshold(payload, good[:1], trusted, 2)
    bad = [{"kid": a.kid, "sig": good[1]["sig"]}, {"kid": "nobody", "sig": "AA"}]
    with pytest.raises(SignatureInvalid) as caught:
        verify_threshold(payload, bad, trusted, 1)
    message = str(caught.value)
    assert message.startswith(f"signature #1 by {a.kid} does not verify")
    assert "; signature #2 is by key 'nobody', which is not a listed supervisor key" in message


def test_the_signed_payloads_are_exactly_the_documented_objects():
    """docs/bundle-format.md §7 and §10, member for member: a renamed member would still verify
    against a signature made by the same code, so the names are pinned here."""
    assert certification_payload("a/1", "n" * 64, "r" * 64, 5, bytes(32), "t" * 64) == {
        "type": "ownersvote-certification",
        "v": 2,
        "assembly": "a/1",
        "notice": "n" * 64,
        "roll_root": "r" * 64,
        "log_size": 5,
        "log_root": "00" * 32,
        "tally_sha256": "t" * 64,
    }
    assert roll_payload("7", "roll-4", bytes(32), 3, "10.50", 4, 1739408400000, 2) == {
        "type": "ownersvote-roll",
        "v": 2,
        "estate": "7",
        "roll": "roll-4",
        "root": "00" * 32,
        "size": 3,
        "area": "10.50",
        "heads": 4,
        "frozen_at": 1739408400000,
        "required_signatures": 2,
    }


def test_the_certified_part_of_a_tally_leaves_out_only_the_reasons():
    tally = {"totals": {"area": "1.00"}, "items": {"q1": {"passed": True, "reason": {"zh": "…", "en": "…"}}, "q2": "odd"}}
    assert certified_tally(tally) == {"totals": {"area": "1.00"}, "items": {"q1": {"passed": True}, "q2": "odd"}}
    assert tally["items"]["q1"]["reason"]  # the input is left alone
    # a tally without an items object is certified as it stands (and fails the recount elsewhere)
    assert certified_tally({"totals": 1, "items": []}) == {"totals": 1, "items": []}


def test_check_signatures_examines_every_signature_and_numbers_each_problem():
    from crypto.roll import check_signatures

    a, b, c, d = (ed25519_from_seed(bytes([n]) * 32) for n in (1, 2, 3, 4))
    payload = roll_payload("e", "r", "00" * 32, 0, "0.00", 0, 1, 2)
    trusted = {s.kid: s.jwk for s in (a, b, c, d)}
    sa, sb, sc = (sign_payload(s, payload) for s in (a, b, c))
    assert check_signatures(payload, "nope", trusted) == ([], ["signatures must be a list"])
    signatures = [
        {**sa, "extra": 1},  # 1: a member no signature format has
        "text",  # 2: not an object
        {"kid": ["a"], "sig": sa["sig"]},  # 3: a key id that is not a string
        {"kid": a.kid, "sig": sb["sig"]},  # 4: a's slot with b's signature: does not verify
        sa,  # 5: a again, now valid: a key signs once, whatever happened to its first try
        sb,  # 6: valid
        {"kid": d.kid, "sig": 123},  # 7: a signature that is not text
        sb,  # 8: b twice
        sc,  # 9: valid, after all of the above
    ]
    valid, problems = check_signatures(payload, signatures, trusted)
    assert valid == [b.kid, c.kid]
    assert problems == [
        "signature #1 is not {kid, sig}",
        "signature #2 is not {kid, sig}",
        "signature #3 is by key ['a'], which is not a listed supervisor key",
        f"signature #4 by {a.kid} does not verify (signature does not verify)",
        f"signature #5: key {a.kid} signs more than once (each supervisor signs once)",
        f"signature #7 by {d.kid} does not verify (an Ed25519 signature is 64 bytes, not 0)",
        f"signature #8: key {b.kid} signs more than once (each supervisor signs once)",
    ]


_KEY = ed25519_from_seed(b"\x05" * 32)
_KEY2 = ed25519_from_seed(b"\x06" * 32)


def _entry(**changes):
    return {"member": "M-A", "area": "89.50", "heads": 1, "keys": [], **changes}


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("M-A", "a roll entry is {member, area, heads, keys}"),
        ({**_entry(), "unit": "1-101"}, "a roll entry is {member, area, heads, keys}"),
        (_entry(member=""), "roll entry member must be a non-empty string"),
        (_entry(member=7), "roll entry member must be a non-empty string"),
        (_entry(area="89.5"), "area '89.5' must be a decimal string with exactly two decimals, like \"89.50\""),
        (_entry(heads=True), "roll entry M-A: heads must be a non-negative integer"),
        (_entry(heads=-1), "roll entry M-A: heads must be a non-negative integer"),
        (_entry(heads="1"), "roll entry M-A: heads must be a non-negative integer"),
        (_entry(keys={}), "roll entry M-A: keys must be a list"),
        (_entry(keys=[{"use": "vote", "jwk": _KEY.jwk, "x": 1}]), 'roll entry M-A: a key is {use, jwk} with use "vote" or "proxy"'),
        (_entry(keys=[{"use": "admin", "jwk": _KEY.jwk}]), 'roll entry M-A: a key is {use, jwk} with use "vote" or "proxy"'),
        (
            _entry(keys=[{"use": "vote", "jwk": {"kty": "RSA"}}]),
            "roll entry M-A: unsupported key: kty='RSA' crv=None (Ed25519 or P-256 only)",
        ),
        (
            _entry(keys=[{"use": "vote", "jwk": {**_KEY.jwk, "use": "sig"}}]),
            "roll entry M-A: JWKs on the roll carry only their required members",
        ),
        (
            _entry(keys=[{"use": "vote", "jwk": _KEY.jwk}, {"use": "proxy", "jwk": _KEY.jwk}]),
            "roll entry M-A: keys must be sorted by key id, without repeats",
        ),
        (
            _entry(keys=[{"use": "vote", "jwk": k.jwk} for k in sorted((_KEY, _KEY2), key=lambda k: k.kid, reverse=True)]),
            "roll entry M-A: keys must be sorted by key id, without repeats",
        ),
    ],
)
def test_a_malformed_roll_entry_is_refused_with_its_reason(entry, message):
    from crypto.errors import FormatError
    from crypto.roll import validate_roll_entry

    with pytest.raises(FormatError) as caught:
        validate_roll_entry(entry)
    assert str(caught.value) == message


def test_roll_order_names_the_member_and_what_is_wrong():
    from crypto.errors import FormatError
    from crypto.roll import check_roll_order

    check_roll_order([{"member": ""}, {"member": "a"}])  # an empty id is validate_roll_entry's to refuse
    check_roll_order([{"member": "a"}, {"member": "b"}])
    for entries, message in [
        ([{"member": "a"}, {"member": "a"}], "roll member a appears twice (entries are sorted by member id)"),
        ([{"member": "b"}, {"member": "a"}], "roll member a is out of order (entries are sorted by member id)"),
        ([{"member": "a"}, "b"], "roll entry without a member id"),
        ([{"member": "a"}, {"member": 2}], "roll entry without a member id"),
    ]:
        with pytest.raises(FormatError) as caught:
            check_roll_order(entries)
        assert str(caught.value) == message


@pytest.mark.parametrize("value", [-1, True, 1.0, "100"])
def test_format_area_takes_only_non_negative_integers(value):
    from crypto.errors import FormatError
    from crypto.roll import format_area

    with pytest.raises(FormatError, match="^area must be a non-negative integer number of hundredths of m²$"):
        format_area(value)
    assert format_area(0) == "0.00"
    assert format_area(8950) == "89.50"


_SOME_KEYS = [ed25519_from_seed(bytes([n]) * 32).jwk for n in (1, 2)] + [p256_from_seed(bytes([n]) * 32).jwk for n in (1, 2, 3)]


@given(
    member=st.text(min_size=1),
    area=st.integers(0, 10**9),
    heads=st.integers(0, 2**53 - 1),
    keys=st.lists(st.tuples(st.sampled_from(range(len(_SOME_KEYS))), st.sampled_from(["vote", "proxy"])), unique_by=lambda k: k[0]),
)
@settings(max_examples=300)
def test_a_roll_entrys_bytes_made_directly_are_its_rfc8785_form(member, area, heads, keys):
    import rfc8785

    from crypto.canonical import CanonicalJSONError
    from crypto.keys import jwk_thumbprint
    from crypto.roll import checked_entry_bytes, format_area, validate_roll_entry

    chosen = sorted(({"use": use, "jwk": dict(_SOME_KEYS[n])} for n, use in keys), key=lambda k: jwk_thumbprint(k["jwk"]))
    entry = {"member": member, "area": format_area(area), "heads": heads, "keys": chosen}
    validate_roll_entry(entry)
    try:
        expected = rfc8785.dumps(entry)
    except rfc8785.CanonicalizationError:  # a lone surrogate in the member's id
        with pytest.raises(CanonicalJSONError):
            checked_entry_bytes(entry)
    else:
        assert checked_entry_bytes(entry) == expected
