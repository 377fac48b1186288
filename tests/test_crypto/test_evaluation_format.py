"""The evaluation format (crypto/evaluation.py): forms, answers, and the recount of a result."""

from __future__ import annotations

import copy
import json
import secrets

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from crypto import blindrsa
from crypto import evaluation as ev
from crypto.encoding import b64url_encode
from crypto.errors import CryptoError, FormatError
from crypto.keys import generate_ed25519

SCALES = {
    "satisfaction": {
        "kind": "choice",
        "choices": [
            {"id": "satisfied", "label": "满意", "points": 100},
            {"id": "basic", "label": "基本满意", "points": 60},
            {"id": "dissatisfied", "label": "不满意", "points": 0},
        ],
    },
    "score": {"kind": "score", "min": 0, "max": 10},
}
FORM = {
    "code": "district",
    "version": 1,
    "title": "物业服务满意度测评",
    "scales": SCALES,
    "sections": [
        {"id": "cleaning", "title": "保洁", "items": [{"id": "stairs", "text": "楼道清洁", "scale": "satisfaction", "weight": 6000}]},
        {"id": "security", "title": "秩序维护", "items": [{"id": "gate", "text": "门岗值守", "scale": "score", "weight": 4000}]},
    ],
}


def test_a_form_whose_weights_do_not_sum_to_10000_is_refused():
    bad = copy.deepcopy(FORM)
    bad["sections"][0]["items"][0]["weight"] = 5999
    with pytest.raises(FormatError, match="sum to 9999"):
        ev.sign_form(generate_ed25519(), bad)


def test_a_signed_form_verifies_and_any_change_breaks_it():
    server = generate_ed25519()
    form = ev.sign_form(server, copy.deepcopy(FORM))  # (the change below must not reach FORM: other modules import it)
    digest = ev.verify_form(form, server.jwk)
    form["sections"][0]["items"][0]["text"] = "楼道"
    with pytest.raises(CryptoError):
        ev.verify_form(form, server.jwk)
    assert len(digest) == 64


def _world(answers: list[dict], min_answers: int = 2, issued: int | None = None):
    server = generate_ed25519()
    form = ev.sign_form(server, FORM)
    digest = ev.form_digest(form)
    key = blindrsa.BlindKey.generate(2048)
    jwk = key.public_jwk()
    thumb = blindrsa.rsa_thumbprint(jwk)
    signed, read = [], []
    for given in answers:
        message = ev.answer_message(
            evaluation=7, form=digest, key=thumb, nonce=b64url_encode(secrets.token_bytes(32)), answers=given, comment=None
        )
        # An RSA-PSS signature under the evaluation key is what a finalized blind signature is.
        sig = key.private.sign(message, padding.PSS(mgf=padding.MGF1(hashes.SHA384()), salt_length=48), hashes.SHA384())
        signed.append({"message": b64url_encode(message), "sig": b64url_encode(sig)})
        read.append(ev.read_answer(message, form, evaluation=7, digest=digest, key=thumb))
    payload = {
        "evaluation": {"id": 7, "form": digest},
        "form": form,
        "suite": blindrsa.SUITE,
        "key": jwk,
        "issued": len(answers) if issued is None else issued,
        "min_answers": min_answers,
        "withheld": False,
        "answers": signed,
        "counts": {"answers": len(read), "items": ev.count(form, read, min_answers)},
        "server": server.jwk,
    }
    return server, payload


ANSWERS = [{"stairs": "satisfied", "gate": 8}, {"stairs": "dissatisfied", "gate": None}, {"stairs": "basic", "gate": 10}]


def test_a_published_result_recounts():
    server, payload = _world(ANSWERS)
    result = ev.sign_result(server, payload)
    summary = ev.verify_result(json.loads(json.dumps(result)))
    assert summary["answers"] == 3
    assert result["counts"]["items"]["stairs"] == {"answered": 3, "choices": {"satisfied": 1, "basic": 1, "dissatisfied": 1}, "points": 160}
    assert result["counts"]["items"]["gate"] == {"answered": 2, "points": 18}


def test_an_item_answered_fewer_times_than_the_minimum_is_suppressed():
    server, payload = _world(ANSWERS, min_answers=3)
    assert payload["counts"]["items"]["gate"] == {"answered": 2, "suppressed": True}
    ev.verify_result(ev.sign_result(server, payload))


@pytest.mark.parametrize(
    "tamper",
    [
        "duplicate",
        "counts",
        "more_than_issued",
        "other_key",
        "sig",
    ],
)
def test_a_tampered_result_fails_the_recount(tamper):
    server, payload = _world(ANSWERS)
    if tamper == "duplicate":
        payload["answers"].append(payload["answers"][0])
        payload["issued"] = 4
    elif tamper == "counts":
        payload["counts"]["items"]["stairs"]["choices"]["satisfied"] = 2
    elif tamper == "more_than_issued":
        payload["issued"] = 2
    elif tamper == "other_key":
        payload["key"] = blindrsa.BlindKey.generate(2048).public_jwk()
    result = ev.sign_result(server, payload)
    if tamper == "sig":
        result["issued"] = 99
    with pytest.raises(CryptoError):
        ev.verify_result(result)


def test_the_command_recounts_a_result_file_and_pins_the_server_key(tmp_path, capsys):
    server, payload = _world(ANSWERS)
    path = tmp_path / "result.json"
    path.write_text(json.dumps(ev.sign_result(server, payload)))
    assert ev.main([str(path), "--server-key", server.kid]) == 0
    assert "OK" in capsys.readouterr().out
    assert ev.main([str(path), "--server-key", "someone-else"]) == 1
