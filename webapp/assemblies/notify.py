"""Telling owners that a notice was published (their page, and a text where they opted in)."""

from __future__ import annotations

from flask import url_for

from webapp.core.db import db
from webapp.core.timefmt import local
from webapp.jobs.context import runner_mode
from webapp.jobs.operations import start_job
from webapp.jobs.runner import submit
from webapp.owners.notifications import notify, sms_numbers


def notify_owners(assembly, notice) -> None:
    estate = assembly.estate
    url = url_for("assemblies.notice", slug=estate.slug, assembly_id=assembly.id)
    if notice.version == 1:
        zh, en = f"业主大会公告：{assembly.title}", f"Notice of the owners' assembly: {assembly.title}"
    else:
        zh, en = f"公告已更新（第 {notice.version} 版）：{assembly.title}", f"Notice updated (version {notice.version}): {assembly.title}"
    notify(estate.id, kind="notice", zh=zh, en=en, url=url, assembly_id=assembly.id)
    db.session.commit()
    numbers = sms_numbers(estate.id)
    if numbers:
        text = f"【{estate.name}】{zh}。请登录业主表决查看：{url_for('assemblies.notice', slug=estate.slug, assembly_id=assembly.id, _external=True)}"
        from flask import current_app

        job = start_job(estate, "texts", {"text": text}, actor=_organiser(), runner=runner_mode(current_app))
        db.session.commit()
        submit(job)


def notify_call_for_candidates(assembly) -> None:
    """A line on every registered owner's page: the organisers call for candidates (the caller
    commits, with the call itself)."""
    estate = assembly.estate
    elections = "、".join(i.title for i in assembly.items if i.form == "election")
    zh, en = f"征集候选人：{assembly.title}（{elections}）", f"Call for candidates: {assembly.title}"
    if assembly.nomination_deadline is not None:
        zh += f"，提名截止 {local(assembly.nomination_deadline, estate)}"
        en += f"; nominations close {local(assembly.nomination_deadline, estate)}"
    url = url_for("candidates.nominate", assembly_id=assembly.id)
    notify(estate.id, kind="nominations", zh=zh, en=en, url=url, assembly_id=assembly.id)


def _organiser():
    from flask_login import current_user

    return current_user._get_current_object()
