"""What of the results waits for a supervisor (webapp.estates.tasks): a tallied assembly whose
tally they have not certified and may certify."""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import exists, select

from webapp.assemblies.models import Assembly
from webapp.core.db import db
from webapp.core.roles import Role
from webapp.estates.models import Estate
from webapp.estates.tasks import Task
from webapp.results.models import Certification
from webapp.results.operations import voted_as_owner


def waiting(estate: Estate, user, role: Role) -> list[Task]:
    if role is not Role.supervisor:
        return []
    certified = exists().where(Certification.assembly_id == Assembly.id, Certification.staff_user_id == user.id)
    tallied = db.session.scalars(
        select(Assembly).where(Assembly.estate_id == estate.id, Assembly.state == "tallied", ~certified).order_by(Assembly.closes_at)
    )
    return [
        Task(
            _("The tally of “%(title)s” waits for your certification", title=assembly.title),
            url_for("results.certify_page", slug=estate.slug, assembly_id=assembly.id),
        )
        for assembly in tallied
        # One who voted as an owner may not certify (unless the estate allows it): not their task.
        if estate.voters_may_certify or not voted_as_owner(assembly, user)
    ]
