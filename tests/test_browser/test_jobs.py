"""A background job in a real browser at phone size: an organiser of a 5,000-unit estate asks for
every letter, is on the job's page at once, watches the progress bar move and downloads the PDF
when it is ready.  The live server runs the job in a background thread of the web process (no
Redis), as the demo does."""

from __future__ import annotations

import hashlib
import importlib.util
import re
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.test_browser.net import PHONE, new_page, staff_login

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]
UNITS = 5000


def shanghai_day() -> str:
    return datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y%m%d")


def registry_csv(units: int) -> bytes:
    """The demo's generator repeated over more buildings: bench/registry.py's own function."""
    spec = importlib.util.spec_from_file_location("bench_registry", ROOT / "bench" / "registry.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.registry_csv(units)


@pytest.fixture
def big_estate(live):
    from webapp.auth.operations import assign_role, create_staff
    from webapp.core.db import db
    from webapp.core.roles import Role
    from webapp.estates.operations import create_estate
    from webapp.registry.importing import import_file

    with live.app_context():
        estate = create_estate("big5000", "五千户小区", actor="test")
        import_file(estate, registry_csv(UNITS), "registry.csv", actor="test")
        user = create_staff("org-big", "Organiser", "correct horse battery", actor="test")
        assign_role(user, estate, Role.organiser, actor="test")
        db.session.commit()
    return {"slug": "big5000", "base": live.base, "user": "org-big"}


def test_an_organiser_prints_5000_letters_and_watches_the_job_to_the_download(browser, big_estate, live, tmp_path, shots):
    base, slug = big_estate["base"], big_estate["slug"]
    context, page = new_page(browser)
    staff_login(page, base, big_estate["user"])
    page.goto(f"{base}/e/{slug}/letters")
    page.select_option("#building", "all")
    shots(page, "jobs-1-letters")

    day_before = shanghai_day()
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/letters")) as posted:
        page.click("button.primary")
    # The request only queued the job: its answer came before the letters were made (the bar
    # below is sampled while the job still runs).
    assert posted.value.status == 303
    page.wait_for_url(re.compile(r".*/jobs/\d+$"))
    assert page.locator("progress.job-bar").is_visible()

    # The bar moves without a reload: sample it while the job runs.
    seen: list[int] = []
    url = page.url
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        state = page.get_attribute("[data-job-status]", "data-job-state")
        value = page.eval_on_selector("progress.job-bar", "e => e.hasAttribute('value') ? Math.round(100 * e.value / e.max) : -1")
        if value >= 0 and (not seen or value != seen[-1]):
            seen.append(value)
        if len(seen) == 3:
            shots(page, "jobs-2-progress")
        if state in ("done", "failed"):
            break
        time.sleep(0.5)
    assert page.url == url, "the page reloaded"
    assert state == "done", page.inner_text("[data-job-box]")
    moving = [v for v in seen if 0 < v < 100]
    assert len(moving) >= 3, seen
    assert moving == sorted(moving), seen

    link = page.locator("a[data-job-download]")
    link.wait_for(state="visible")
    sha = page.inner_text("code[data-job-field=sha256]")
    assert re.fullmatch(r"[0-9a-f]{64}", sha)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "wider than the phone"
    shots(page, "jobs-3-done")
    with page.expect_download() as download:
        link.click()
    days = {day_before, shanghai_day()}  # the job's day in the estate's zone (midnight may pass meanwhile)
    assert download.value.suggested_filename in {f"letters-{slug}-{day}.pdf" for day in days}
    pdf = tmp_path / "letters.pdf"
    download.value.save_as(pdf)
    data = pdf.read_bytes()
    assert hashlib.sha256(data).hexdigest() == sha
    assert len(re.findall(rb"/Type\s*/Page(?![s\w])", data)) == UNITS

    # Downloaded once: the page says, without a reload, that the server deleted it.
    page.locator("[data-job-when=removed]").wait_for(state="visible", timeout=20_000)
    assert "删除" in page.inner_text("[data-job-when=removed]")
    assert not link.is_visible()

    # Back on the letters page, the counts include the new letters.
    page.goto(f"{base}/e/{slug}/letters")
    assert page.inner_text("[data-count=active]") == str(UNITS)
    assert not page.errors, page.errors
    context.close()


def test_the_letters_page_updates_its_counts_without_a_reload_when_a_job_is_done(browser, live):
    """The organiser stays on the letters page: the recent print listed there runs and finishes,
    and the counts of letters change in place."""
    from webapp.auth.operations import assign_role, create_staff
    from webapp.core.db import db
    from webapp.core.roles import Role
    from webapp.estates.operations import create_estate
    from webapp.jobs.models import Job
    from webapp.jobs.operations import start_job
    from webapp.jobs.runner import submit
    from webapp.registry.importing import import_file

    with live.app_context():
        estate = create_estate("counts", "计数小区", actor="test")
        import_file(estate, registry_csv(300), "registry.csv", actor="test")
        user = create_staff("org-counts", "Organiser", "correct horse battery", actor="test")
        assign_role(user, estate, Role.organiser, actor="test")
        job = start_job(estate, "letters", {"scope": "estate", "base_url": live.base}, actor=user, runner="thread")
        db.session.commit()
        job_id = job.id
    context, page = new_page(browser)
    staff_login(page, live.base, "org-counts")
    page.goto(f"{live.base}/e/counts/letters")  # the print is listed, still waiting to start
    assert page.inner_text("[data-count=active]") == "0"
    with live.app_context():
        submit(db.session.get(Job, job_id))
    from playwright.sync_api import expect

    expect(page.locator("[data-count=active]")).to_have_text("300", timeout=120_000)  # no eval: the page's CSP forbids it
    assert page.get_attribute("[data-counts-url]", "data-counts-fresh") == "1"
    assert page.locator("[data-job-box] [data-job-when=available]").is_visible()
    assert not page.errors, page.errors
    context.close()
