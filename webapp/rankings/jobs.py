"""The ranking of a period, as a background job: a district has many estates, each result is
checked before its numbers are taken, and the notice-board PDF is made from the signed document."""

from __future__ import annotations

from datetime import date, timedelta

from flask_babel import lazy_gettext as _l

from crypto import ranking as rk
from webapp.core.db import db, utcnow
from webapp.core.errors_base import UserError
from webapp.core.serverkey import signing_key
from webapp.jobs.context import JobContext
from webapp.jobs.kinds import job_kind
from webapp.rankings import operations as ops
from webapp.rankings import reselection
from webapp.rankings.models import RankingRule
from webapp.rankings.pdf import render_ranking


def _describe(params: dict) -> str:
    return params.get("title", "")


def _page(params: dict) -> dict:
    return {}


@job_kind(
    "ranking.publish",
    title=_l("Ranking of firms"),
    start=(),
    view=(),
    admin=True,
    timeout=timedelta(minutes=30),
    describe=_describe,
    back_endpoint="rankings.admin",
    back_args=_page,
    back_title=_l("the rankings"),
)
def publish_ranking(ctx: JobContext, params: dict) -> None:
    """Rank every estate's firm for one period by one rule, sign it, keep it with its PDF."""
    rule = db.session.get(RankingRule, params.get("rule_id"))
    if rule is None:
        raise UserError("没有这条考评规则", "no such rule")
    period = ops.period_of(params["title"], date.fromisoformat(params["from"]), date.fromisoformat(params["until"]), params["zone"])
    ops.check_period(rule, period["title"], date.fromisoformat(period["from"]), date.fromisoformat(period["until"]))
    rule_doc, rule_id = ops.rule_document(rule), rule.id
    ctx.progress(0, 1, "正在收集各小区的测评结果", "Gathering every estate's evaluation results", force=True)
    sources = ops.gather(period)
    db.session.rollback()  # what follows only reads what was gathered (progress can be written)
    total = len(sources) + 1
    rows = []
    for n, source in enumerate(sources, start=1):
        rows.append(source.row(ops.inputs_of(source, rule_doc)))
        ctx.progress(n, total, f"正在核验并计分：{source.estate_name}", f"Checking and scoring: {source.estate_name}")
    published = int(utcnow().timestamp() * 1000)
    document = rk.sign_ranking(signing_key(published), rk.build(rule_doc, period, rows, published=published))
    ctx.progress(len(sources), total, "正在生成公告 PDF", "Making the notice-board PDF", force=True)
    ctx.begin_writing()
    ranking = ops.store(db.session.get(RankingRule, rule_id), document, actor=ctx.actor)
    drafts = reselection.prepare(ranking, rule_doc["fail_periods"], now=utcnow())
    page_url = params.get("base_url", "").rstrip("/") + f"/rankings/{ranking.id}"
    pdf = render_ranking(document, ranking.sha256, page_url=page_url)
    ops.attach_pdf(ranking, pdf)
    ctx.progress(total, total, force=True)
    ctx.save_result(f"{period['title']}-物业服务企业考评排名.pdf", pdf, "application/pdf")
    rows_out = document["estates"]
    red = sum(1 for r in rows_out if r["band"] == "red")
    black = sum(1 for r in rows_out if r["band"] == "black")
    zh = f"已公布：{len(rows_out)} 个小区，红榜 {red}，黑榜 {black}。"
    en = f"Published: {len(rows_out)} estates, {red} on the red list, {black} on the black list."
    if drafts:
        names = "、".join(d.estate.name for d in drafts)
        zh += f"连续 {rule_doc['fail_periods']} 期不及格，已为以下小区准备重新选聘的业主大会草稿：{names}。"
        en += (
            f" {len(drafts)} estate(s) failed {rule_doc['fail_periods']} consecutive periods: a re-selection draft is prepared for {names}."
        )
    ctx.done(zh, en)
