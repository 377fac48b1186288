"""The signed publication of open accounts (crypto/disclosure.py, docs/disclosure-format.md):
exact integer fen, totals that are the sums of their lines, a past period, the server's signature;
and the offline command that checks an exported file."""

from __future__ import annotations

import copy
import json

import pytest

from crypto import disclosure as fmt
from crypto.errors import CryptoError, FormatError
from crypto.keys import generate_ed25519, jwk_thumbprint

PUBLISHED = 1_790_000_000_000  # 2026-09-21


def payload(**changes) -> dict:
    base = {
        "estate": {"id": "7", "name": "绿苑小区"},
        "kind": "statement",
        "title": "2026年第二季度收支公示",
        "version": 1,
        "previous": None,
        "period": {"from": "2026-04-01", "until": "2026-06-30"},
        "publisher": {"role": "organiser", "name": "绿苑小区业主委员会"},
        "published": PUBLISHED,
        "text": None,
        "lines": [],
        "accounts": {
            "income": [{"name": "停车费", "fen": 3600000}, {"name": "广告", "fen": 50}],
            "expense": [{"name": "维修", "fen": 4000000, "note": "消防泵"}],
            "totals": {"income": 3600050, "expense": 4000000, "net": -399950},
        },
    }
    base.update(changes)
    return base


@pytest.fixture(scope="module")
def key():
    return generate_ed25519()


def test_a_signed_statement_verifies_and_its_net_may_be_negative(key):
    document = fmt.sign_disclosure(key, payload())
    summary = fmt.verify_disclosure(document, key.jwk)
    assert summary["totals"] == {"income": 3600050, "expense": 4000000, "net": -399950}
    assert summary["digest"] == fmt.digest(document)
    assert fmt.yuan(-399950) == "-3,999.50"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["accounts"]["income"][0].update(fen=3600000.0), "integer number of fen"),
        (lambda d: d["accounts"]["income"][0].update(fen=True), "integer number of fen"),
        (lambda d: d["accounts"]["expense"][0].update(fen=-1), "between 0 and"),
        (lambda d: d["accounts"]["totals"].update(income=3600051), "its lines sum to 3600050"),
        (lambda d: d["accounts"]["totals"].update(net=0), "income less expense"),
        (lambda d: d.update(period={"from": "2026-07-01", "until": "2026-06-30"}), "before it begins"),
        (lambda d: d.update(period={"from": "2026-07-01", "until": "2026-12-31"}), "a statement is of a past period"),
        (lambda d: d.update(kind="bonus"), "kind must be one of"),
        (lambda d: d.update(version=2), "a later version names the digest"),
        (lambda d: d.update(lines=[{"name": "x", "fen": 1}]), "keeps its lines in accounts"),
        (lambda d: d["publisher"].update(role="developer"), "publisher must be"),
    ],
    ids=["float", "bool", "negative", "totals", "net", "backwards", "future", "kind", "previous", "lines", "publisher"],
)
def test_a_malformed_publication_is_refused_before_signing(key, change, message):
    document = payload()
    change(document)
    with pytest.raises(FormatError, match=message):
        fmt.sign_disclosure(key, document)


def test_a_changed_amount_or_another_key_fails_verification(key):
    document = fmt.sign_disclosure(key, payload())
    changed = copy.deepcopy(document)
    changed["accounts"]["income"][1]["fen"] = 60
    changed["accounts"]["totals"] = {"income": 3600060, "expense": 4000000, "net": -399940}
    with pytest.raises(CryptoError):
        fmt.verify_disclosure(changed)
    with pytest.raises(FormatError, match="another server key"):
        fmt.verify_disclosure(document, generate_ed25519().jwk)


def test_fees_carry_amounts_and_complaint_channels_do_not(key):
    fees = payload(kind="fees", period=None, accounts=None, lines=[{"name": "物业服务费", "fen": 280, "note": "元/平方米·月"}])
    assert fmt.verify_disclosure(fmt.sign_disclosure(key, fees))["kind"] == "fees"
    with pytest.raises(FormatError, match="has no amount"):
        fmt.sign_disclosure(key, {**fees, "lines": [{"name": "物业服务费"}]})
    channels = {**fees, "kind": "complaints", "lines": [{"name": "物业服务中心", "note": "0571-8888 6666"}]}
    assert fmt.verify_disclosure(fmt.sign_disclosure(key, channels))["kind"] == "complaints"
    with pytest.raises(FormatError, match="has an amount"):
        fmt.sign_disclosure(key, {**channels, "lines": [{"name": "热线", "fen": 1}]})


def test_the_offline_command_checks_an_exported_file_and_its_pinned_key(key, tmp_path, capsys):
    document = fmt.sign_disclosure(key, payload())
    path = tmp_path / "statement.json"
    path.write_text(json.dumps(document, ensure_ascii=False))
    assert fmt.main([str(path), "--server-key", jwk_thumbprint(key.jwk)]) == 0
    assert "every total is the sum of its lines" in capsys.readouterr().out
    assert fmt.main([str(path), "--server-key", jwk_thumbprint(generate_ed25519().jwk)]) == 1
    document["accounts"]["totals"]["net"] = 1
    path.write_text(json.dumps(document, ensure_ascii=False))
    assert fmt.main([str(path)]) == 1
    assert "FAILED" in capsys.readouterr().err
