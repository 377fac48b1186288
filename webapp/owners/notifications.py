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
from webapp.core.errors_base import UserError
from webapp.core.identity import is_mobile, keyed_hash, mask_phone, normalize_phone
from webapp.owners.models import Notification, Registration
from webapp.owners.sms import SmsError, backend_from_env


def _fernet() -> Fernet:
    key = hashlib.sha256(b"ownersvote notify-phone\x00" + current_app.config["OWNERSVOTE_PII_HMAC_KEY"].encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def set_phone(registration: Registration, raw: str | None) -> None:
    """Give (or, with nothing, withdraw) the number for notice texts.  Only the owner's own number
    of record is taken, checked against the registry's keyed hash: otherwise anyone could have an
    estate's notices texted to somebody else's phone."""
    import hmac

    if not raw or not raw.strip():
        registration.notify_phone_enc = registration.notify_phone_masked = None
        return
    phone = normalize_phone(raw)
    if not is_mobile(phone):
        raise UserError("请输入 11 位中国大陆手机号", "enter an 11-digit mainland mobile number")
    holder = registration.holder
    if holder is None or not holder.phone_hash:
        raise UserError(
            "登记簿中没有您的手机号，因此无法用短信通知您；通知仍会显示在本页。需要短信的，请带身份证到物业服务中心在登记簿中登记手机号。",
            "The registry holds no mobile number of yours, so no texts can be sent; notices still appear on this page. "
            "To get texts, bring your ID card to the estate office and have your number added to the registry.",
        )
    if not hmac.compare_digest(holder.phone_hash, keyed_hash(current_app.config["OWNERSVOTE_PII_HMAC_KEY"], phone, purpose="phone")):
        raise UserError(
            f"这不是登记簿中您的手机号（{holder.phone_masked or '***'}）。通知短信只发往登记的号码；号码有变更的，请带身份证到物业服务中心更新登记簿。",
            f"This is not your number in the registry ({holder.phone_masked or '***'}). Texts go only to the number of record; "
            "if yours changed, bring your ID card to the estate office to update the registry.",
        )
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
        db.session.execute(
            insert(Notification),
            [
                {
                    "registration_id": r.id,
                    "estate_id": estate_id,
                    "assembly_id": assembly_id,
                    "kind": kind,
                    "text_zh": zh,
                    "text_en": en,
                    "url": url,
                    "created_at": now,
                }
                for r in people
            ],
        )
    return len(people)


def notify_people(
    registration_ids: list[int], estate_id: int, *, kind: str, zh: str, en: str, url: str | None, assembly_id: int | None = None
) -> int:
    """A line on the pages of the given owners only (an answer to their objection, the vetting
    of their candidacy); returns how many."""
    ids = sorted(set(registration_ids))
    now = utcnow()
    if ids:
        db.session.execute(
            insert(Notification),
            [
                {
                    "registration_id": rid,
                    "estate_id": estate_id,
                    "assembly_id": assembly_id,
                    "kind": kind,
                    "text_zh": zh,
                    "text_en": en,
                    "url": url,
                    "created_at": now,
                }
                for rid in ids
            ],
        )
    return len(ids)


def sms_numbers(estate_id: int) -> list[str]:
    return [phone for phone in (phone_of(r) for r in recipients(estate_id)) if phone]


def send_texts(numbers: list[str], text: str, progress=None) -> tuple[int, int]:
    """Send one text to each number through the configured backend; (sent, failed)."""

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


def recent(registration: Registration, limit: int = 10) -> list[Notification]:
    """The owner's newest notices, newest first."""
    return list(
        db.session.scalars(
            select(Notification)
            .where(Notification.registration_id == registration.id)
            .order_by(Notification.created_at.desc(), Notification.id.desc())
            .limit(limit)
        )
    )


def mark_read(registration: Registration) -> int:
    """Mark every unread notice of the owner as read; how many were."""
    from sqlalchemy import update

    result = db.session.execute(
        update(Notification).where(Notification.registration_id == registration.id, Notification.read_at.is_(None)).values(read_at=utcnow())
    )
    return result.rowcount or 0
