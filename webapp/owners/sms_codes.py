"""The SMS step of registration: send a code to the registry's number, check what comes back.

Codes and their counters live only on the server (``SmsCode``), the code as a keyed hash: a
six-digit code hashed without a key falls to a brute force in a fraction of a second, so whoever
holds a copy of the database (or once, of a cookie) must not be able to recover it.  No request
in sight: callers pass the invitation, the holder, the key and the clock.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from webapp.core.db import db, utcnow
from webapp.core.errors_base import UserError
from webapp.core.identity import keyed_hash, mask_phone
from webapp.owners.models import Invitation, SmsCode

TTL = timedelta(minutes=10)
MAX_ATTEMPTS = 5
RESEND_AFTER = timedelta(seconds=60)
MAX_SENDS_PER_LETTER = 5


class SmsCodeError(UserError):
    pass


@dataclass(frozen=True)
class Sent:
    record: SmsCode
    code: str


def _hash(pii_key: str, invitation_id: int, code: str) -> str:
    return keyed_hash(pii_key, f"{invitation_id}:{code}", purpose="sms-code")


def current(invitation: Invitation) -> SmsCode | None:
    return db.session.scalar(select(SmsCode).where(SmsCode.invitation_id == invitation.id).order_by(SmsCode.id.desc()).limit(1))


def resend_at(record: SmsCode | None) -> datetime | None:
    return None if record is None else record.sent_at + RESEND_AFTER


def new_code(invitation: Invitation, holder_id: int, phone: str, *, pii_key: str, now: datetime | None = None) -> Sent:
    """A fresh code for this letter (the previous one stops working).  Refused when one was sent
    less than a minute ago, or when this letter has had too many."""
    now = now or utcnow()
    previous = current(invitation)
    if previous is not None and previous.sent_at + RESEND_AFTER > now:
        wait = int((previous.sent_at + RESEND_AFTER - now).total_seconds()) + 1
        raise SmsCodeError(f"刚刚已发送，请 {wait} 秒后再重新发送", f"a code was just sent: you can resend in {wait} seconds")
    sends = db.session.scalar(select(db.func.count(SmsCode.id)).where(SmsCode.invitation_id == invitation.id)) or 0
    if sends >= MAX_SENDS_PER_LETTER:
        raise SmsCodeError(
            "这封告知书的短信已发送多次。如仍收不到，请选择“收不到短信，请监督员核实”",
            "too many codes were sent for this letter: if none arrives, ask the supervisors to check instead",
        )
    if previous is not None and previous.state == "sent":
        previous.state = "replaced"
    code = f"{secrets.randbelow(10**6):06d}"
    record = SmsCode(
        invitation_id=invitation.id,
        holder_id=holder_id,
        code_hash=_hash(pii_key, invitation.id, code),
        phone_masked=mask_phone(phone),
        sent_at=now,
        expires_at=now + TTL,
        attempts=0,
        state="sent",
    )
    db.session.add(record)
    db.session.flush()
    return Sent(record, code)


def check(invitation: Invitation, typed: str, *, pii_key: str, now: datetime | None = None) -> SmsCode:
    """The code record if ``typed`` is its code, still valid; counts the try either way."""
    now = now or utcnow()
    record = current(invitation)
    if record is None or record.state != "sent":
        raise SmsCodeError("请先获取短信验证码", "ask for a code first")
    record.attempts += 1
    if record.attempts > MAX_ATTEMPTS:
        record.state = "spent"
        raise SmsCodeError("错误次数过多，这个验证码已作废，请重新发送", "too many wrong codes: this code is void, send a new one")
    if record.expires_at <= now:
        raise SmsCodeError("验证码已过期，请重新发送", "the code has expired: send a new one")
    if not hmac.compare_digest(record.code_hash, _hash(pii_key, invitation.id, typed.strip())):
        left = MAX_ATTEMPTS - record.attempts
        raise SmsCodeError(f"验证码不正确，还可再试 {left} 次", f"the code is wrong: {left} tries left")
    record.state = "used"
    return record
