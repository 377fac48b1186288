"""A server whose shared folders are not mounted (issue 18, item 7): it sees an empty local folder
where the file store and the job files should be.  Alone, it never decides that a file is missing:
without the marker ``ownersvote init`` writes at each store's root, the store is taken for not
mounted.  ``/readyz`` answers 503 with the reason, uploads and job results are refused in words,
downloads say the store is not reachable, ``ownersvote check`` says so once, and nothing is written
into the empty folder."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.factories import queue
from webapp.core.filestore import STORE_MARKER, mark, mark_if_local, mounted
from webapp.jobs.models import Job
from webapp.jobs.runner import run_job


@pytest.fixture
def unmounted(app, tmp_path):
    """Point one of the app's stores at an empty folder (the mount point of a share not mounted)."""
    saved = {k: app.config.get(k) for k in ("OWNERSVOTE_FILES_PATH", "OWNERSVOTE_JOB_FILES")}

    def point(setting: str):
        folder = tmp_path / f"unmounted-{setting.lower()}"
        folder.mkdir()
        app.config[setting] = str(folder)
        return folder

    yield point
    app.config.update(saved)


def test_readyz_says_which_store_is_not_mounted_and_writes_nothing_there(client, unmounted):
    files, jobs = unmounted("OWNERSVOTE_FILES_PATH"), unmounted("OWNERSVOTE_JOB_FILES")
    response = client.get("/readyz")
    assert response.status_code == 503
    said = response.get_json()["checks"]["file store"]
    for folder in (files, jobs):
        assert f"{folder} is not the shared store: its marker {STORE_MARKER} is missing" in said
        assert list(folder.iterdir()) == []  # no probe, no marker written by a server that guesses
    mark(files)
    mark(jobs)
    assert client.get("/readyz").get_json()["checks"]["file store"] == "ok"


def test_a_job_result_is_refused_on_a_server_that_cannot_see_the_store(db_session, make_estate, make_staff, kinds, unmounted):
    estate = make_estate()
    organiser = make_staff("org", estate=estate, role="organiser")
    kinds("test.letters", lambda ctx, params: ctx.save_result("letters.pdf", b"%PDF- live codes", "application/pdf"))
    folder = unmounted("OWNERSVOTE_JOB_FILES")
    job = queue(db_session, estate, "test.letters", organiser)
    assert run_job(job.id, 1) == "failed"
    db_session.expire_all()
    job = db_session.get(Job, job.id)
    assert job.error_en.startswith("The file store is not reachable from this server (the shared folder is not mounted)")
    assert job.result_file is None
    assert list(folder.iterdir()) == []  # the letters with live codes never land where nobody else can see them


def test_a_download_on_a_server_that_cannot_see_the_store_is_not_called_missing(voting, unmounted):
    """An attachment of the notice, and the published bundle's route: 503 with the reason, the
    file left as it is for the servers that see it."""
    from webapp.attachments.models import Attachment

    s = voting
    s.as_staff("organiser")
    attachment = s.db.scalar(select(Attachment).limit(1))
    assert attachment is not None
    assert s.client.get(f"/files/{attachment.id}").status_code == 200
    unmounted("OWNERSVOTE_FILES_PATH")
    response = s.client.get(f"/files/{attachment.id}", follow_redirects=True)
    assert response.status_code == 503
    assert "暂时无法访问文件存储，文件可能仍在" in response.get_data(as_text=True)


def test_check_says_once_that_the_store_is_not_reachable_instead_of_naming_every_file_missing(voting, unmounted):
    from webapp.oversight.integrity import check_estate

    s = voting
    unmounted("OWNERSVOTE_FILES_PATH")
    findings = [f for f in check_estate(s.estate).findings if f.area == "files"]
    assert len(findings) == 1, [f.en for f in findings]
    assert findings[0].en.startswith("the file store is not reachable from this machine (")
    assert "files were not checked" in findings[0].en


def test_only_a_store_the_installation_owns_here_is_marked_at_start(tmp_path, monkeypatch):
    monkeypatch.setenv("OWNERSVOTE_INSTANCE_PATH", str(tmp_path / "instance"))
    shared, inside = tmp_path / "srv" / "shared" / "files", tmp_path / "instance" / "files"
    mark_if_local(shared, production=True, what="file store")
    assert not shared.exists()  # an unmounted share's mount point stays as it is
    mark_if_local(inside, production=True, what="file store")
    assert mounted(inside)
    mark_if_local(shared, production=False, what="file store")  # development: every folder is local
    assert mounted(shared)
