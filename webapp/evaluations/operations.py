"""Owners' anonymous evaluation of their estate's firm (RFC 9474 blind tokens; docs/evaluation-format.md).

1. The platform publishes a form, signed by the server key (:func:`publish_form`).
2. An organiser or a supervisor opens an evaluation of the estate's firm for a period
   (:func:`open_evaluation`); it gets an RSA key of its own.
3. A voting member, signed in, sends a blinded message and gets it signed, once
   (:func:`issue_token`): the server records that the member got its token, never the token.
4. The phone unblinds and sends answer and token in a separate request without a cookie
   (:func:`submit_answer`): the token is checked under the evaluation's key and must be unused.
5. After the period the result is published, signed (:func:`publish_result`), and the private
   key is destroyed, so that no further token can ever be made.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from crypto import blindrsa
from crypto import evaluation as fmt
from crypto.canonical import canonical_json
from crypto.encoding import b64url_decode, b64url_encode
from crypto.errors import CryptoError
from crypto.keys import Signer
from webapp.audit.operations import record
from webapp.core.db import db
from webapp.core.errors_base import UserError
from webapp.estates.models import Estate
from webapp.evaluations.models import Evaluation, EvaluationAnswer, EvaluationForm, EvaluationIssue
from webapp.firms.operations import serving

DEFAULT_MIN_ANSWERS = 5


class EvaluationError(UserError):
    def __init__(self, zh: str, en: str, status: int = 400):
        super().__init__(zh, en)
        self.status = status


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# --- forms ----------------------------------------------------------------------------------------


def publish_form(definition: dict, *, signer: Signer, actor) -> EvaluationForm:
    """Sign and store a new version of the form ``definition["code"]`` (without type, v, version)."""
    if not isinstance(definition, dict):
        raise EvaluationError("测评表须为 JSON 对象", "a form is a JSON object")
    code = definition.get("code")
    latest = (
        db.session.scalar(select(func.max(EvaluationForm.version)).where(EvaluationForm.code == code)) if isinstance(code, str) else None
    )
    payload = {k: v for k, v in definition.items() if k not in ("type", "v", "version", "kid", "sig")}
    payload["version"] = (latest or 0) + 1
    try:
        signed = fmt.sign_form(signer, payload)
    except CryptoError as exc:
        raise EvaluationError(f"测评表不合格：{exc}", f"the form is not valid: {exc}") from None
    form = EvaluationForm(
        code=signed["code"],
        version=signed["version"],
        title=signed["title"],
        signed=canonical_json(signed).decode(),
        digest=fmt.form_digest(signed),
        published_by_id=getattr(actor, "id", None),
    )
    db.session.add(form)
    db.session.flush()
    record("evaluation.form", actor=actor, obj=form, code=form.code, version=form.version, digest=form.digest)
    return form


def form_document(form: EvaluationForm) -> dict:
    return json.loads(form.signed)


# --- opening ---------------------------------------------------------------------------------------


def open_evaluation(
    estate: Estate, form: EvaluationForm, *, title: str, opens: datetime, closes: datetime, min_answers: int, actor
) -> Evaluation:
    service = serving(estate)
    if service is None:
        raise EvaluationError(
            "这个小区没有登记的物业服务企业，无法测评", "no firm is registered as serving this estate: there is nothing to evaluate"
        )
    title = (title or "").strip()
    if not title or len(title) > 200:
        raise EvaluationError("请填写测评名称（200字以内）", "give the evaluation a title (at most 200 characters)")
    if _aware(closes) <= _aware(opens):
        raise EvaluationError("结束时间须晚于开始时间", "the period must end after it begins")
    if not isinstance(min_answers, int) or min_answers < 1:
        raise EvaluationError("最少答卷数须为正整数", "the minimum number of answers is a positive whole number")
    key = blindrsa.BlindKey.generate(2048)
    jwk = key.public_jwk()
    evaluation = Evaluation(
        estate_id=estate.id,
        firm_id=service.firm_id,
        form_id=form.id,
        title=title,
        opens=opens,
        closes=closes,
        min_answers=min_answers,
        private_key_pem=key.private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode(),
        public_jwk=canonical_json(jwk).decode(),
        key_id=blindrsa.rsa_thumbprint(jwk),
        created_by_id=getattr(actor, "id", None),
    )
    db.session.add(evaluation)
    db.session.flush()
    record("evaluation.open", actor=actor, estate_id=estate.id, obj=evaluation, title=title, form=form.digest, key=evaluation.key_id)
    return evaluation


def phase(evaluation: Evaluation, now: datetime) -> str:
    """``upcoming``, ``open``, ``closed`` (the result is still to be published) or ``published``."""
    if evaluation.state == "published":
        return "published"
    if _aware(now) < _aware(evaluation.opens):
        return "upcoming"
    return "open" if _aware(now) < _aware(evaluation.closes) else "closed"


def in_period(evaluation: Evaluation, now: datetime) -> bool:
    return evaluation.state == "open" and _aware(evaluation.opens) <= _aware(now) < _aware(evaluation.closes)


def private_key(evaluation: Evaluation) -> rsa.RSAPrivateKey:
    """The evaluation's private key.  OpenSSL's check of an RSA key's primes on loading costs ~100 ms
    of CPU, on every token request; the key is the server's own (made by :func:`open_evaluation`) and
    :func:`crypto.blindrsa.blind_sign` checks ``s^e == m`` for every signature it returns, so a
    damaged key cannot sign unnoticed: the check on loading is skipped."""
    key = serialization.load_pem_private_key(evaluation.private_key_pem.encode(), password=None, unsafe_skip_rsa_key_validation=True)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise EvaluationError("测评密钥无效", "the evaluation's key is not an RSA key", 500)
    return key


# --- tokens ----------------------------------------------------------------------------------------


def issue_token(evaluation: Evaluation, registration, blinded_msg: bytes, *, now: datetime) -> bytes:
    """Blind-sign one member's blinded message, once per member and evaluation.  The same
    blinded message again (a reply lost on the way) gets the same signature; another is refused."""
    if registration is None or registration.estate_id != evaluation.estate_id:
        raise EvaluationError("没有这次测评", "no such evaluation", 404)
    if registration.state != "approved" or not registration.can_vote or not registration.member_ref:
        raise EvaluationError("只有已登记、有表决权的业主可以参加测评", "only registered voting members take part in the evaluation", 403)
    if not in_period(evaluation, now):
        raise EvaluationError("不在测评期内", "the evaluation is not open now", 409)
    if not evaluation.private_key_pem:
        raise EvaluationError("测评已结束", "the evaluation has ended", 409)
    digest = hashlib.sha256(blinded_msg).hexdigest()
    issued = db.session.scalar(
        select(EvaluationIssue).where(EvaluationIssue.evaluation_id == evaluation.id, EvaluationIssue.member_ref == registration.member_ref)
    )
    if issued is not None and issued.blinded_sha256 != digest:
        raise EvaluationError(
            "您这一户已经领取过本次测评的凭证，每户只能答一次",
            "your household already has its token for this evaluation: one answer per household",
            409,
        )
    try:
        blind_sig = blindrsa.blind_sign(private_key(evaluation), blinded_msg)
    except CryptoError as exc:
        raise EvaluationError("凭证请求无效", f"the token request is not valid: {exc}") from None
    if issued is None:
        db.session.add(EvaluationIssue(evaluation_id=evaluation.id, member_ref=registration.member_ref, blinded_sha256=digest))
        evaluation.issued += 1
        db.session.flush()
        record(
            "evaluation.token",
            actor=f"owner:{registration.id}",
            estate_id=evaluation.estate_id,
            obj=evaluation,
            member=registration.member_ref,
        )
    return blind_sig


def has_token(evaluation: Evaluation, member_ref: str | None) -> bool:
    """Whether the member took its token (never whether, or what, it answered)."""
    if not member_ref:
        return False
    found = db.session.scalar(
        select(EvaluationIssue.id).where(EvaluationIssue.evaluation_id == evaluation.id, EvaluationIssue.member_ref == member_ref)
    )
    return found is not None


# --- answers ---------------------------------------------------------------------------------------


def submit_answer(evaluation_id: int, message: bytes, signature: bytes, *, now: datetime) -> str:
    """Store an answer with its token, or refuse it with a reason and store nothing.  Returns the
    token id (the owner's check that the answer is counted)."""
    evaluation = db.session.get(Evaluation, evaluation_id)
    if evaluation is None:
        raise EvaluationError("没有这次测评", "no such evaluation", 404)
    if not in_period(evaluation, now):
        raise EvaluationError("不在测评期内，答卷未被接收", "the evaluation is not open now: the answer was not taken", 409)
    key = blindrsa.load_public(json.loads(evaluation.public_jwk))
    try:
        blindrsa.verify(key, message, signature)
    except CryptoError:
        raise EvaluationError(
            "凭证无效：不是本次测评的密钥签发的", "the token is not valid: it was not issued with this evaluation's key", 403
        ) from None
    form = form_document(evaluation.form)
    try:
        fmt.read_answer(message, form, evaluation=evaluation.id, digest=evaluation.form.digest, key=evaluation.key_id)
    except CryptoError as exc:
        raise EvaluationError(f"答卷不符合测评表：{exc}", f"the answer does not fit the form: {exc}") from None
    token = blindrsa.token_id(message)
    if db.session.get(EvaluationAnswer, (evaluation.id, token)) is not None:
        raise EvaluationError("这个凭证已经用过，答卷未被重复计入", "this token was already used: the answer is not counted twice", 409)
    answered = db.session.scalar(select(func.count()).select_from(EvaluationAnswer).where(EvaluationAnswer.evaluation_id == evaluation.id))
    if answered >= evaluation.issued:
        raise EvaluationError("答卷数不能超过已领取的凭证数", "there cannot be more answers than tokens issued", 409)
    db.session.add(
        EvaluationAnswer(evaluation_id=evaluation.id, token_id=token, message=b64url_encode(message), sig=b64url_encode(signature))
    )
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise EvaluationError(
            "这个凭证已经用过，答卷未被重复计入", "this token was already used: the answer is not counted twice", 409
        ) from None
    return token


# --- the result ------------------------------------------------------------------------------------


def publish_result(evaluation: Evaluation, *, signer: Signer, actor, now: datetime) -> dict:
    if evaluation.state != "open":
        raise EvaluationError("结果已经公布", "the result is already published", 409)
    if _aware(now) < _aware(evaluation.closes):
        raise EvaluationError("测评期结束后才能公布结果", "the result is published only after the period ends", 409)
    form = form_document(evaluation.form)
    if form.get("kid") != signer.kid:
        # The form was signed by a key since rotated out: the result carries it signed by the key
        # that signs the result (the same digest, which every answer names), so that one server
        # key checks both (docs/evaluation-format.md).
        form = fmt.sign_form(signer, {k: v for k, v in form.items() if k not in ("kid", "sig")})
    rows = list(
        db.session.scalars(
            select(EvaluationAnswer).where(EvaluationAnswer.evaluation_id == evaluation.id).order_by(EvaluationAnswer.token_id)
        )
    )
    withheld = len(rows) < evaluation.min_answers
    if withheld:
        answers, counts = None, {"answers": len(rows)}
    else:
        read = [
            fmt.read_answer(b64url_decode(r.message), form, evaluation=evaluation.id, digest=evaluation.form.digest, key=evaluation.key_id)
            for r in rows
        ]
        answers = [{"message": r.message, "sig": r.sig} for r in rows]
        counts = {"answers": len(rows), "items": fmt.count(form, read, evaluation.min_answers)}
    result = fmt.sign_result(
        signer,
        {
            "evaluation": {
                "id": evaluation.id,
                "form": evaluation.form.digest,
                "estate": {"id": evaluation.estate_id, "name": evaluation.estate.name},
                "firm": {"name": evaluation.firm.name, "uscc": evaluation.firm.uscc},
                "title": evaluation.title,
                "opens": int(_aware(evaluation.opens).timestamp() * 1000),
                "closes": int(_aware(evaluation.closes).timestamp() * 1000),
            },
            "form": form,
            "suite": blindrsa.SUITE,
            "key": json.loads(evaluation.public_jwk),
            "issued": evaluation.issued,
            "min_answers": evaluation.min_answers,
            "withheld": withheld,
            "answers": answers,
            "counts": counts,
            "server": signer.jwk,
        },
    )
    evaluation.result = canonical_json(result).decode()
    evaluation.state = "published"
    evaluation.private_key_pem = ""  # no token can ever be made again
    record("evaluation.publish", actor=actor, estate_id=evaluation.estate_id, obj=evaluation, answers=len(rows), issued=evaluation.issued)
    return result
