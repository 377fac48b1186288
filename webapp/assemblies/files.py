"""An assembly's files as its notice lists them (name and digest), and which of them the public may
read: those a published notice lists."""

from __future__ import annotations

from sqlalchemy import select

from webapp.assemblies.models import Assembly
from webapp.attachments.models import Attachment
from webapp.core.db import db


def listed_in_notice(attachment: Attachment) -> bool:
    assembly = db.session.get(Assembly, attachment.assembly_id) if attachment.assembly_id else None
    if assembly is None or assembly.current_notice is None:
        return False
    stack = [assembly.current_notice.document]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if node.get("sha256") == attachment.sha256 and "name" in node:
                return True
            if node.get("attachment_sha256") == attachment.sha256:  # a plan's document
                return True
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return False


def attachments_of(kind: str, owner_id: int) -> list[dict]:
    """The files of one row (an item, a candidate, a bidder) as the notice lists them."""
    rows = db.session.scalars(select(Attachment).where(Attachment.kind == kind, Attachment.owner_id == owner_id).order_by(Attachment.id))
    return [{"name": a.filename, "sha256": a.sha256} for a in rows]


def files_by_sha(assembly: Assembly) -> dict[str, int]:
    """The assembly's stored files by SHA-256, as the notice names them: their ids."""
    return {a.sha256: a.id for a in db.session.scalars(select(Attachment).where(Attachment.assembly_id == assembly.id))}
