from __future__ import annotations

import re

from sqlalchemy import select

from webapp.audit.operations import record
from webapp.core.db import db
from webapp.estates.models import Estate
from webapp.core.errors_base import UserError

_SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")


class EstateError(UserError):
    pass


def get_estate(slug: str) -> Estate | None:
    return db.session.scalar(select(Estate).where(Estate.slug == slug))


def create_estate(slug: str, name: str, *, actor=None, timezone: str = "Asia/Shanghai") -> Estate:
    slug = slug.strip().lower()
    if not _SLUG_RE.match(slug):
        raise EstateError("标识只能包含小写字母、数字和连字符（2–63 个字符）", "slug must be 2-63 lowercase letters, digits or hyphens")
    if not name.strip():
        raise EstateError("请填写小区名称", "name is required")
    if get_estate(slug):
        raise EstateError(f"标识 {slug} 已被使用", f"slug {slug} is already taken")
    estate = Estate(slug=slug, name=name.strip(), timezone=timezone, roll_signatures_required=1)
    db.session.add(estate)
    db.session.flush()
    record("estate.create", actor=actor, estate_id=estate.id, obj=estate, slug=slug, name=estate.name)
    return estate


SETTINGS = ("name", "roll_signatures_required", "sms_required", "letter_valid_days", "organiser_label", "help_text", "counting_rule")


def update_settings(estate: Estate, *, actor, **values) -> dict:
    """Change the estate's settings; the audit event records every value before and after."""
    changes = {}
    for field in SETTINGS:
        if field not in values:
            continue
        new = values[field]
        if isinstance(new, str):
            new = new.strip() or (None if field != "name" else new)
        if field == "roll_signatures_required" and not (isinstance(new, int) and 1 <= new <= 9):
            raise EstateError("所需签名数须在 1 到 9 之间", "signatures required must be between 1 and 9")
        if field == "letter_valid_days" and not (isinstance(new, int) and 1 <= new <= 365):
            raise EstateError("告知书有效天数须在 1 到 365 之间", "letter validity must be 1 to 365 days")
        old = getattr(estate, field)
        if old != new:
            changes[field] = {"from": old, "to": new}
            setattr(estate, field, new)
    if changes:
        db.session.flush()
        record("estate.settings", actor=actor, estate_id=estate.id, obj=estate, changes=changes)
    return changes
