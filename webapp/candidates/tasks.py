"""What of the candidates waits for a supervisor (webapp.estates.tasks): nominations submitted
and not yet decided, by assembly."""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from webapp.assemblies.models import Assembly
from webapp.candidates.models import Candidate
from webapp.core.db import db
from webapp.core.roles import Role
from webapp.estates.models import Estate
from webapp.estates.tasks import Task


def waiting(estate: Estate, user, role: Role) -> list[Task]:
    if role is not Role.supervisor:
        return []
    rows = db.session.execute(
        select(Assembly.id, Assembly.title, func.count(Candidate.id))
        .join(Candidate, Candidate.assembly_id == Assembly.id)
        .where(Assembly.estate_id == estate.id, Candidate.state == "submitted")
        .group_by(Assembly.id, Assembly.title)
        .order_by(Assembly.id)
    )
    return [
        Task(
            _("Candidates for “%(title)s” waiting for your decision: %(num)d", title=title, num=count),
            url_for("candidates.manage", slug=estate.slug, assembly_id=assembly_id),
        )
        for assembly_id, title, count in rows
    ]
