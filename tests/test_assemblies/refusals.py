"""Helpers for the tests of refusals: what the person is told, and proof that nothing was written.

A refusal must leave the database exactly as it was: no new row, no changed row, and no audit
event for the refused action.  ``nothing_written`` compares every row of the tables an assembly's
work touches before and after.
"""

from __future__ import annotations

import html
import re
from contextlib import contextmanager

from sqlalchemy import select

WATCHED = ("estates", "assemblies", "agenda_items", "bidders", "notice_versions", "candidates", "attachments", "audit_events")


def rows(db_session) -> dict[str, list[tuple]]:
    from webapp.core.db import db

    db_session.expire_all()
    return {name: sorted((tuple(row) for row in db_session.execute(select(db.metadata.tables[name])).all()), key=repr) for name in WATCHED}


@contextmanager
def nothing_written(db_session):
    before = rows(db_session)
    yield
    after = rows(db_session)
    for name in WATCHED:
        added = [row for row in after[name] if row not in before[name]]
        removed = [row for row in before[name] if row not in after[name]]
        assert after[name] == before[name], f"{name} changed: added {added}, removed {removed}"


def text_of(response) -> str:
    """The page's visible text, unescaped, whitespace collapsed."""
    page = response.get_data(as_text=True) if not isinstance(response, str) else response
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def errors(response) -> list[str]:
    """The error messages on a page: flashed, or next to the field they are about."""
    page = response.get_data(as_text=True) if not isinstance(response, str) else response
    found = re.findall(r'<p class="(?:flash flash-error|error)"[^>]*>(.*?)</p>', page, re.S)
    return [re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", "", m))).strip() for m in found]


def english(s) -> None:
    """Switch the browser to English (the language switch in the page's header)."""
    assert s.post("/lang", {"lang": "en"}).status_code == 302
