"""Browser tests: Debian's Chromium driven by Playwright against the app served on loopback.

They need /usr/bin/chromium (apt-get install chromium) and pdftoppm (apt-get install
poppler-utils); without them they are skipped with that message, except in CI (CI=true), where
`.ci/run` installs both and a missing one fails.  Set OWNERSVOTE_SCREENSHOTS=DIR to keep
phone-sized screenshots of every step (docs/screenshots/ is made this way).
"""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest

from tests.factories import IN_CI

CHROMIUM = os.environ.get("OWNERSVOTE_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _require(ok: bool, message: str) -> None:
    if not ok:
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="session")
def browser():
    _require(Path(CHROMIUM).exists(), f"browser tests need Debian's chromium at {CHROMIUM}: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def live(tmp_path_factory, instance_dir):
    """The app on a loopback port with its own SQLite database (a real server thread, so no
    test transaction can be shared with it)."""
    from werkzeug.serving import make_server

    from webapp import create_app
    from webapp.core.db import db
    from webapp.core.migrate import upgrade

    url = f"sqlite:///{tmp_path_factory.mktemp('live') / 'live.sqlite3'}"
    upgrade(url)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    app.base = f"http://127.0.0.1:{server.server_port}"
    yield app
    server.shutdown()
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def shots():
    """Save a screenshot of a page when OWNERSVOTE_SCREENSHOTS names a folder."""
    folder = os.environ.get("OWNERSVOTE_SCREENSHOTS")

    def take(page, name: str, max_height: int | None = None) -> None:
        """The whole page, or its first ``max_height`` pixels (a long list needs no 30 screens)."""
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            options = {"path": str(Path(folder) / f"{name}.png"), "full_page": True}
            if max_height:
                size = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
                options["clip"] = {"x": 0, "y": 0, "width": size[0], "height": min(size[1], max_height)}
            page.screenshot(**options)

    return take


@pytest.fixture
def pdftools():
    _require(bool(shutil.which("pdftoppm")), "browser tests need pdftoppm: apt-get install poppler-utils")


@pytest.fixture
def clock(live, monkeypatch):
    """The server's clock, moved forward by the test (tests/test_browser/assembly_world.py)."""
    from tests.test_browser.assembly_world import Clock, reset_limits, wait_for_jobs

    wait_for_jobs(live)
    reset_limits(live)
    moving = Clock(monkeypatch)
    yield moving
    moving.stop()
    reset_limits(live)


@pytest.fixture
def assembly_world(live, clock):
    """An estate of eight households with two organisers and two supervisors; the people's
    browsers are closed (and their last pages checked) at the end."""
    from tests.test_browser.assembly_world import make_world

    world = make_world(live)
    yield world
    world.close()
