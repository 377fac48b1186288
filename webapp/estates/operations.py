from __future__ import annotations

import re

from sqlalchemy import select

from webapp.audit.operations import record
from webapp.core.db import db
from webapp.core.errors_base import UserError
from webapp.estates.models import Estate
from webapp.estates.thresholds import check_estate_thresholds

_SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")


class EstateError(UserError):
    pass


def get_estate(slug: str) -> Estate | None:
    return db.session.scalar(select(Estate).where(Estate.slug == slug))


# A new estate starts from the national conditions for committee members (业主大会和业主委员会
# 指导规则 Art. 31); its rules of procedure may add local ones in the settings.
DEFAULT_ELIGIBILITY = (
    {"zh": "本物业管理区域内的业主，具有完全民事行为能力", "en": "An owner in this estate with full civil capacity"},
    {"zh": "遵守国家有关法律、法规", "en": "Abides by the law"},
    {
        "zh": "遵守业主大会议事规则、管理规约，模范履行业主义务",
        "en": "Abides by the assembly's rules and the estate covenant and fulfils an owner's duties",
    },
    {"zh": "热心公益事业，责任心强，公正廉洁", "en": "Committed to the common good, responsible, fair and honest"},
    {"zh": "具有一定的组织能力和必要的工作时间", "en": "Able to organise and has the time the work needs"},
)


def create_estate(slug: str, name: str, *, actor=None, timezone: str = "Asia/Shanghai") -> Estate:
    slug = slug.strip().lower()
    if not _SLUG_RE.match(slug):
        raise EstateError("标识只能包含小写字母、数字和连字符（2–63 个字符）", "slug must be 2-63 lowercase letters, digits or hyphens")
    if not name.strip():
        raise EstateError("请填写小区名称", "name is required")
    if get_estate(slug):
        raise EstateError(f"标识 {slug} 已被使用", f"slug {slug} is already taken")
    estate = Estate(
        slug=slug,
        name=name.strip(),
        timezone=timezone,
        roll_signatures_required=1,
        eligibility_rules=[dict(rule) for rule in DEFAULT_ELIGIBILITY],
    )
    db.session.add(estate)
    db.session.flush()
    record("estate.create", actor=actor, estate_id=estate.id, obj=estate, slug=slug, name=estate.name)
    return estate


SETTINGS = (
    "name",
    "roll_signatures_required",
    "sms_required",
    "letter_valid_days",
    "organiser_label",
    "help_text",
    "help_phone",
    "counting_rule",
    "thresholds",
    "alternates",
    "tally_signatures_required",
    "notice_period_days",
    "candidate_publication_days",
    "results_publication_days",
    "eligibility_rules",
    "party_target_percent",
    "turnout_public",
    "voters_may_certify",
    "proxy_cap",
    "objection_cap",
    "publish_batch",
    "petition_area_percent",
    "petition_heads_percent",
    "petition_window_days",
    "petition_convene_days",
    "term_reminder_months",
)
# (lowest, highest) for the numbers among them, with how to say the field's name.
RANGES = {
    "roll_signatures_required": (1, 9, "所需签名数", "signatures required"),
    "tally_signatures_required": (1, 9, "核证计票所需签名数", "signatures a tally needs"),
    "letter_valid_days": (1, 365, "告知书有效天数", "letter validity (days)"),
    "alternates": (0, 11, "候补委员人数", "alternates"),
    "notice_period_days": (0, 90, "公告期天数", "notice period (days)"),
    "candidate_publication_days": (1, 60, "候选人公示天数", "candidates' publication (days)"),
    "results_publication_days": (1, 90, "结果公示天数", "results' publication (days)"),
    "party_target_percent": (0, 100, "党员比例目标", "party-membership target (%)"),
    "proxy_cap": (1, 20, "每人可代理的业主数", "owners one proxy may represent"),
    "objection_cap": (1, 20, "每位业主对一次结果可提出的异议数", "objections one owner may file against one result"),
    "publish_batch": (1, 1000, "投票情况分批公布的最少票数", "ballots per published batch"),
    "petition_area_percent": (1, 100, "提议临时会议所需的专有部分面积比例", "share of the area a petition needs (%)"),
    "petition_heads_percent": (1, 100, "提议临时会议所需的业主人数比例", "share of the heads a petition needs (%)"),
    "petition_window_days": (1, 180, "提议征集签名的天数", "days a petition collects signatures"),
    "petition_convene_days": (1, 90, "提议达到比例后召开临时会议的期限（天）", "days to convene once a petition succeeds"),
    "term_reminder_months": (1, 24, "换届提醒提前的月数", "months ahead of the term's end the supervisors are reminded"),
}

