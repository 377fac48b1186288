"""The firm register: platform admins add firms and say which estates they serve."""

from __future__ import annotations

from datetime import date

from sqlalchemy import or_, select

from webapp.audit.operations import record
from webapp.auth.operations import find_staff
from webapp.auth.passwords import check_password, hash_password
from webapp.core.db import db
from webapp.core.errors_base import UserError
from webapp.core.identity import contact_phone as phone_number
from webapp.core.identity import is_uscc
from webapp.estates.models import Estate
from webapp.firms.models import Firm, FirmEstate, FirmUser


class FirmError(UserError):
    pass


def _one_line(value: str | None, limit: int, zh: str, en: str) -> str | None:
    text = " ".join((value or "").split())
    if len(text) > limit:
        raise FirmError(
            f"{zh}不能超过 {limit} 个字（现为 {len(text)} 个）", f"{en} is at most {limit} characters (this one has {len(text)})"
        )
    return text or None


def clean_contacts(contact_name: str | None, phone: str | None, address: str | None) -> tuple[str | None, str | None, str | None]:
    """A firm's contact person, phone and address, checked: each on one line within its length,
    the phone a Chinese mobile, landline with area code or 400/800 number (normalised)."""
    name = _one_line(contact_name, 100, "联系人", "the contact person")
    address_text = _one_line(address, 300, "地址", "the address")
    raw = " ".join((phone or "").split())
    number = None
    if raw:
        number = phone_number(raw)
        if number is None:
            raise FirmError(
                f"联系电话“{raw[:40]}”无效：请填写手机号（11 位）、带区号的固定电话（如 0571-87654321）或 400/800 电话",
                f"the contact phone '{raw[:40]}' is not valid: give a mobile number (11 digits), a landline with its area code "
                "(e.g. 0571-87654321) or a 400/800 number",
            )
    return name, number, address_text


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
    person, phone, where = clean_contacts(contact_name, contact_phone, address)
    firm = Firm(name=name, uscc=uscc, contact_name=person, contact_phone=phone, address=where)
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


def serving_on(estate_id: int, day: date) -> FirmEstate | None:
    """The firm that served the estate on ``day`` (since ≤ day < until), or None."""
    return db.session.scalars(
        select(FirmEstate)
        .where(FirmEstate.estate_id == estate_id, FirmEstate.since <= day, or_(FirmEstate.until.is_(None), FirmEstate.until > day))
        .order_by(FirmEstate.since.desc())
    ).first()


# --- the firm's own accounts ------------------------------------------------------------------------


def find_account(username: str) -> FirmUser | None:
    return db.session.scalar(select(FirmUser).where(FirmUser.username == (username or "").strip().lower()))


def create_account(firm: Firm, *, username: str, display_name: str, password: str, actor) -> FirmUser:
    """A platform admin gives a firm's staff member a login (from the firm's page).  The login sees
    only the firm's own estates' published results, inspections and notices, never owners."""
    username, display_name = (username or "").strip().lower(), (display_name or "").strip()
    if not username or len(username) > 120:
        raise FirmError("请填写用户名（120字以内）", "give a username (at most 120 characters)")
    if not display_name or len(display_name) > 200:
        raise FirmError(
            "请填写企业人员的真实姓名（监督员和业委会会看到）", "give the person's real name: supervisors and the committee read it"
        )
    if find_account(username) is not None or find_staff(username) is not None:
        raise FirmError(f"用户名 {username} 已被使用，请换一个", f"the username {username} is taken: choose another")
    try:
        password_hash = hash_password(password or "")
    except ValueError as exc:
        raise FirmError("初始密码至少需要 10 个字符", str(exc)) from exc
    account = FirmUser(
        firm_id=firm.id, username=username, display_name=display_name, password_hash=password_hash, created_by_id=getattr(actor, "id", None)
    )
    db.session.add(account)
    db.session.flush()
    record("firm.account", actor=actor, obj=firm, name=firm.name, uscc=firm.uscc, username=username)
    return account


def authenticate_account(username: str, password: str) -> FirmUser | None:
    account = find_account(username)
    ok = check_password(account.password_hash if account else None, password or "")
    return account if ok and account is not None else None


def set_account_active(account: FirmUser, active: bool, *, actor, reason: str) -> None:
    """A platform admin disables a firm's login (its sessions end at once) or enables it again."""
    reason = (reason or "").strip()
    if not reason:
        raise FirmError("请写明理由", "a written reason is required")
    if account.active == active:
        raise FirmError("账号已是这个状态", "the account is already so")
    account.active = active
    account.session_epoch += 1
    db.session.flush()
    record(
        "firm.account_enable" if active else "firm.account_disable",
        actor=actor,
        obj=account.firm,
        username=account.username,
        reason=reason,
    )


def estates_of(firm_id: int) -> list[Estate]:
    """The estates the firm serves now."""
    return list(
        db.session.scalars(
            select(Estate)
            .join(FirmEstate, FirmEstate.estate_id == Estate.id)
            .where(FirmEstate.firm_id == firm_id, FirmEstate.until.is_(None))
            .order_by(Estate.name)
        )
    )
