"""Owners' anonymous evaluation (webapp/evaluations): one blind token per member, answers taken
without a cookie and keyed by their token, every bad input refused with a reason and nothing
half-written, and a published result that `ownersvote verify-evaluation` recounts."""

from __future__ import annotations

import copy
import json
import math
import re
import secrets
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from cryptography.hazmat.primitives import serialization
from sqlalchemy import func, select

from crypto import blindrsa
from crypto import evaluation as fmt
from crypto.encoding import b64url_encode
from tests.factories import text_of
from tests.test_crypto.test_evaluation_format import FORM
from webapp.core.db import db, utcnow
from webapp.core.serverkey import signer
from webapp.evaluations import operations as ops
from webapp.evaluations.models import EvaluationAnswer, EvaluationIssue
from webapp.firms.operations import assign_estate, create_firm

USCC = "91350100M000100Y43"


def member(estate, ref: str, *, can_vote: bool = True, state: str = "approved"):
    return SimpleNamespace(id=abs(hash(ref)) % 10_000, estate_id=estate.id, state=state, can_vote=can_vote, member_ref=ref)


@pytest.fixture
def world(app, estate, db_session):
    firm = create_firm(name="海晨物业服务有限公司", uscc=USCC, actor="test")
    assign_estate(firm, estate, date(2026, 1, 1), actor="test")
    form = ops.publish_form(copy.deepcopy(FORM), signer=signer(), actor="test")
    now = utcnow()
    evaluation = ops.open_evaluation(
        estate,
        form,
        title="2026年上半年物业服务测评",
        opens=now - timedelta(hours=1),
        closes=now + timedelta(days=7),
        min_answers=2,
        actor="test",
    )
    db_session.commit()
    return SimpleNamespace(estate=estate, firm=firm, form=form, evaluation=evaluation, now=now)


class Phone:
    """An owner's phone, RFC 9474 §4.2 and §4.4 written out for the test: blind an answer's
    message with a fresh r, and unblind the server's blind signature."""

    def __init__(self, evaluation, answers: dict, comment: str | None = None, key_jwk: dict | None = None):
        self.jwk = key_jwk or json.loads(evaluation.public_jwk)
        self.message = fmt.answer_message(
            evaluation=evaluation.id,
            form=evaluation.form.digest,
            key=blindrsa.rsa_thumbprint(self.jwk),
            nonce=b64url_encode(secrets.token_bytes(32)),
            answers=answers,
            comment=comment,
        )

    def blind(self, private_key) -> bytes:
        # EMSA-PSS-ENCODE is what RSA-PSS signing puts under the private exponent: recover it from
        # a PSS signature made with the key (a test may), then blind it as the phone would.
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        numbers = private_key.public_key().public_numbers()
        self.n, e = numbers.n, numbers.e
        pss = private_key.sign(self.message, padding.PSS(mgf=padding.MGF1(hashes.SHA384()), salt_length=48), hashes.SHA384())
        encoded = pow(int.from_bytes(pss, "big"), e, self.n)
        while True:
            self.r = secrets.randbelow(self.n - 2) + 2
            if math.gcd(self.r, self.n) == 1:
                break
        return (encoded * pow(self.r, e, self.n) % self.n).to_bytes(256, "big")

    def finalize(self, blind_sig: bytes) -> bytes:
        return (int.from_bytes(blind_sig, "big") * pow(self.r, -1, self.n) % self.n).to_bytes(256, "big")


def private_key(evaluation):
    return serialization.load_pem_private_key(evaluation.private_key_pem.encode(), password=None)


def token_for(world, ref: str, answers: dict, comment: str | None = None) -> tuple[bytes, bytes]:
    phone = Phone(world.evaluation, answers, comment)
    blind_sig = ops.issue_token(world.evaluation, member(world.estate, ref), phone.blind(private_key(world.evaluation)), now=utcnow())
    db.session.commit()
    return phone.message, phone.finalize(blind_sig)


def answers_count(evaluation) -> int:
    return db.session.scalar(select(func.count()).select_from(EvaluationAnswer).where(EvaluationAnswer.evaluation_id == evaluation.id))


