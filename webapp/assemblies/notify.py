"""Telling owners that a notice was published (their page, and a text where they opted in)."""

from __future__ import annotations

from flask import url_for

from webapp.core.db import db
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


def _organiser():
    from flask_login import current_user

    return current_user._get_current_object()
