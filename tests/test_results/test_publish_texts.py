"""Publishing tells owners: a line on every registered owner's page, and a text to those who gave a
number for notices.  Texts cannot be taken back, so they go in a job of their own that starts only
after the publication has committed: a publication that fails sends nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from tests.factories import certify_as, count, state, tallied
from webapp.jobs.models import Job
from webapp.owners.models import Notification, Registration


@pytest.fixture
def certified(voting, app):
    """A certified assembly; 张三 (1-101) gave a number for notices, 李四 did not."""
    from webapp.owners.notifications import set_phone

    s = voting
    tallied(s)
    assert certify_as(s, "supervisor") == 200
    assert state(s) == "certified"
    with app.test_request_context():
        zhang = s.db.scalar(select(Registration).where(Registration.entered_name == "张三"))
        set_phone(zhang, "138 1234 5678")
    s.db.commit()
    backend = app.extensions.get("ownersvote_sms")
    s.sent_before = len(backend.sent) if backend else 0
    s.as_staff("organiser")
    return s


def texts_sent(app, s) -> list[tuple[str, str]]:
    backend = app.extensions.get("ownersvote_sms")
    return backend.sent[s.sent_before :] if backend else []


def test_publishing_tells_owners_on_their_page_and_texts_come_from_a_job_started_after_it(certified, app):
    s = certified
    response = s.post(f"/e/{s.estate.slug}/assemblies/{s.assembly_id}/results/publish")
    assert response.status_code in (302, 303)
    assert state(s) == "published"
    publish = s.db.scalar(select(Job).where(Job.kind == "publish"))
    texts = s.db.scalar(select(Job).where(Job.kind == "texts"))
    assert publish.state == "done"
    assert texts is not None
    assert texts.state == "done"
    assert f"短信由任务 #{texts.id} 发送" in publish.message_zh
    assert texts.created_at >= publish.created_at
    sent = texts_sent(app, s)
    assert [phone for phone, _ in sent] == ["13812345678"]
    assert "表决结果已公示" in sent[0][1]
    assert f"/p/{s.estate.slug}/a/{s.assembly_id}/results" in sent[0][1]
    assert count(s, Notification, Notification.kind == "result") == 2  # both registered owners


def test_a_publication_whose_commit_fails_sends_no_text_and_queues_none(certified, app, monkeypatch):
    from webapp.jobs import runner

    def database_gone(ctx, kind):
        raise OperationalError("COMMIT", {}, Exception("server closed the connection unexpectedly"))

    monkeypatch.setattr(runner, "_finish", database_gone)
    s = certified
    s.post(f"/e/{s.estate.slug}/assemblies/{s.assembly_id}/results/publish")
    publish = s.db.scalar(select(Job).where(Job.kind == "publish"))
    s.db.refresh(publish)
    assert publish.state == "failed"
    assert "数据库" in publish.error_zh
    assert state(s) == "certified"
    assert count(s, Job, Job.kind == "texts") == 0
    assert texts_sent(app, s) == []
    assert count(s, Notification, Notification.kind == "result") == 0
