"""The firm register: platform admins add firms and say which estates they serve."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from webapp.audit.operations import record
from webapp.core.db import db
from webapp.core.errors_base import UserError
from webapp.core.identity import is_uscc
from webapp.estates.models import Estate
from webapp.firms.models import Firm, FirmEstate


class FirmError(UserError):
    pass


def create_firm(*, name: str, uscc: str, contact_name: str = "", contact_phone: str = "", address: str = "", actor) -> Firm:
    name, uscc = (name or "").strip(), (uscc or "").strip().upper()
    if not name or len(name) > 200:
        raise FirmError("请填写企业名称（200字以内）", "give the firm's name (at most 200 characters)")
    if not is_uscc(uscc):
        raise FirmError(
            "统一社会信用代码无效（18位，校验位不符）", "the unified social credit code is not valid (18 characters, check digits)"
        )
    if db.session.scalar(select(Firm.id).where(Firm.uscc == uscc)) is not None:
        raise FirmError("已有同一统一社会信用代码的企业", "a firm with this unified social credit code is already registered")
    firm = Firm(
        name=name,
        uscc=uscc,
        contact_name=(contact_name or "").strip()[:100] or None,
        contact_phone=(contact_phone or "").strip()[:40] or None,
        address=(address or "").strip()[:300] or None,
    )
    db.session.add(firm)
    db.session.flush()
    record("firm.create", actor=actor, obj=firm, name=name, uscc=uscc)
    return firm


def assign_estate(firm: Firm, estate: Estate, since: date, *, actor) -> FirmEstate:
    """``firm`` serves ``estate`` from ``since``; the firm that served it before leaves that day."""
    current = serving(estate)
    if current is not None and current.firm_id == firm.id:
        raise FirmError("该企业已在为这个小区服务", "this firm already serves the estate")
    if current is not None:
        if since <= current.since:
            raise FirmError("开始日期须晚于现任企业的开始日期", "the date must be after the current firm's start")
        current.until = since
    service = FirmEstate(firm_id=firm.id, estate_id=estate.id, since=since)
    db.session.add(service)
    db.session.flush()
    record("firm.assign", actor=actor, estate_id=estate.id, obj=firm, name=firm.name, uscc=firm.uscc, since=since.isoformat())
    return service


def serving(estate: Estate) -> FirmEstate | None:
    """The firm that serves ``estate`` now (the open service), or None (无物业小区)."""
    return db.session.scalars(
        select(FirmEstate).where(FirmEstate.estate_id == estate.id, FirmEstate.until.is_(None)).order_by(FirmEstate.since.desc())
    ).first()
