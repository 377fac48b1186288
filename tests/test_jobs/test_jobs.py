"""Background jobs: their life (queued → running → done or failed), dead workers, retries, and
who may see a job, its status and its result.  Jobs run inline here (tests/conftest.py); the RQ
path with a real worker is in test_jobs_rq.py, the in-process thread in the browser tests."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.factories import GOOD, queue
from webapp.audit.models import AuditEvent
from webapp.core.db import utcnow
from webapp.core.errors_base import UserError
from webapp.core.roles import Role
from webapp.jobs import operations as ops
from webapp.jobs.context import files_root, safe_filename, side_session
from webapp.jobs.kinds import get_kind
from webapp.jobs.models import Job
from webapp.jobs.runner import run_job
from webapp.registry.importing import import_file


@pytest.fixture
def two_estates(make_estate, make_staff, db_session):
    a, b = make_estate("estate-a", "甲小区"), make_estate("estate-b", "乙小区")
    import_file(a, GOOD, "a.csv", actor="test")
    import_file(b, GOOD, "b.csv", actor="test")
    db_session.commit()
    return {
        "a": a,
        "b": b,
        "org-a": make_staff("org-a", estate=a, role="organiser"),
        "sup-a": make_staff("sup-a", estate=a, role="supervisor"),
        "org-b": make_staff("org-b", estate=b, role="organiser"),
        "root": make_staff("root", admin=True),
    }


def fresh(db_session, job: Job) -> Job:
    db_session.expire_all()
    return db_session.get(Job, job.id)


# ------------------------------------------------------------------------------------------
# Life of a job


def test_a_job_goes_from_queued_to_running_to_done_with_its_progress_and_result(db_session, two_estates, kinds):
    seen = []

    def work(ctx, params):
        session = side_session()  # what the job page would read meanwhile
        seen.append(session.get(Job, ctx.job_id).state)
        session.close()
        for step in range(1, params["steps"] + 1):
            ctx.progress(step, params["steps"], f"第 {step} 步", f"step {step}", force=True)
            session = side_session()
            row = session.get(Job, ctx.job_id)
            seen.append((row.progress_done, row.progress_total, row.message_en))
            session.close()
        ctx.save_result("报告 2026/11.txt", b"all good", "text/plain")

    kinds("test.ok", work)
    job = queue(db_session, two_estates["a"], "test.ok", two_estates["org-a"], {"steps": 3})
    assert job.state == "queued"
    assert job.attempts == 1
    assert run_job(job.id, 1) == "done"
    job = fresh(db_session, job)
    assert seen == ["running", (1, 3, "step 1"), (2, 3, "step 2"), (3, 3, "step 3")]
    assert job.state == "done"
    assert job.percent == 100
    assert job.started_at <= job.finished_at
    assert job.result_name == "报告-2026-11.txt"
    assert job.result_size == 8
    import hashlib

    assert job.result_sha256 == hashlib.sha256(b"all good").hexdigest()
    path = files_root() / job.result_file
    assert path.read_bytes() == b"all good"
    assert (path.stat().st_mode & 0o077) == 0
    assert db_session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "job.start")) == 1


def test_a_job_that_refuses_fails_with_its_reason_in_both_languages_and_saves_nothing(db_session, two_estates, kinds):
    from webapp.audit.operations import record

    def work(ctx, params):
        record("test.change", actor="job", estate_id=ctx.estate_id)  # a change that must not stay
        ctx.save_result("half.txt", b"half", "text/plain")
        raise UserError("房屋清单为空", "the registry is empty")

    kinds("test.refuse", work)
    job = queue(db_session, two_estates["a"], "test.refuse", two_estates["org-a"])
    assert run_job(job.id, 1) == "failed"
    job = fresh(db_session, job)
    assert (job.state, job.error_zh, job.error_en) == ("failed", "房屋清单为空", "the registry is empty")
    assert job.result_file is None
    assert not any((files_root() / str(job.estate_id)).glob(f"job-{job.id}-*"))
    assert db_session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "test.change")) == 0


def test_an_unexpected_exception_fails_the_job_without_showing_its_internals(db_session, two_estates, kinds, caplog):
    def work(ctx, params):
        raise RuntimeError("password=hunter2 in a traceback")

    kinds("test.crash", work)
    job = queue(db_session, two_estates["a"], "test.crash", two_estates["org-a"])
    assert run_job(job.id, 1) == "failed"
    job = fresh(db_session, job)
    assert job.state == "failed"
    assert "RuntimeError" in job.error_en
    assert "意外出错" in job.error_zh
    assert "hunter2" not in job.error_en + job.error_zh
    assert "hunter2" in caplog.text  # the technicians have it in the log


def test_a_job_runs_once_even_when_two_runners_are_handed_it(db_session, two_estates, kinds):
    runs = []
    kinds("test.once", lambda ctx, params: runs.append(ctx.attempt))
    job = queue(db_session, two_estates["a"], "test.once", two_estates["org-a"])
    assert run_job(job.id, 1) == "done"
    assert run_job(job.id, 1) == "skipped"
    assert runs == [1]


def test_a_running_job_without_heartbeat_for_two_minutes_is_shown_and_stored_as_failed(client, login, db_session, two_estates, kinds):
    kinds("test.slow", lambda ctx, params: None)
    job = queue(db_session, two_estates["a"], "test.slow", two_estates["org-a"])
    job.state, job.started_at = "running", utcnow() - timedelta(minutes=5)
    job.heartbeat_at = utcnow() - timedelta(minutes=1)
    db_session.commit()
    login("org-a")
    status = client.get(f"/e/estate-a/jobs/{job.id}/status").get_json()
    assert status["state"] == "running"  # one minute without a beat: still alive
    job = fresh(db_session, job)
    job.heartbeat_at = utcnow() - timedelta(minutes=2, seconds=5)
    db_session.commit()
    status = client.get(f"/e/estate-a/jobs/{job.id}/status").get_json()
    assert status["state"] == "failed"
    assert "停止了响应" in status["error"]
    assert fresh(db_session, job).state == "failed"
    assert "重试" in client.get(f"/e/estate-a/jobs/{job.id}").get_data(as_text=True)


def test_dead_jobs_are_told_from_slow_ones_by_heartbeat_job_timeout_and_queue_wait():
    from types import SimpleNamespace

    now = utcnow()
    kind = SimpleNamespace(timeout=timedelta(minutes=30))
    limits = {"stale_after": timedelta(minutes=2), "queued_timeout": timedelta(minutes=15)}

    def job(**fields):
        base = {"state": "running", "queued_at": now - timedelta(minutes=1), "started_at": now - timedelta(minutes=1), "heartbeat_at": now}
        return SimpleNamespace(**{**base, **fields})

    assert ops.stale_reason(job(), kind, now, **limits) is None
    assert "stopped responding" in ops.stale_reason(job(heartbeat_at=now - timedelta(minutes=3)), kind, now, **limits)[1]
    assert "longer than the 30 minutes" in ops.stale_reason(job(started_at=now - timedelta(minutes=31)), kind, now, **limits)[1]
    assert ops.stale_reason(job(state="queued", queued_at=now - timedelta(minutes=14)), kind, now, **limits) is None
    assert "ownersvote worker" in ops.stale_reason(job(state="queued", queued_at=now - timedelta(minutes=16)), kind, now, **limits)[1]
    assert ops.stale_reason(job(state="done", heartbeat_at=now - timedelta(days=1)), kind, now, **limits) is None


def test_a_runner_whose_job_was_taken_for_dead_stops_and_keeps_nothing(db_session, two_estates, kinds, app):
    def work(ctx, params):
        # Meanwhile a reader found no heartbeat and marked the job failed.
        session = side_session()
        row = session.get(Job, ctx.job_id)
        row.state, row.error_zh, row.error_en = "failed", "停止了响应", "stopped responding"
        session.commit()
        session.close()
        ctx.save_result("late.txt", b"late", "text/plain")
        ctx.progress(1, 2, force=True)  # raises JobLost

    kinds("test.lost", work)
    job = queue(db_session, two_estates["a"], "test.lost", two_estates["org-a"])
    assert run_job(job.id, 1) == "lost"
    job = fresh(db_session, job)
    assert job.state == "failed"
    assert job.error_en == "stopped responding"
    assert job.result_file is None
    assert not any((files_root() / str(job.estate_id)).glob(f"job-{job.id}-*"))


def test_a_failed_job_is_retried_on_request_as_a_new_attempt(client, login, post, db_session, two_estates, kinds):
    def work(ctx, params):
        if ctx.attempt == 1:
            raise UserError("第一次失败", "first attempt fails")
        ctx.save_result("ok.txt", b"second time lucky", "text/plain")

    kinds("test.flaky", work)
    job = queue(db_session, two_estates["a"], "test.flaky", two_estates["org-a"])
    run_job(job.id, 1)
    login("org-a")
    page = client.get(f"/e/estate-a/jobs/{job.id}").get_data(as_text=True)
    assert "第一次失败" in page
    assert f'action="/e/estate-a/jobs/{job.id}/retry"' in page
    response = post(f"/e/estate-a/jobs/{job.id}/retry")
    assert response.status_code == 303
    job = fresh(db_session, job)
    assert (job.state, job.attempts, job.error_en) == ("done", 2, None)
    assert client.get(f"/e/estate-a/jobs/{job.id}/download").data == b"second time lucky"
    retried = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "job.retry"))
    assert retried.details["previous_error"] == "first attempt fails"
    assert retried.details["attempt"] == 2


def test_only_a_failed_job_can_be_retried(client, login, post, db_session, two_estates, kinds):
    kinds("test.fine", lambda ctx, params: None)
    job = queue(db_session, two_estates["a"], "test.fine", two_estates["org-a"])
    run_job(job.id, 1)
    login("org-a")
    post(f"/e/estate-a/jobs/{job.id}/retry")
    assert fresh(db_session, job).attempts == 1
    assert "只有失败的任务可以重试" in client.get(f"/e/estate-a/jobs/{job.id}").get_data(as_text=True)


def test_a_job_whose_queue_is_down_fails_at_once_with_the_reason(client, login, post, db_session, app, monkeypatch):
    monkeypatch.setitem(app.config, "OWNERSVOTE_JOB_RUNNER", "rq")
    monkeypatch.setitem(app.config, "OWNERSVOTE_REDIS_URL", "redis://127.0.0.1:9/0")  # nothing listens there
    from webapp.estates.operations import create_estate

    estate = create_estate("queue-down", "丙小区", actor="test")
    import_file(estate, GOOD, "c.csv", actor="test")
    from webapp.auth.operations import assign_role, create_staff

    user = create_staff("org-c", "Org C", "correct horse battery", actor="test")
    assign_role(user, estate, Role.organiser, actor="test")
    db_session.commit()
    login("org-c")
    response = post("/e/queue-down/letters", {"building": "all"})
    assert response.status_code == 303
    status = client.get(response.headers["Location"] + "/status").get_json()
    assert status["state"] == "failed"
    assert "Redis" in status["error"]


# ------------------------------------------------------------------------------------------
# Who may see what


@pytest.fixture
def done_job(db_session, two_estates, kinds):
    """A finished organiser-only job of estate A with a result file."""
    kinds("test.secret", lambda ctx, params: ctx.save_result("secret.txt", b"tokens", "text/plain"), view=frozenset({Role.organiser}))
    job = queue(db_session, two_estates["a"], "test.secret", two_estates["org-a"])
    run_job(job.id, 1)
    return fresh(db_session, job)


def _paths(job_id: int, slug: str = "estate-a") -> list[str]:
    base = f"/e/{slug}/jobs/{job_id}"
    return [base, base + "/status", base + "/download"]


def test_the_organiser_sees_the_job_its_status_and_downloads_its_result(client, login, done_job):
    login("org-a")
    page, status, download = (client.get(p) for p in _paths(done_job.id))
    assert page.status_code == status.status_code == download.status_code == 200
    assert "<progress" in page.get_data(as_text=True)
    assert done_job.result_sha256 in page.get_data(as_text=True)
    assert status.get_json()["state"] == "done"
    assert status.get_json()["sha256"] == done_job.result_sha256
    assert download.data == b"tokens"
    assert download.headers["Cache-Control"] == "no-store"
    assert download.headers["Content-Disposition"] == "attachment; filename=secret.txt"


def test_the_organiser_of_another_estate_gets_404_for_page_status_download_and_retry(client, login, post, done_job):
    login("org-b")
    for path in _paths(done_job.id) + _paths(done_job.id, "estate-b"):
        assert client.get(path).status_code == 404, path
    assert post(f"/e/estate-a/jobs/{done_job.id}/retry").status_code == 404
    assert post(f"/e/estate-b/jobs/{done_job.id}/retry").status_code == 404


def test_a_supervisor_gets_404_for_an_organiser_only_job(client, login, done_job):
    login("sup-a")
    for path in _paths(done_job.id):
        assert client.get(path).status_code == 404, path
    assert f"/jobs/{done_job.id}" not in client.get("/e/estate-a/jobs").get_data(as_text=True)


def test_a_platform_admin_does_not_see_an_organiser_only_job(client, login, done_job):
    login("root")
    for path in _paths(done_job.id):
        assert client.get(path).status_code == 404, path


def test_visitors_who_are_not_signed_in_are_sent_to_the_login_page(client, done_job):
    for path in _paths(done_job.id):
        response = client.get(path)
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]


def test_a_role_that_may_see_a_job_but_not_start_it_cannot_retry_it(client, login, post, db_session, two_estates, kinds):
    def work(ctx, params):
        raise UserError("失败", "failed")

    kinds("test.seen", work)  # organisers start it, supervisors see it
    job = queue(db_session, two_estates["a"], "test.seen", two_estates["org-a"])
    run_job(job.id, 1)
    login("sup-a")
    page = client.get(f"/e/estate-a/jobs/{job.id}").get_data(as_text=True)
    assert "失败" in page
    assert "/retry" not in page
    assert post(f"/e/estate-a/jobs/{job.id}/retry").status_code == 403


def test_the_job_list_shows_an_estates_jobs_newest_first(client, login, db_session, two_estates, kinds):
    kinds("test.list", lambda ctx, params: None)
    first = queue(db_session, two_estates["a"], "test.list", two_estates["org-a"])
    second = queue(db_session, two_estates["a"], "test.list", two_estates["org-a"])
    other = queue(db_session, two_estates["b"], "test.list", two_estates["org-b"])
    login("org-a")
    page = client.get("/e/estate-a/jobs").get_data(as_text=True)
    assert page.index(f"/jobs/{second.id}") < page.index(f"/jobs/{first.id}")
    assert f'/jobs/{other.id}"' not in page
    assert 'href="/e/estate-a/jobs"' in page  # in the estate's navigation


def test_a_result_is_never_read_outside_the_jobs_folder(db_session, done_job, app):
    done_job.result_file = "../../secret_key"
    assert ops.result_path(done_job, files_root(app)) is None
    with pytest.raises(ops.ResultGone):
        ops.open_result(done_job, files_root(app))


def test_file_names_are_safe_in_paths_and_headers():
    assert safe_filename("letters-demo-building-2-20261130.pdf") == "letters-demo-building-2-20261130.pdf"
    assert safe_filename('../../etc/passwd";\r\nX: y') == "etc-passwd-X-y"
    assert safe_filename("letters-demo-building-A座-20261130.pdf") == "letters-demo-building-A座-20261130.pdf"
    assert safe_filename("...") == "result"


def test_a_non_ascii_file_name_is_sent_with_an_ascii_fallback_and_its_utf8_form(client, login, db_session, two_estates, kinds):
    kinds("test.zh", lambda ctx, params: ctx.save_result("告知书-A座.txt", b"x", "text/plain"), view=frozenset({Role.organiser}))
    job = queue(db_session, two_estates["a"], "test.zh", two_estates["org-a"])
    run_job(job.id, 1)
    login("org-a")
    header = client.get(f"/e/estate-a/jobs/{job.id}/download").headers["Content-Disposition"]
    assert header.startswith("attachment; filename=")
    assert "filename*=UTF-8''%E5%91%8A%E7%9F%A5%E4%B9%A6-A%E5%BA%A7.txt" in header
    assert re.fullmatch(r"[\x20-\x7e]+", header)


def test_an_unknown_kind_is_refused_when_queued(db_session, two_estates):
    with pytest.raises(ops.JobError):
        ops.start_job(two_estates["a"], "no.such.kind", {}, actor="test", runner="inline")
    assert get_kind("letters") is not None


def test_a_job_stopped_at_its_time_limit_says_so(db_session, two_estates, kinds):
    from rq.timeouts import JobTimeoutException

    def work(ctx, params):
        raise JobTimeoutException("Task exceeded maximum timeout value (1800 seconds)")  # what RQ raises in the work horse

    kinds("test.long", work, timeout=timedelta(minutes=30))
    job = queue(db_session, two_estates["a"], "test.long", two_estates["org-a"])
    assert run_job(job.id, 1) == "failed"
    job = fresh(db_session, job)
    assert "30 minutes allowed" in job.error_en
    assert "30 分钟" in job.error_zh


# ------------------------------------------------------------------------------------------
# Dead jobs swept without anyone opening their page (issue 18, item 5), by the database's clock


def test_every_dead_job_is_marked_failed_by_a_sweep_and_live_ones_are_left_alone(app, db_session, two_estates, kinds):
    from webapp.core.db import db_now

    kinds("test.slow", lambda ctx, params: None)
    estate, actor = two_estates["a"], two_estates["org-a"]
    now = db_now()
    dead = queue(db_session, estate, "test.slow", actor)
    dead.state, dead.started_at, dead.heartbeat_at = "running", now - timedelta(minutes=5), now - timedelta(minutes=3)
    alive = queue(db_session, estate, "test.slow", actor)
    alive.state, alive.started_at, alive.heartbeat_at = "running", now - timedelta(minutes=5), now - timedelta(seconds=20)
    stuck = queue(db_session, estate, "test.slow", actor)
    stuck.queued_at = now - timedelta(minutes=16)
    waiting = queue(db_session, estate, "test.slow", actor)
    db_session.commit()

    marked = ops.sweep_dead(side_session, app)

    assert sorted(marked) == sorted([dead.id, stuck.id])
    assert fresh(db_session, dead).state == "failed"
    assert "停止了响应" in fresh(db_session, dead).error_zh
    assert fresh(db_session, stuck).state == "failed"
    assert "ownersvote worker" in fresh(db_session, stuck).error_en
    assert fresh(db_session, alive).state == "running"
    assert fresh(db_session, waiting).state == "queued"
    # The documented failed-jobs query (docs/deployment.md) now lists the dead one.
    assert dead.id in db_session.scalars(select(Job.id).where(Job.state == "failed")).all()


def test_a_job_is_judged_by_the_database_clock_not_by_an_app_server_whose_clock_is_fast(client, login, app, db_session, two_estates, kinds):
    import time_machine

    from webapp.core.db import db_now

    kinds("test.slow", lambda ctx, params: None)
    job = queue(db_session, two_estates["a"], "test.slow", two_estates["org-a"])
    now = db_now()
    job.state, job.started_at, job.heartbeat_at = "running", now - timedelta(minutes=1), now - timedelta(seconds=10)
    db_session.commit()
    login("org-a")
    with time_machine.travel(utcnow() + timedelta(minutes=10), tick=True):  # this app server is 10 minutes fast
        assert ops.sweep_dead(side_session, app) == []
        assert client.get(f"/e/estate-a/jobs/{job.id}/status").get_json()["state"] == "running"
    assert fresh(db_session, job).state == "running"


def test_a_web_process_running_jobs_in_threads_sweeps_at_its_start_and_again_and_again(app, monkeypatch):
    """The timer of runner ``thread`` (the sweep itself is the test above; here it is counted, as
    the timer's thread cannot share the test's one database connection)."""
    import threading

    from webapp.jobs import runner

    swept = threading.Semaphore(0)
    monkeypatch.setattr(runner, "_sweeper", {})
    monkeypatch.setattr(runner, "sweep_dead_now", lambda app: swept.release() or [])
    monkeypatch.setitem(app.config, "OWNERSVOTE_JOB_SWEEP_EVERY", 1)
    stop = runner.start_thread_sweeper(app)
    assert runner.start_thread_sweeper(app) is None  # one timer per process
    try:
        assert swept.acquire(timeout=60)  # at its start
        assert swept.acquire(timeout=60)  # and again
        assert swept.acquire(timeout=60)
    finally:
        stop.set()
        runner._sweeper["thread"].join(timeout=30)
    assert not runner._sweeper["thread"].is_alive()


def test_no_process_is_forked_by_the_web_app_or_its_jobs():
    """A work horse's children outlived it (the QR pool, issue 18 item 5): nothing in webapp/
    starts processes, and the server verifies bundles in its own process (jobs=1)."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "webapp"
    forbidden = {"multiprocessing", "subprocess", "concurrent.futures.process"}
    found = []
    for path in root.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
            if any(n.split(".")[0] in forbidden or n in forbidden or n.endswith("ProcessPoolExecutor") for n in names):
                found.append(f"{path.relative_to(root)}:{node.lineno}")
            forks = ("fork", "forkpty", "spawnv", "system", "posix_spawn")
            if isinstance(node, ast.Attribute) and node.attr in forks and isinstance(node.value, ast.Name) and node.value.id == "os":
                found.append(f"{path.relative_to(root)}:{node.lineno} os.{node.attr}")
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) == "verify_bundle":
                jobs = [k for k in node.keywords if k.arg == "jobs"]
                if not (jobs and isinstance(jobs[0].value, ast.Constant) and jobs[0].value.value == 1):
                    found.append(f"{path.relative_to(root)}:{node.lineno} verify_bundle without jobs=1")
    assert found == []


