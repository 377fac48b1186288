"""Signed inspections, rectification notices and follow-ups (crypto/inspection.py): the documents'
shape, the inspector's signature, and the exact weighted score (Hypothesis)."""

from __future__ import annotations

import copy
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crypto import inspection as fmt
from crypto.canonical import canonical_json
from crypto.encoding import b64url_encode
from crypto.errors import CryptoError, FormatError
from crypto.keys import generate_ed25519, generate_p256

SIGNER = generate_ed25519()


def document(**changes) -> dict:
    base = {
        "type": fmt.INSPECTION_TYPE,
        "v": 1,
        "estate": {"id": 1, "name": "绿苑小区"},
        "firm": {"name": "绿苑物业服务有限公司", "uscc": "91330100MA2H3K7Q42"},
        "form": {"code": "district-inspection", "version": 1, "digest": "a" * 64},
        "date": "2026-09-20",
        "kid": SIGNER.kid,
        "nonce": b64url_encode(b"\x01" * 16),
        "items": [
            {"id": "stairwells", "score": 6, "max": 10, "weight": 6000, "note": "3号楼堆物"},
            {"id": "fire-lanes", "score": 5, "max": 5, "weight": 4000, "note": None},
        ],
        "notes": None,
        "photos": ["b" * 64],
    }
    base.update(changes)
    return base


def signed(doc: dict, signer=SIGNER) -> dict:
    return {"document": doc, "jwk": signer.jwk, "sig": signer.sign_b64(canonical_json(doc))}


def test_a_signed_inspection_verifies_and_its_digest_names_the_signed_bytes():
    record = signed(document())
    assert fmt.verify_signed(record) == fmt.document_digest(record["document"])
    assert fmt.inspection_score(record["document"]) == Fraction(6000 * 6, 10) / 100 + 40  # 36 + 40


def test_a_p256_browser_key_signs_as_well():
    p256 = generate_p256()
    assert fmt.verify_signed(signed(document(kid=p256.kid), p256))


@pytest.mark.parametrize(
    ("tamper", "reason"),
    [
        (lambda d: d["items"][0].update(score=11), "whole number from 0 to 10"),
        (lambda d: d["items"][0].update(weight=5000), "sum to 10000"),
        (lambda d: d.update(date="2026-9-20"), "YYYY-MM-DD"),
        (lambda d: d.update(photos=["b" * 64, "b" * 64]), "named once"),
        (lambda d: d.update(firm={"name": "x", "uscc": "123"}), "unified social credit code"),
        (lambda d: d.update(extra=1), "exactly the members"),
        (lambda d: d["items"].append(copy.deepcopy(d["items"][0])), "scored once"),
    ],
)
def test_a_malformed_inspection_is_refused_with_the_reason(tamper, reason):
    doc = document()
    tamper(doc)
    with pytest.raises(FormatError, match=reason):
        fmt.validate_inspection(doc)


def test_a_changed_score_or_another_key_breaks_the_signature():
    record = signed(document())
    record["document"]["items"][0]["score"] = 10
    with pytest.raises(CryptoError):
        fmt.verify_signed(record)
    other = generate_ed25519()
    with pytest.raises(FormatError, match="names another key"):
        fmt.verify_signed({**signed(document()), "jwk": other.jwk})


def test_a_notice_needs_a_deadline_after_its_day_and_numbered_items():
    notice = {
        "type": fmt.NOTICE_TYPE,
        "v": 1,
        "estate": {"id": 1, "name": "绿苑小区"},
        "firm": {"name": "绿苑物业服务有限公司", "uscc": "91330100MA2H3K7Q42"},
        "inspection": "c" * 64,
        "date": "2026-09-20",
        "deadline": "2026-09-27",
        "kid": SIGNER.kid,
        "nonce": b64url_encode(b"\x02" * 16),
        "items": [{"id": "1", "text": "清理楼道堆物", "item": "stairwells"}],
        "notes": None,
    }
    fmt.validate_notice(notice)
    with pytest.raises(FormatError, match="deadline is after the day"):
        fmt.validate_notice({**notice, "deadline": "2026-09-20"})
    with pytest.raises(FormatError, match="numbered 1, 2, 3"):
        fmt.validate_notice({**notice, "items": [{"id": "2", "text": "x", "item": None}]})
    with pytest.raises(FormatError, match="a firm"):
        fmt.validate_notice({**notice, "firm": None})


@given(
    st.lists(
        st.tuples(st.integers(1, 100), st.integers(0, 100), st.integers(0, 3000)).map(lambda t: (t[0], min(t[1], t[0]), t[2])),
        min_size=1,
        max_size=12,
    )
)
def test_the_score_is_the_exact_weighted_mean_on_0_to_100(rows):
    weights = [w for _m, _s, w in rows]
    if sum(weights) == 0:
        weights[0] = 1
    # Scale the weights to sum to exactly 10000, the remainder on the first item.
    total = sum(weights)
    scaled = [w * 10000 // total for w in weights]
    scaled[0] += 10000 - sum(scaled)
    items = [
        {"id": f"i{n}", "score": s, "max": m, "weight": w, "note": None} for n, ((m, s, _w), w) in enumerate(zip(rows, scaled, strict=True))
    ]
    score = fmt.item_score(items)
    assert score == sum(Fraction(w * s, m) for (m, s, _), w in zip(rows, scaled, strict=True)) / 100
    assert 0 <= score <= 100
    full = [{**item, "score": item["max"]} for item in items]
    assert fmt.item_score(full) == 100
