"""Publishing an estate's open accounts (三公开, 收支公示): parsing what was typed into exact fen,
checking that totals are the sums of their lines, signing each version with the server key, and
checking a publication again before any page shows it.  Attaching a published statement to an
agenda item that decides on it.  No request in sight; the caller commits."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select

from crypto import disclosure as fmt
from crypto.canonical import canonical_json
from crypto.errors import CryptoError
from crypto.keys import Signer
from webapp.assemblies.models import AgendaItem, Assembly
from webapp.assemblies.operations import require_editable
from webapp.assemblies.states import touch
from webapp.attachments.models import Attachment
from webapp.attachments.storage import store_bytes
from webapp.audit.operations import record
from webapp.bodies.operations import organiser_name, today_in
from webapp.core.db import db
from webapp.core.errors_base import UserError
from webapp.core.roles import FIRM, Role
from webapp.core.serverkey import installation_jwk
from webapp.disclosures.models import Disclosure, DisclosureVersion
from webapp.estates.models import Estate
from webapp.firms.operations import serving

KIND_WORDS = {
    "fees": ("服务标准和收费标准", "service standards and fees"),
    "complaints": ("投诉渠道", "complaint channels"),
    "revenue": ("公共收益收支", "public revenue (advertising, parking)"),
    "statement": ("收支情况", "income and expense statement"),
    "fund": ("维修资金使用情况", "maintenance fund's use"),
}
_NUMBER = re.compile(r"[-−+]?[0-9][0-9,，]*(?:\.[0-9]*)?")
# An amount among a line's words: the number, and what follows a 元 written with it (元/平方米·月).
_AMOUNT_TOKEN = re.compile(r"([-−+]?[0-9][0-9,，]*(?:\.[0-9]*)?)(?:元(.*))?")


class DisclosureError(UserError):
    pass


# --- who publishes ---------------------------------------------------------------------------------


def publisher_of(actor, estate: Estate) -> dict:
    """Who publishes the estate's accounts, as the signed document names them; refused for anyone
    else: the estate's organisers, in the name of the organising body (业委会, 筹备组 or 物管会), or a
    login of the firm serving the estate now, in the firm's name (三公开 is the firm's duty)."""
    if getattr(actor, "kind", None) == FIRM:
        service = serving(estate)
        if service is not None and service.firm_id == actor.firm_id and actor.active:
            return {"role": "firm", "name": service.firm.name}
        raise DisclosureError(
            "只有正在为本小区服务的物业服务企业可以公开本小区的账目",
            "only the firm serving this estate now publishes its accounts",
        )
    role = actor.role_in(estate.id) if hasattr(actor, "role_in") else None
    if role is Role.organiser:
        return {"role": "organiser", "name": organiser_name(estate)}
    raise DisclosureError(
        "只有本小区的组织者（业主委员会、筹备组或物管会）或为本小区服务的物业服务企业可以公开账目",
        "only this estate's organisers (the committee, the preparatory group or the 物管会) or the firm serving it publish its accounts",
    )


def _audit_actor(actor):
    """A firm's login is not a staff account: the audit names it (firm:username), with no staff id."""
    return f"firm:{actor.username}" if getattr(actor, "kind", None) == FIRM else actor


# --- amounts and lines ----------------------------------------------------------------------------


def parse_amount(text: str, where: tuple[str, str] | None = None) -> int:
    """Yuan as typed ("1,234.50", "1234.5元") to exact fen; refused when negative, with more than two
    decimals (a fraction of a fen) or not a number."""
    raw = (text or "").strip().replace("元", "").replace("，", ",").strip()
    label_zh, label_en = (f"{where[0]}：", f"{where[1]}: ") if where else ("", "")
    if not raw or not _NUMBER.fullmatch(raw):
        raise DisclosureError(
            f"{label_zh}“{text}”不是金额：请写成元，例如 1234.50", f"{label_en}'{text}' is not an amount: write yuan, e.g. 1234.50"
        )
    if raw[0] in "-−":
        raise DisclosureError(
            f"{label_zh}金额不能为负数（{text}）：支出请写在支出栏里，金额写正数",
            f"{label_en}an amount cannot be negative ({text}): put an expense under expenses, as a positive amount",
        )
    raw = raw.lstrip("+").replace(",", "")
    whole, _dot, cents = raw.partition(".")
    if len(cents) > 2:
        raise DisclosureError(
            f"{label_zh}金额最多两位小数（精确到分）：{text}",
            f"{label_en}an amount has at most two decimals (to the fen): {text}",
        )
    fen = int(whole or "0") * 100 + int((cents + "00")[:2])
    if fen > fmt.MAX_FEN:
        raise DisclosureError(f"{label_zh}金额太大：{text}", f"{label_en}the amount is too large: {text}")
    return fen


