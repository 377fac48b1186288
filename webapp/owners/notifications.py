"""Telling registered owners: a line on their own page for everyone, a text message for those
who gave a number for notices.  Numbers are kept encrypted (the owner chose to give them), never
in clear and never the registry's own number."""
from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from flask import current_app
from sqlalchemy import insert, select

from webapp.core.db import db, utcnow
from webapp.owners.models import Notification, Registration
from webapp.registry.identity import is_mobile, mask_phone, normalize_phone


def _fernet() -> Fernet:
    key = hashlib.sha256(b"ownersvote notify-phone\x00" + current_app.config["OWNERSVOTE_PII_HMAC_KEY"].encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def set_phone(registration: Registration, raw: str | None) -> None:
    from webapp.core.errors_base import UserError

    if not raw:
        registration.notify_phone_enc = registration.notify_phone_masked = None
        return
    phone = normalize_phone(raw)
    if not is_mobile(phone):
        raise UserError("请输入 11 位中国大陆手机号", "enter an 11-digit mainland mobile number")
    registration.notify_phone_enc = _fernet().encrypt(phone.encode()).decode()
    registration.notify_phone_masked = mask_phone(phone)


def phone_of(registration: Registration) -> str | None:
    if not registration.notify_phone_enc:
        return None
    try:
        return _fernet().decrypt(registration.notify_phone_enc.encode()).decode()
    except InvalidToken:
        return None


def recipients(estate_id: int) -> list[Registration]:
    return list(db.session.scalars(select(Registration).where(Registration.estate_id == estate_id, Registration.state == "approved")))


def notify(estate_id: int, *, kind: str, zh: str, en: str, url: str | None, assembly_id: int | None = None) -> int:
    """A line on every registered owner's page; returns how many."""
    people = recipients(estate_id)
    now = utcnow()
    if people:
        db.session.execute(insert(Notification), [
            {"registration_id": r.id, "estate_id": estate_id, "assembly_id": assembly_id, "kind": kind, "text_zh": zh, "text_en": en,
             "url": url, "created_at": now} for r in people
        ])
    return len(people)


def sms_numbers(estate_id: int) -> list[str]:
    return [phone for phone in (phone_of(r) for r in recipients(estate_id)) if phone]


def send_texts(numbers: list[str], text: str, progress=None) -> tuple[int, int]:
    """Send one text to each number through the configured backend; (sent, failed)."""
    from webapp.owners.sms import SmsError, backend_from_env

    backend = current_app.extensions.setdefault("ownersvote_sms", backend_from_env())
    sent = failed = 0
    for n, number in enumerate(numbers, start=1):
        try:
            backend.send(number, text)
            sent += 1
        except SmsError:
            failed += 1
        if progress:
            progress(n, len(numbers))
    return sent, failed


def unread(registration: Registration) -> list[Notification]:
    return list(db.session.scalars(select(Notification).where(Notification.registration_id == registration.id)
                                   .order_by(Notification.created_at.desc()).limit(20)))