def test_a_blind_token_carries_an_answer_that_is_stored_without_any_member(world):
    message, sig = token_for(world, "owner:1", {"stairs": "satisfied", "gate": 9})
    token = ops.submit_answer(world.evaluation.id, message, sig, now=utcnow())
    db.session.commit()
    stored = db.session.get(EvaluationAnswer, (world.evaluation.id, token))
    assert stored is not None
    assert set(EvaluationAnswer.__table__.columns.keys()) == {"evaluation_id", "token_id", "message", "sig"}
    issue = db.session.scalars(select(EvaluationIssue)).one()
    assert issue.member_ref == "owner:1"
    assert world.evaluation.issued == 1


def test_a_second_token_request_from_the_same_member_is_refused(world):
    token_for(world, "owner:1", {"stairs": "satisfied", "gate": 9})
    phone = Phone(world.evaluation, {"stairs": "dissatisfied", "gate": 0})
    with pytest.raises(ops.EvaluationError, match="one answer per household"):
        ops.issue_token(world.evaluation, member(world.estate, "owner:1"), phone.blind(private_key(world.evaluation)), now=utcnow())
    assert world.evaluation.issued == 1


def test_the_same_blinded_message_again_gets_the_same_signature_and_no_second_token(world):
    phone = Phone(world.evaluation, {"stairs": "basic", "gate": None})
    blinded = phone.blind(private_key(world.evaluation))
    first = ops.issue_token(world.evaluation, member(world.estate, "owner:2"), blinded, now=utcnow())
    again = ops.issue_token(world.evaluation, member(world.estate, "owner:2"), blinded, now=utcnow())
    assert first == again
    assert world.evaluation.issued == 1


def test_members_without_a_vote_or_of_another_estate_get_no_token(world):
    phone = Phone(world.evaluation, {"stairs": "basic", "gate": None})
    blinded = phone.blind(private_key(world.evaluation))
    with pytest.raises(ops.EvaluationError, match="voting members"):
        ops.issue_token(world.evaluation, member(world.estate, "owner:3", can_vote=False), blinded, now=utcnow())
    stranger = SimpleNamespace(id=9, estate_id=world.estate.id + 1, state="approved", can_vote=True, member_ref="owner:3")
    with pytest.raises(ops.EvaluationError, match="no such evaluation"):
        ops.issue_token(world.evaluation, stranger, blinded, now=utcnow())
    assert world.evaluation.issued == 0


def test_a_replayed_token_is_refused_and_counted_once(world):
    message, sig = token_for(world, "owner:1", {"stairs": "satisfied", "gate": 9})
    ops.submit_answer(world.evaluation.id, message, sig, now=utcnow())
    db.session.commit()
    with pytest.raises(ops.EvaluationError, match="already used"):
        ops.submit_answer(world.evaluation.id, message, sig, now=utcnow())
    assert answers_count(world.evaluation) == 1


def test_a_token_made_with_another_key_is_refused(world):
    other = blindrsa.BlindKey.generate(2048)
    phone = Phone(world.evaluation, {"stairs": "satisfied", "gate": 9}, key_jwk=other.public_jwk())
    sig = phone.finalize(blindrsa.blind_sign(other.private, phone.blind(other.private)))
    with pytest.raises(ops.EvaluationError, match="not issued with this evaluation's key"):
        ops.submit_answer(world.evaluation.id, phone.message, sig, now=utcnow())
    assert answers_count(world.evaluation) == 0


def test_a_token_of_another_evaluation_is_refused(world):
    now = utcnow()
    second = ops.open_evaluation(
        world.estate,
        world.form,
        title="另一次测评",
        opens=now - timedelta(hours=1),
        closes=now + timedelta(days=1),
        min_answers=1,
        actor="test",
    )
    db.session.commit()
    message, sig = token_for(world, "owner:1", {"stairs": "satisfied", "gate": 9})
    with pytest.raises(ops.EvaluationError, match="not issued with this evaluation's key"):
        ops.submit_answer(second.id, message, sig, now=utcnow())
    assert answers_count(second) == 0


def test_an_answer_after_the_period_is_refused(world):
    message, sig = token_for(world, "owner:1", {"stairs": "satisfied", "gate": 9})
    with pytest.raises(ops.EvaluationError, match="not open now"):
        ops.submit_answer(world.evaluation.id, message, sig, now=world.evaluation.closes + timedelta(seconds=1))
    assert answers_count(world.evaluation) == 0


