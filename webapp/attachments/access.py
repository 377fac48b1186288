"""Who may read an attached file.

The estate's staff read every file of their estate.  For anyone else, the package that owns a
kind of attachment says who may read it, by registering a reader from its ``init_app``
(``register_reader("objection", ...)``): documents a published notice lists are public (the
assemblies package), an objection's files are for the owner who filed it (results), and scans
of proxy letters, paper ballots and paper nominations have no reader, so only staff see them
(they carry signatures and identity details).
"""

from __future__ import annotations

from collections.abc import Callable

from flask_login import current_user

from webapp.attachments.models import Attachment
from webapp.core.roles import is_staff

Reader = Callable[[Attachment], bool]
_READERS: dict[str, Reader] = {}


def register_reader(kind: str, reader: Reader) -> None:
    """``reader(attachment)`` says whether the current user, not staff of the estate, may read
    an attachment of ``kind``."""
    if _READERS.get(kind, reader) is not reader:
        raise RuntimeError(f"attachments of kind {kind!r} already have a reader")
    _READERS[kind] = reader


def _staff_of_estate(estate_id: int) -> bool:
    return is_staff() and (current_user.is_platform_admin or current_user.role_in(estate_id) is not None)


def may_read(attachment: Attachment) -> bool:
    if _staff_of_estate(attachment.estate_id):
        return True
    reader = _READERS.get(attachment.kind)
    return reader is not None and reader(attachment)
