"""Who may read an attached file.

Documents that a published notice lists (item texts, candidates' photos and statements, bids)
are public: the notice shows their digests so that anyone can check them.  Scans of proxy
letters, paper ballots and paper nominations are for the estate's staff only (they carry
signatures and identity details); an objection's files for staff and the owner who filed it.
"""

from __future__ import annotations

from flask_login import current_user

from webapp.attachments.models import Attachment
from webapp.core.db import db

PUBLIC_KINDS = ("item", "candidate", "photo", "bidder")


def _listed(attachment: Attachment) -> bool:
    from webapp.assemblies.models import Assembly

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


def _staff_of_estate(estate_id: int) -> bool:
    from webapp.auth.models import StaffUser

    user = current_user._get_current_object() if current_user.is_authenticated else None
    return isinstance(user, StaffUser) and (user.is_platform_admin or user.role_in(estate_id) is not None)


def may_read(attachment: Attachment) -> bool:
    if _staff_of_estate(attachment.estate_id):
        return True
    if attachment.kind in PUBLIC_KINDS:
        return _listed(attachment)
    if attachment.kind == "objection" and current_user.is_authenticated:
        from webapp.results.models import Objection

        objection = db.session.get(Objection, attachment.owner_id) if attachment.owner_id else None
        return (
            objection is not None
            and getattr(current_user, "id", None) == objection.registration_id
            and current_user.get_id().startswith("owner:")
        )
    return False
