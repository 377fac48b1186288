"""Ranking pages: the district's rules and the start of a period's ranking (platform admins), and
the published rankings for everyone (page, signed JSON, PDF), rendered from the signed bytes."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from webapp.core.db import db
from webapp.core.errors_base import UserError
from webapp.core.extensions import limiter
from webapp.core.roles import admin_required
from webapp.core.serverkey import signing_key
from webapp.core.views import flash_form_errors, run_operation
from webapp.firms.models import Firm
from webapp.inspections import operations as inspections_ops
from webapp.jobs.context import runner_mode
from webapp.jobs.operations import start_job
from webapp.jobs.runner import submit
from webapp.rankings import operations as ops
from webapp.rankings.forms import RankingForm, RuleForm
from webapp.rankings.models import Ranking, RankingRule
from webapp.rankings.wording import BANDS, MEASURES, UNSCORED, measure_text, percent, rule_text

bp = Blueprint("rankings", __name__)


def district_zone() -> str:
    return current_app.config.get("OWNERSVOTE_DISTRICT_TIMEZONE") or "Asia/Shanghai"


@bp.route("/admin/ranking-rules", methods=["GET", "POST"])
@admin_required
def rules():
    form = RuleForm()
    if form.validate_on_submit():
        fields = ops.RuleFields(
            code=form.code.data,
            title=form.title.data,
            score_percent=form.score_percent.data,
            satisfaction_percent=form.satisfaction_percent.data,
            inspections_percent=form.inspections_percent.data or 0,
            satisfied_at=form.satisfied_at.data,
            pass_mark=form.pass_mark.data,
            red_mark=form.red_mark.data,
            fail_periods=form.fail_periods.data,
        )
        done, _rule = run_operation(
            lambda: ops.publish_rule(fields, signer=signing_key(), actor=current_user), _("Rule published and signed.")
        )
        if done:
            return redirect(url_for("rankings.rules"))
    elif form.is_submitted():
        flash_form_errors(form)
    found = list(db.session.scalars(select(RankingRule).order_by(RankingRule.code, RankingRule.version.desc())))
    return render_template("rankings/rules.html", form=form, rules=[(r, ops.rule_document(r)) for r in found], rule_text=rule_text)


@bp.route("/admin/rankings", methods=["GET", "POST"])
@admin_required
def admin():
    form = RankingForm()
    choices = list(db.session.scalars(select(RankingRule).order_by(RankingRule.code, RankingRule.version.desc())))
    form.rule.choices = [(r.id, f"{r.title} (v{r.version})") for r in choices]
    if choices and form.validate_on_submit():

        def start():
            rule = db.session.get(RankingRule, form.rule.data)
            if rule is None:
                raise UserError("请选择考评规则", "choose a rule")
            ops.check_period(rule, form.title.data, form.start.data, form.until.data)
            params = {
                "rule_id": rule.id,
                "title": form.title.data.strip(),
                "from": form.start.data.isoformat(),
                "until": form.until.data.isoformat(),
                "zone": district_zone(),
                "base_url": (current_app.config.get("OWNERSVOTE_BASE_URL") or request.host_url).rstrip("/"),
            }
            return start_job(None, "ranking.publish", params, actor=current_user, runner=runner_mode(current_app))

        done, job = run_operation(start, _("The ranking is being computed and signed."))
        if done:
            submit(job)
            return redirect(url_for("jobs.district_job", job_id=job.id), code=303)
    elif form.is_submitted():
        flash_form_errors(form)
    return render_template("rankings/admin.html", form=form, rules=choices, rankings=ops.published_rankings())


# --- public ---------------------------------------------------------------------------------------


@bp.get("/rankings")
def index():
    return render_template("rankings/index.html", rankings=ops.published_rankings())


def _ranking(ranking_id: int) -> Ranking:
    return db.session.get(Ranking, ranking_id) or abort(404)


@bp.get("/rankings/<int:ranking_id>")
def page(ranking_id: int):
    ranking = _ranking(ranking_id)
    checked = ops.verified(ranking)
    named = [i["document"] for r in (checked.document or {}).get("estates", []) for i in r.get("inspections") or []]
    return render_template(
        "rankings/page.html",
        ranking=ranking,
        checked=checked,
        doc=checked.document,
        inspections=inspections_ops.by_digests(named),  # each named inspection's public record
        rule_text=rule_text,
        measure_text=measure_text,
        percent=percent,
        MEASURES=MEASURES,
        BANDS=BANDS,
        UNSCORED=UNSCORED,
    )


@bp.get("/rankings/firms/<uscc>")
def firm(uscc: str):
    """A firm's score history: its line in every published ranking (the district's register)."""
    found = db.session.scalar(select(Firm).where(Firm.uscc == uscc.upper())) or abort(404)
    return render_template("rankings/firm.html", firm=found, entries=ops.firm_history(found), BANDS=BANDS)


@bp.get("/rankings/<int:ranking_id>/ranking.json")
@limiter.limit("60/minute")
def document(ranking_id: int):
    ranking = _ranking(ranking_id)
    response = current_app.response_class(ranking.document, mimetype="application/json")
    response.headers.set("Content-Disposition", "attachment", filename=f"ranking-{ranking.id}.json")
    return response


@bp.get("/rankings/<int:ranking_id>/ranking.pdf")
@limiter.limit("30/minute")
def pdf(ranking_id: int):
    ranking = _ranking(ranking_id)
    if not ranking.pdf:
        abort(404)
    response = Response(ranking.pdf, mimetype="application/pdf")
    response.headers.set("Content-Disposition", "inline", filename=f"ranking-{ranking.id}.pdf")
    return response