def parse_lines(text: str, section: tuple[str, str], *, amounts: bool) -> list[dict]:
    """Lines as typed, one an entry.  With amounts: the name, the amount in yuan, then an optional
    note (per what, or which decision), separated by spaces.  Without: the name, then how to reach it."""
    out: list[dict] = []
    zh, en = section
    for number, raw in enumerate((text or "").splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        tokens = line.split()
        if amounts:
            at = next((i for i in range(len(tokens) - 1, 0, -1) if _AMOUNT_TOKEN.fullmatch(tokens[i])), None)
            if at is None:
                raise DisclosureError(
                    f"{zh}第 {number} 行没有金额：每行写“名称 金额”，例如“停车费收入 12000.00”",
                    f"{en}, line {number} has no amount: write 'name amount' on each line, e.g. 'Parking 12000.00'",
                )
            found = _AMOUNT_TOKEN.fullmatch(tokens[at])
            entry = {
                "name": " ".join(tokens[:at])[:200],
                "fen": parse_amount(found.group(1), (f"{zh}第 {number} 行", f"{en}, line {number}")),
            }
            # "2.80元/平方米·月" written together: the unit after the amount is the note.
            note = " ".join(([f"元{found.group(2)}"] if found.group(2) else []) + tokens[at + 1 :])
        else:
            parts = re.split(r"[\s:：]+", line, maxsplit=1)
            entry = {"name": parts[0][:200]}
            note = parts[1] if len(parts) > 1 else ""
        if note:
            entry["note"] = note[:500]
        out.append(entry)
    if len(out) > fmt.MAX_LINES:
        raise DisclosureError(f"{zh}最多 {fmt.MAX_LINES} 行", f"{en}: at most {fmt.MAX_LINES} lines")
    return out


# --- publishing -----------------------------------------------------------------------------------


@dataclass
class Entry:
    """What the publisher typed, before parsing."""

    kind: str
    title: str = ""
    period_from: date | None = None
    period_until: date | None = None
    text: str = ""
    lines: str = ""
    income: str = ""
    expense: str = ""
    total_income: str = ""
    total_expense: str = ""


def series_of(kind: str, start: date | None, until: date | None, publisher: str = "organiser") -> str:
    """The series a version belongs to: its kind (and period), and its publisher's role.  The firm's
    fee list and the committee's are two documents, each with its own versions: neither publisher
    can replace what the other published (owners read both, each under its publisher's name)."""
    base = kind if kind not in fmt.ACCOUNT_KINDS else f"{kind}:{start.isoformat()}:{until.isoformat()}"
    return base if publisher == "organiser" else f"{publisher}:{base}"


def _period(entry: Entry, estate: Estate, now: datetime) -> tuple[date, date]:
    start, until = entry.period_from, entry.period_until
    if start is None or until is None:
        raise DisclosureError("请填写公示期间的起止日期", "give the first and last day of the period")
    if until < start:
        raise DisclosureError(
            f"期间的结束日期（{until.isoformat()}）早于开始日期（{start.isoformat()}）",
            f"the period ends ({until.isoformat()}) before it begins ({start.isoformat()})",
        )
    today = today_in(estate, now)
    if until >= today:
        raise DisclosureError(
            f"期间尚未结束（截至 {until.isoformat()}，今天是 {today.isoformat()}）：只能公示已经结束的期间，请在期满后再发布",
            f"the period is not over yet (it runs to {until.isoformat()}; today is {today.isoformat()}): "
            "a statement is of a past period, so publish it once the period has ended",
        )
    return start, until


def _accounts(entry: Entry) -> dict:
    income = parse_lines(entry.income, ("收入", "Income"), amounts=True)
    expense = parse_lines(entry.expense, ("支出", "Expense"), amounts=True)
    if not income and not expense:
        raise DisclosureError("请至少填写一行收入或支出", "enter at least one line of income or expense")
    stated = {
        "income": parse_amount(entry.total_income, ("收入合计", "Total income")) if entry.total_income.strip() else None,
        "expense": parse_amount(entry.total_expense, ("支出合计", "Total expense")) if entry.total_expense.strip() else None,
    }
    sums = {"income": sum(line["fen"] for line in income), "expense": sum(line["fen"] for line in expense)}
    for side, zh, en in (("income", "收入", "income"), ("expense", "支出", "expense")):
        if stated[side] is None:
            raise DisclosureError(
                f"请填写{zh}合计：它须等于各行之和（{fmt.yuan(sums[side])} 元），用来核对录入",
                f"give the total {en}: it must equal the sum of its lines ({fmt.yuan(sums[side])} yuan), as a check on what was typed",
            )
        if stated[side] != sums[side]:
            raise DisclosureError(
                f"{zh}各行之和为 {fmt.yuan(sums[side])} 元，与填写的{zh}合计 {fmt.yuan(stated[side])} 元不符（相差 "
                f"{fmt.yuan(stated[side] - sums[side])} 元）：请核对各行金额或合计",
                f"the {en} lines sum to {fmt.yuan(sums[side])} yuan, not the stated total of {fmt.yuan(stated[side])} "
                f"(a difference of {fmt.yuan(stated[side] - sums[side])}): check the lines or the total",
            )
    return {"income": income, "expense": expense, "totals": {**sums, "net": sums["income"] - sums["expense"]}}


def publish(estate: Estate, entry: Entry, *, actor, signer: Signer, now: datetime) -> DisclosureVersion:
    """Sign and store a new version of one of the estate's publications.  Refused with its reason,
    nothing written, when the publisher may not publish for this estate, the kind is unknown, a
    statement's period is not over or runs backwards, an amount is negative, a fraction of a fen or
    not a number, or a total is not the sum of its lines."""
    publisher = publisher_of(actor, estate)
    if entry.kind not in fmt.KINDS:
        raise DisclosureError(f"未知的公示类型“{entry.kind}”", f"unknown kind of publication {entry.kind!r}")
    zh, en = KIND_WORDS[entry.kind]
    start = until = None
    accounts = None
    lines: list[dict] = []
    if entry.kind in fmt.ACCOUNT_KINDS:
        start, until = _period(entry, estate, now)
        accounts = _accounts(entry)
    else:
        lines = parse_lines(entry.lines, (zh, en), amounts=entry.kind == "fees")
        if entry.kind == "fees" and not lines:
            raise DisclosureError("请至少填写一项收费标准（名称 金额 单位）", "enter at least one fee (name, amount, per what)")
        if entry.kind == "complaints" and not lines:
            raise DisclosureError(
                "请至少填写一个投诉渠道（名称 联系方式）", "enter at least one complaint channel (name, then how to reach it)"
            )
    title = (entry.title or "").strip()
    if not title:
        title = f"{estate.name}{zh}" + (f"（{start.isoformat()} 至 {until.isoformat()}）" if start else "")
        if publisher["role"] == "firm":
            title += f"（{publisher['name']}公示）"  # beside the committee's own, never mistaken for it
    if len(title) > 200:
        raise DisclosureError("标题不超过 200 个字", "the title has at most 200 characters")
    text = (entry.text or "").strip() or None
    if text is not None and len(text) > 20000:
        raise DisclosureError("说明不超过 20000 个字", "the text has at most 20000 characters")
    series = series_of(entry.kind, start, until, publisher["role"])
    disclosure = db.session.scalar(select(Disclosure).where(Disclosure.estate_id == estate.id, Disclosure.series == series))
    previous = disclosure.latest if disclosure is not None else None
    published = int(now.timestamp() * 1000)
    payload = {
        "estate": {"id": str(estate.id), "name": estate.name},
        "kind": entry.kind,
        "title": title,
        "version": previous.version + 1 if previous else 1,
        "previous": previous.sha256 if previous else None,
        "period": {"from": start.isoformat(), "until": until.isoformat()} if start else None,
        "publisher": publisher,
        "published": published,
        "text": text,
        "lines": lines,
        "accounts": accounts,
    }
    try:
        document = fmt.sign_disclosure(signer, payload)
    except CryptoError as exc:
        raise DisclosureError(f"公示内容不合格：{exc}", f"the publication is not valid: {exc}") from None
    if disclosure is None:
        disclosure = Disclosure(estate_id=estate.id, kind=entry.kind, series=series, period_from=start, period_until=until, title=title)
        db.session.add(disclosure)
        db.session.flush()
    disclosure.title = title
    version = DisclosureVersion(
        disclosure=disclosure,
        estate_id=estate.id,
        version=document["version"],
        document=canonical_json(document).decode(),
        sha256=fmt.digest(document),
        published_at=now,
        published_by_id=None if getattr(actor, "kind", None) == FIRM else getattr(actor, "id", None),
    )
    db.session.add(version)
    db.session.flush()
    record(
        "disclosure.publish",
        actor=_audit_actor(actor),
        estate_id=estate.id,
        obj=version,
        kind=entry.kind,
        title=title,
        version=version.version,
        sha256=version.sha256,
        totals=accounts["totals"] if accounts else None,
    )
    return version


# --- reading --------------------------------------------------------------------------------------


@dataclass
class Verified:
    version: DisclosureVersion
    document: dict | None
    problems: list[tuple[str, str]] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return self.document is not None and not self.problems


def verified(version: DisclosureVersion) -> Verified:
    """The publication if its bytes hash to the stored digest, it names this estate, its sums hold
    and the installation's key it names (valid when it was published) signed it; else the problems."""
    problems: list[tuple[str, str]] = []
    document = None
    try:
        document = json.loads(version.document)
        if fmt.digest(document) != version.sha256:
            problems.append(("公示内容与其摘要不符：内容被改动过", "the publication does not match its digest: it was changed"))
        fmt.verify_disclosure(document, installation_jwk(document, document.get("published")))
        if document["estate"]["id"] != str(version.estate_id):
            problems.append(("公示文件属于另一个小区", "the publication belongs to another estate"))
    except (CryptoError, ValueError, KeyError, TypeError) as exc:
        problems.append(
            (
                f"服务器对公示的签名或其合计核验失败：{exc}",
                f"the server's signature on the publication, or its totals, do not verify: {exc}",
            )
        )
    return Verified(version, document if not problems else None, problems)


def estate_disclosures(estate: Estate) -> list[Disclosure]:
    """The estate's publications: standing ones (fees, complaints) first, then statements, newest period first."""
    found = list(db.session.scalars(select(Disclosure).where(Disclosure.estate_id == estate.id)))
    order = {kind: n for n, kind in enumerate(fmt.KINDS)}
    standing = sorted((d for d in found if d.period_until is None), key=lambda d: order[d.kind])
    periodic = sorted((d for d in found if d.period_until is not None), key=lambda d: (d.period_until, order[d.kind]), reverse=True)
    return standing + periodic


def version_of(disclosure: Disclosure, number: str | int | None) -> DisclosureVersion | None:
    wanted = str(number) if number not in (None, "") else None
    if wanted is None:
        return disclosure.latest
    return next((v for v in disclosure.versions if str(v.version) == wanted), None)


def by_sha(sha256: str) -> DisclosureVersion | None:
    return db.session.scalar(select(DisclosureVersion).where(DisclosureVersion.sha256 == sha256).limit(1))


# --- on an agenda item ----------------------------------------------------------------------------


def open_items(estate: Estate) -> list[AgendaItem]:
    """The agenda items a statement may still be attached to: those of the estate's assemblies
    whose agenda can change."""
    assemblies = db.session.scalars(
        select(Assembly).where(Assembly.estate_id == estate.id, Assembly.state.in_(("draft", "notice"))).order_by(Assembly.id)
    )
    return [item for assembly in assemblies for item in assembly.items]


def filename_of(document: dict) -> str:
    name = re.sub(r'[\\/:*?"<>|]', "", document["title"])[:80]
    return f"{name}-第{document['version']}版.json"


def attach_to_item(version: DisclosureVersion, item: AgendaItem, *, actor) -> Attachment:
    """Attach the signed publication to an agenda item that decides on it: the item's notice then
    lists it by name and SHA-256 (the file owners download is the signed publication itself)."""
    assembly = item.assembly
    if assembly.estate_id != version.estate_id:
        raise DisclosureError("这个议题属于另一个小区", "the agenda item belongs to another estate")
    role = actor.role_in(assembly.estate_id) if hasattr(actor, "role_in") else None
    if role is not Role.organiser:
        raise DisclosureError("只有组织者可以把公示附到议题上", "only an organiser attaches a publication to an agenda item")
    require_editable(assembly)
    shown = verified(version)
    if not shown.intact:
        raise DisclosureError("这份公示未通过核验，不能附到议题上", "this publication does not verify and cannot be attached")
    exists = db.session.scalar(
        select(Attachment.id).where(Attachment.kind == "item", Attachment.owner_id == item.id, Attachment.sha256 == version.sha256)
    )
    if exists is not None:
        raise DisclosureError("这份公示已经附在这个议题上", "this publication is already attached to the item")
    data = version.document.encode()
    store_bytes(data)
    attachment = Attachment(
        estate_id=assembly.estate_id,
        assembly_id=assembly.id,
        kind="item",
        owner_id=item.id,
        filename=filename_of(shown.document),
        content_type="application/json",
        size=len(data),
        sha256=version.sha256,
        uploaded_by=getattr(actor, "username", None) or str(actor),
    )
    db.session.add(attachment)
    touch(assembly)
    db.session.flush()
    record(
        "attachment.add",
        actor=actor,
        estate_id=assembly.estate_id,
        obj=attachment,
        kind="item",
        owner=item.id,
        filename=attachment.filename,
        sha256=attachment.sha256,
        size=attachment.size,
    )
    return attachment
