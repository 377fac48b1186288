"""Who may read an objection's files besides the estate's staff: the owner who filed it."""

from __future__ import annotations

from flask_login import current_user

from webapp.attachments.models import Attachment
from webapp.core.db import db
from webapp.core.roles import is_owner
from webapp.results.models import Objection


def may_read_objection_file(attachment: Attachment) -> bool:
    if not is_owner():
        return False
    objection = db.session.get(Objection, attachment.owner_id) if attachment.owner_id else None
    return objection is not None and current_user.id == objection.registration_id