def test_an_answer_that_does_not_fit_the_form_is_refused(world):
    message, sig = token_for(world, "owner:1", {"stairs": "excellent", "gate": 9})
    with pytest.raises(ops.EvaluationError, match="does not fit the form"):
        ops.submit_answer(world.evaluation.id, message, sig, now=utcnow())
    assert answers_count(world.evaluation) == 0


def test_the_answer_is_taken_without_a_cookie_and_refused_with_a_reason(world, client):
    message, sig = token_for(world, "owner:1", {"stairs": "satisfied", "gate": 9})
    url = f"/api/v1/evaluations/{world.evaluation.id}/answers"
    body = {"message": b64url_encode(message), "sig": b64url_encode(sig)}
    first = client.post(url, json=body)
    assert first.status_code == 201, first.get_json()
    assert "Set-Cookie" not in first.headers
    assert first.get_json()["token"] == blindrsa.token_id(message)
    again = client.post(url, json=body)
    assert again.status_code == 409
    assert "already used" in again.get_json()["error_en"]


def test_a_published_result_recounts_offline_and_the_key_is_destroyed(world, tmp_path):
    for ref, answers in (("owner:1", {"stairs": "satisfied", "gate": 9}), ("owner:2", {"stairs": "basic", "gate": None})):
        message, sig = token_for(world, ref, answers)
        ops.submit_answer(world.evaluation.id, message, sig, now=utcnow())
    db.session.commit()
    with pytest.raises(ops.EvaluationError, match="after the period"):
        ops.publish_result(world.evaluation, signer=signer(), actor="test", now=utcnow())
    result = ops.publish_result(world.evaluation, signer=signer(), actor="test", now=world.evaluation.closes)
    db.session.commit()
    assert world.evaluation.private_key_pem == ""
    assert result["counts"]["items"]["stairs"]["choices"] == {"satisfied": 1, "basic": 1, "dissatisfied": 0}
    assert result["counts"]["items"]["gate"] == {"answered": 1, "suppressed": True}
    path = tmp_path / "result.json"
    path.write_text(world.evaluation.result)
    assert fmt.main([str(path), "--server-key", signer().kid]) == 0


def test_too_few_answers_withhold_them_from_the_result(world):
    message, sig = token_for(world, "owner:1", {"stairs": "satisfied", "gate": 9})
    ops.submit_answer(world.evaluation.id, message, sig, now=utcnow())
    result = ops.publish_result(world.evaluation, signer=signer(), actor="test", now=world.evaluation.closes)
    assert result["withheld"] is True
    assert result["answers"] is None
    assert fmt.verify_result(result)["answers"] == 1


def test_a_firm_with_an_invalid_credit_code_is_refused(app, db_session):
    from webapp.firms.operations import FirmError

    with pytest.raises(FirmError, match="not valid"):
        create_firm(name="某物业", uscc="91350100M000100Y44", actor="test")


def test_an_estate_without_a_firm_cannot_open_an_evaluation(app, estate, db_session):
    form = ops.publish_form(copy.deepcopy(FORM), signer=signer(), actor="test")
    now = utcnow()
    with pytest.raises(ops.EvaluationError, match="no firm"):
        ops.open_evaluation(estate, form, title="测评", opens=now, closes=now + timedelta(days=1), min_answers=1, actor="test")


def test_a_form_whose_weights_do_not_sum_to_10000_is_refused_with_the_sum(app, db_session):
    bad = copy.deepcopy(FORM)
    bad["sections"][1]["items"][0]["weight"] = 3000
    with pytest.raises(ops.EvaluationError, match="sum to 9000"):
        ops.publish_form(bad, signer=signer(), actor="test")


