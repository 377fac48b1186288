"""Which files of an assembly the public may read: those a published notice lists (by digest)."""

from __future__ import annotations

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
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return False