# ------------------------------------------------------------------------------------------
# A server that cannot see the shared store (issue 18, item 7)


def test_a_server_that_cannot_see_the_shared_store_never_marks_a_result_missing_for_everyone(
    client, login, app, db_session, done_job, tmp_path
):
    from webapp.jobs.operations import STORE_MARKER

    shared = files_root(app)
    assert (shared / STORE_MARKER).is_file()  # written with the result
    login("org-a")
    app.config["OWNERSVOTE_JOB_FILES"] = str(tmp_path / "not-mounted")  # this server's folder is empty
    (tmp_path / "not-mounted").mkdir()
    response = client.get(f"/e/estate-a/jobs/{done_job.id}/download", follow_redirects=True)
    assert "无法访问文件存储" in response.get_data(as_text=True)
    assert fresh(db_session, done_job).result_removed_at is None  # not "missing" for everyone
    app.config["OWNERSVOTE_JOB_FILES"] = str(shared)  # a server that sees it
    status = client.get(f"/e/estate-a/jobs/{done_job.id}/status").get_json()
    assert status["result_available"], status
    assert client.get(f"/e/estate-a/jobs/{done_job.id}/download").data == b"tokens"


def test_a_server_that_cannot_see_the_store_leaves_expired_results_for_one_that_can(app, db_session, done_job, tmp_path):
    from webapp.core.db import db_now

    done_job.result_expires_at = db_now() + timedelta(hours=1)
    db_session.commit()
    path = files_root(app) / done_job.result_file
    not_mounted = tmp_path / "not-mounted"
    not_mounted.mkdir()
    later = db_now() + timedelta(days=2)
    assert ops.sweep_results(db_session, not_mounted, now=later) == 0
    assert fresh(db_session, done_job).result_removed_at is None
    assert ops.sweep_results(db_session, files_root(app), now=later) == 1
    db_session.commit()
    assert not path.exists()
    assert fresh(db_session, done_job).result_removed_reason == "expired"


def test_a_web_process_running_jobs_in_threads_starts_its_sweeper_and_still_answers(instance_dir, database_url, monkeypatch):
    import webapp.jobs
    from webapp import create_app
    from webapp.core.migrate import upgrade

    upgrade(database_url)
    started = []
    monkeypatch.setattr(webapp.jobs, "start_thread_sweeper", lambda app: started.append(app) or object())
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "OWNERSVOTE_JOB_RUNNER": "thread"})
    assert app.test_client().get("/healthz").status_code == 200
    assert started == [app]