# 业主大会和业主委员会指导规则 Art. 21: owners holding 20% of the exclusive area and 20% of the heads
# may require an extraordinary meeting.  An estate's rules may ask for less, never for more.
STATUTE_PETITION_PERCENT = 20


def _petition_share(field: str, value: int) -> None:
    if value > STATUTE_PETITION_PERCENT:
        what_zh, what_en = ("专有部分面积", "exclusive area") if field == "petition_area_percent" else ("业主人数", "heads")
        raise EstateError(
            f"提议召开业主大会临时会议所需的{what_zh}比例不能高于法定的 {STATUTE_PETITION_PERCENT}%（设为 {value}%）："
            f"《业主大会和业主委员会指导规则》第二十一条规定，专有部分占建筑物总面积 20% 以上且占总人数 20% 以上的业主提议，"
            f"业主委员会应当组织召开临时会议；议事规则只能降低这一比例。请填写 1 到 {STATUTE_PETITION_PERCENT} 之间的数。",
            f"A petition for an extraordinary meeting cannot need more than the statute's {STATUTE_PETITION_PERCENT}% of the {what_en} "
            f"(set to {value}%): owners holding 20% of the exclusive area and 20% of the heads may always require one "
            f"(Guiding Rules for Owners' Assemblies and Committees, Art. 21), and an estate's rules may only lower that. "
            f"Enter a number from 1 to {STATUTE_PETITION_PERCENT}.",
        )


# The statute's notice period: an assembly is notified to every owner at least 15 days before
# it meets (物业管理条例 Art. 13); an estate's rules of procedure may set another (SPEC §4).
STATUTE_NOTICE_DAYS = 15


def notice_period_warning(days: int | None) -> tuple[str, str] | None:
    """What to tell whoever sets a notice period shorter than the statute's (None otherwise):
    allowed, since the estate's own rules may say so, but never without a word."""
    if days is None or days >= STATUTE_NOTICE_DAYS:
        return None
    return (
        f"公告期为 {days} 天，短于法定的 {STATUTE_NOTICE_DAYS} 天（《物业管理条例》第十三条：业主大会会议应于召开 15 日以前通知全体业主）。"
        "只有本小区议事规则另有规定时才能这样设置；否则据此召开的会议，其决定可能被业主请求撤销。",
        f"The notice period is {days} days, shorter than the statute's {STATUTE_NOTICE_DAYS} (Property Management Regulations, "
        "Art. 13: owners are notified 15 days before an assembly). Set it only if the estate's rules of procedure say so; "
        "otherwise an owner may ask a court to annul the decisions of an assembly held on it.",
    )


def update_settings(estate: Estate, *, actor, **values) -> dict:
    """Change the estate's settings; the audit event records every value before and after."""
    changes = {}
    for field in SETTINGS:
        if field not in values:
            continue
        new = values[field]
        if isinstance(new, str):
            new = new.strip() or (None if field != "name" else new)
        if field in RANGES and not (new is None and field == "party_target_percent"):
            low, high, zh, en = RANGES[field]
            if not (isinstance(new, int) and not isinstance(new, bool) and low <= new <= high):
                raise EstateError(f"{zh}须在 {low} 到 {high} 之间", f"{en} must be between {low} and {high}")
        if field in ("petition_area_percent", "petition_heads_percent"):
            _petition_share(field, new)
        if field == "thresholds":
            new = check_estate_thresholds(new or {}, values.get("alternates", estate.alternates) or 0)
        if field == "eligibility_rules":
            new = _eligibility(new or [], estate.eligibility_rules or [])
        old = getattr(estate, field)
        if old != new:
            changes[field] = {"from": old, "to": new}
            setattr(estate, field, new)
    if changes:
        db.session.flush()
        record("estate.settings", actor=actor, estate_id=estate.id, obj=estate, changes=changes)
    return changes


def _eligibility(lines: list, existing: list) -> list[dict]:
    """Rules as typed (one language) matched to the bilingual rules already kept, so that saving
    the form in English does not overwrite the Chinese text of an unchanged rule."""
    known = {}
    for rule in existing:
        for text in (rule.get("zh"), rule.get("en")):
            if text:
                known[text.strip()] = rule
    out = []
    for line in lines:
        if isinstance(line, dict):
            if (line.get("zh") or "").strip():
                out.append(line)
            continue
        text = str(line).strip()
        if text:
            out.append(dict(known.get(text) or {"zh": text, "en": text}))
    return out
