"""What of the results waits for the estate's staff (webapp.estates.tasks): for an organiser, a
vote that has closed and waits for its tally, and a certified result that waits to be published;
for a supervisor, a tallied assembly whose tally they have not certified and may certify."""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import exists, or_, select

from webapp.assemblies.models import Assembly
from webapp.core import db as database
from webapp.core.db import db
from webapp.core.roles import Role
from webapp.estates.models import Estate
from webapp.estates.tasks import Task
from webapp.results.models import Certification
from webapp.results.operations import voted_as_owner


def waiting(estate: Estate, user, role: Role) -> list[Task]:
    if role is Role.organiser:
        return _for_organiser(estate)
    if role is Role.supervisor:
        return _for_supervisor(estate, user)
    return []


def _for_organiser(estate: Estate) -> list[Task]:
    # A vote past its close counts as closed here even before a request has moved its state
    # (the results page does that when it opens).
    due = or_(Assembly.state.in_(("closed", "certified")), (Assembly.state == "voting") & (Assembly.closes_at <= database.db_now()))
    tasks = []
    for assembly in db.session.scalars(select(Assembly).where(Assembly.estate_id == estate.id, due).order_by(Assembly.closes_at)):
        url = url_for("results.manage", slug=estate.slug, assembly_id=assembly.id)
        if assembly.state == "certified":
            tasks.append(Task(_("“%(title)s” is certified and waits for you to publish its result", title=assembly.title), url))
        else:
            tasks.append(Task(_("Voting on “%(title)s” has closed and waits for you to compute the tally", title=assembly.title), url))
    return tasks


def _for_supervisor(estate: Estate, user) -> list[Task]:
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
