"""How a page names a stored file for people: what it is, its kind, size and upload day, never
its digest (which the audit log keeps)."""

from __future__ import annotations

from flask_babel import gettext as _

from webapp.attachments.models import Attachment
from webapp.core.timefmt import local_date

KINDS = {"application/pdf": "PDF", "image/png": "PNG", "image/jpeg": "JPEG"}


def size_words(size: int) -> str:
    """1.2 MB, 35 KB (never 0 KB)."""
    if size >= 1024 * 1024:
        return _("%(n).1f MB", n=size / 1024 / 1024)
    return _("%(n)d KB", n=max(1, size // 1024))


def file_label(attachment: Attachment | None, what: str, tz: object = None) -> str:
    """``what`` (say 委托书扫描件) with the file's kind, size and upload day:
    委托书扫描件（PDF，35 KB，2026-12-07 上传）."""
    if attachment is None:
        return what
    return _(
        "%(what)s (%(kind)s, %(size)s, uploaded %(day)s)",
        what=what,
        kind=KINDS.get(attachment.content_type, attachment.content_type),
        size=size_words(attachment.size),
        day=local_date(attachment.created_at, tz),
    )