def test_the_pages_render_for_their_people_and_the_result_is_public(world, client, make_staff, login, staff):
    make_staff("admin", admin=True)
    login("admin")
    menu = client.get("/").get_data(as_text=True)
    assert "/admin/firms" in menu
    assert "/admin/evaluation-forms" in menu
    assert "海晨物业" in client.get("/admin/firms").get_data(as_text=True)
    assert client.get(f"/admin/firms/{world.firm.id}").status_code == 200
    assert "物业服务满意度测评" in client.get("/admin/evaluation-forms").get_data(as_text=True)
    client.post("/logout")
    login("organiser")
    slug = world.estate.slug
    assert f"/e/{slug}/evaluations" in client.get(f"/e/{slug}/").get_data(as_text=True)
    assert "2026年上半年" in client.get(f"/e/{slug}/evaluations").get_data(as_text=True)
    detail = client.get(f"/e/{slug}/evaluations/{world.evaluation.id}")
    assert detail.status_code == 200
    assert "测评表：" in text_of(detail)  # a questionnaire, not a voting form (表决方式), and no "(v1)"
    assert "(v1)" not in text_of(detail)
    assert client.get("/admin/firms").status_code in (302, 403, 404)
    for ref, answers in (("owner:1", {"stairs": "satisfied", "gate": 9}), ("owner:2", {"stairs": "basic", "gate": 7})):
        message, sig = token_for(world, ref, answers)
        ops.submit_answer(world.evaluation.id, message, sig, now=utcnow())
    ops.publish_result(world.evaluation, signer=signer(), actor="test", now=world.evaluation.closes)
    db.session.commit()
    page = client.get(f"/evaluations/{world.evaluation.id}/result").get_data(as_text=True)
    assert "楼道清洁" in page
    assert "权重 60.00%" in page  # a weight as people read one, not in basis points
    assert "2 人作答，平均 8.0 分（得分合计 16）" in page  # 9 and 7: a mean, not only a sum
    assert fmt.verify_result(client.get(f"/evaluations/{world.evaluation.id}/result.json").get_json())["answers"] == 2


def test_the_result_says_how_many_left_a_question_unanswered(world, client):
    answers = (
        ("owner:1", {"stairs": "satisfied", "gate": 9}),
        ("owner:2", {"stairs": "basic", "gate": 7}),
        ("owner:3", {"stairs": None, "gate": 8}),
    )
    for ref, given in answers:
        message, sig = token_for(world, ref, given)
        ops.submit_answer(world.evaluation.id, message, sig, now=utcnow())
    ops.publish_result(world.evaluation, signer=signer(), actor="test", now=world.evaluation.closes)
    db.session.commit()
    page = text_of(client.get(f"/evaluations/{world.evaluation.id}/result"))
    assert "未作答 1" in page  # three answers, two of them to the stairs: the counts add up
    assert "（权重 60.00%）" in page  # full-width brackets in Chinese


def published_with_codes(world) -> list[str]:
    """Two answers counted and the result published; their codes (token ids)."""
    codes = []
    for ref, answers in (("owner:1", {"stairs": "satisfied", "gate": 9}), ("owner:2", {"stairs": "basic", "gate": 7})):
        message, sig = token_for(world, ref, answers)
        codes.append(ops.submit_answer(world.evaluation.id, message, sig, now=utcnow()))
    ops.publish_result(world.evaluation, signer=signer(), actor="test", now=world.evaluation.closes)
    db.session.commit()
    return codes


def test_the_result_page_offers_a_search_for_an_owners_code_that_sends_nothing_to_the_server(world, client):
    """The result page has 查找我的答卷码: a form the page's script shows and answers from the codes
    the page lists; its field has no name, so that not even a submit without script carries the
    code to the server, which knows a signed-in owner by the cookie (the browser test searches)."""
    codes = published_with_codes(world)
    response = client.get(f"/evaluations/{world.evaluation.id}/result")
    page, html = text_of(response), response.get_data(as_text=True)
    assert "查找我的答卷码" in page
    assert "查找只在您的手机上进行，答卷码不会发送出去" in page
    field = re.search(r"<input[^>]*id=\"find-code\"[^>]*>", html).group(0)
    assert "name=" not in field
    assert re.search(r'<form id="find-form" hidden>', html)  # shown by the script that answers it
    for code in codes:  # what the search looks in
        assert f'id="code-{code}"' in html
    assert "用浏览器的“在网页中查找”功能" in page  # without script: the list and the browser's find


def test_a_withheld_result_says_its_codes_cannot_be_looked_up(world, client):
    message, sig = token_for(world, "owner:1", {"stairs": "satisfied", "gate": 9})
    ops.submit_answer(world.evaluation.id, message, sig, now=utcnow())
    ops.publish_result(world.evaluation, signer=signer(), actor="test", now=world.evaluation.closes)
    db.session.commit()
    response = client.get(f"/evaluations/{world.evaluation.id}/result")
    assert "答卷太少，答卷码也不公布：无法在这里查找答卷码。" in text_of(response)
    assert 'id="find-form"' not in response.get_data(as_text=True)
