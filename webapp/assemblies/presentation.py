"""What assembly pages show, gathered without a request: the verified notice, the rules in words."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from crypto.errors import CryptoError
from crypto.notice import verify_notice
from webapp.assemblies.models import Assembly, NoticeVersion
from webapp.bodies.operations import organiser_name
from webapp.core.db import db
from webapp.core.serverkey import key_set
from webapp.estates.thresholds import CATEGORIES, thresholds_for


@dataclass
class VerifiedNotice:
    version: NoticeVersion
    document: dict
    problems: list[tuple[str, str]] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.problems


def verified(version: NoticeVersion) -> VerifiedNotice:
    """A published notice, checked against the server's signature and its recorded digest before
    any page shows it as published."""

    document = dict(version.document or {})
    result = VerifiedNotice(version, document)
    try:
        # The key the notice names, valid when it was published (a key rotated out since still verifies).
        digest = verify_notice(document, key_set().jwk_at(document.get("kid"), document.get("published_at")))
    except (CryptoError, ValueError) as exc:
        result.problems.append(("公告与服务器签名不符：内容被改动过", f"the notice does not match the server's signature: {exc}"))
        return result
    if digest != version.sha256:
        result.problems.append(("公告摘要与记录不符", "the notice's digest differs from the one recorded"))
    return result


def rules_text(category: int, rules: dict | None, zh: bool) -> str:
    return thresholds_for(category, (rules or {}).get("thresholds")).explain(zh)


def threshold_line(category: int, rules: dict | None, zh: bool) -> str:
    return thresholds_for(category, (rules or {}).get("thresholds")).in_one_line(zh)


def category_name(number: int, zh: bool) -> str:
    c = CATEGORIES[number]
    return c.zh if zh else c.en


def estate_assemblies(estate) -> list[Assembly]:
    """The estate's assemblies, newest first, as stored: a page calls
    :func:`webapp.assemblies.lifecycle.advance_estate` (and commits) before it reads them."""
    return list(db.session.scalars(select(Assembly).where(Assembly.estate_id == estate.id).order_by(Assembly.opens_at.desc())))


def public_assemblies(estate) -> list[Assembly]:
    return [a for a in estate_assemblies(estate) if a.state != "draft"]


def convener(assembly: Assembly) -> str:
    """The organising body that convenes the assembly, as its notice, ballot sheets and result
    name it: the body in force when the notice was first published (today, before that)."""
    first = assembly.notices[0].published_at if assembly.notices else None
    return organiser_name(assembly.estate, first)
