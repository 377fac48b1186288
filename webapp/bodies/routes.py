"""The estate's organising body: its current term, the history, and (for the platform and the
supervisors) the record of a new term."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from webapp.bodies import operations as ops
from webapp.bodies.forms import BodyForm
from webapp.core.i18n import Bilingual
from webapp.core.roles import Role
from webapp.core.views import flash_form_errors, run_operation
from webapp.estates.access import estate_view
from webapp.estates.models import Estate

bp = Blueprint("bodies", __name__)


def may_record(estate: Estate) -> bool:
    return current_user.is_platform_admin or current_user.role_in(estate.id) is Role.supervisor


@bp.route("/e/<slug>/organising-body", methods=["GET", "POST"])
@estate_view(Role.organiser, Role.supervisor)
def page(estate: Estate):
    form = BodyForm()
    if form.is_submitted():
        if form.validate():
            done, _body = run_operation(
                lambda: ops.record_body(
                    estate,
                    kind=form.kind.data,
                    title=form.title.data,
                    members=ops.parse_members(form.members.data or ""),
                    term_start=form.term_start.data,
                    term_end=form.term_end.data,
                    basis=form.basis.data,
                    actor=current_user,
                ),
                _("The new term is recorded. Notices, letters, ballot sheets and results name this body from the day it begins."),
            )
            if done:
                return redirect(url_for("bodies.page", slug=estate.slug))
        else:
            flash_form_errors(form)
    warning = ops.term_warning(estate)
    return render_template(
        "bodies/page.html",
        estate=estate,
        form=form,
        current=ops.current_body(estate),
        history=ops.history(estate),
        name_now=ops.organiser_name(estate),
        warning=Bilingual(*warning) if warning else None,
        may_record=may_record(estate),
        kind_words=ops.kind_words,
        display_name=ops.display_name,
    )
