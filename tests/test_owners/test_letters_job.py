"""QR letters made by a job: the organiser's page starts it and goes to its page; the PDF comes
out in delivery order with a telling name, its tokens and codes work, it is deleted at its first
complete download or after an hour, and a failed job changes no letter."""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from tests.factories import ZHANG, ZHANG_TAIL, csv_bytes, require_tool, zxing
from webapp.audit.models import AuditEvent
from webapp.core.db import utcnow
from webapp.core.timefmt import zone
from webapp.jobs.context import files_root
from webapp.jobs.models import Job
from webapp.owners.models import Invitation
from webapp.registry.importing import import_file

# Building 2 as the property office lists it: out of walking order.
TOWER = ["1001", "101", "2504", "1002", "201", "102", "1101", "902", "商铺2"]
WALK = ["101", "102", "201", "902", "1001", "1002", "1101", "2504", "商铺2"]


@pytest.fixture
def tower(estate, staff, db_session):
    """The owners' test estate re-imported as 1-101 and building 2's flats of many floors (all 张三's)."""
    rows = [f"2,{n},89.5,登记,张三,{ZHANG},," for n in TOWER if n != "201"]
    import_file(
        estate, csv_bytes(*rows, "1,101,89.5,登记,张三," + ZHANG + ",,", "2,201,100.25,,张三," + ZHANG + ",,"), "tower.csv", actor="test"
    )
    db_session.commit()
    return estate


def building_id(client, slug: str, name: str) -> str:
    page = client.get(f"/e/{slug}/letters").get_data(as_text=True)
    return re.search(rf'<option value="(\d+)">{re.escape(name)}</option>', page).group(1)


def print_building(client, post, slug: str, name: str):
    response = post(f"/e/{slug}/letters", {"building": building_id(client, slug, name)})
    assert response.status_code == 303
    assert re.search(r"/e/[^/]+/jobs/\d+$", response.headers["Location"])
    return response.headers["Location"]


def pdf_pages_text(pdf: bytes, tmp_path) -> list[str]:
    path = tmp_path / "letters.pdf"
    path.write_bytes(pdf)
    out = subprocess.run([require_tool("pdftotext"), "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True).stdout.decode()
    return [re.sub(r"\s+", "", page) for page in out.split("\f") if page.strip()]


def test_the_letters_page_starts_a_job_and_goes_to_its_page_at_once(client, post, login, tower, db_session):
    login("organiser")
    location = print_building(client, post, tower.slug, "2")
    job = db_session.scalar(select(Job))
    assert job.kind == "letters"
    assert job.params["scope"] == "building"
    assert location.endswith(f"/jobs/{job.id}")
    page = client.get(location).get_data(as_text=True)
    assert "<progress" in page
    assert "楼栋 2" in page
    assert job.result_sha256 in page


def test_letters_come_out_in_delivery_order_floor_by_floor(client, post, login, tower, db_session, tmp_path):
    login("organiser")
    location = print_building(client, post, tower.slug, "2")
    pdf = client.get(location + "/download").data
    pages = pdf_pages_text(pdf, tmp_path)
    labels = [re.search(r"2号楼((?:\d+室)|商铺2)", page).group(1).removesuffix("室") for page in pages]
    assert labels == WALK
    logged = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "letter.issue"))
    assert logged.details["units"] == [f"2-{n}" for n in WALK]
    assert logged.details["job"] == db_session.scalar(select(Job.id))


def test_the_file_is_named_by_estate_building_and_day(client, post, login, tower, db_session):
    login("organiser")
    with time_machine.travel("2026-11-30 17:30:00+00:00", tick=True):  # already 1 December in Shanghai
        location = print_building(client, post, tower.slug, "2")
        # Downloads expire, so the file is fetched on the same travelled day it was made.
        response = client.get(location + "/download")
    assert response.headers["Content-Disposition"] == "attachment; filename=letters-lvyuan-building-2-20261201.pdf"
    assert response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "no-store"


def test_the_whole_estate_or_a_list_of_units_can_be_printed(client, post, login, tower, db_session):
    login("organiser")
    response = post(f"/e/{tower.slug}/letters", {"building": "all"})
    assert client.get(response.headers["Location"] + "/status").get_json()["state"] == "done"
    units = db_session.scalar(select(func.count()).select_from(Invitation).where(Invitation.state == "active"))
    assert units == len(TOWER) + 1  # the tower and 1-101: the registry as last imported
    response = post(f"/e/{tower.slug}/letters", {"units": "2-1101, 1-101"})
    job = db_session.get(Job, int(response.headers["Location"].rsplit("/", 1)[1]))
    assert job.state == "done"
    assert job.result_name.startswith("letters-lvyuan-2-units-")
    assert db_session.scalar(select(func.count()).select_from(Invitation).where(Invitation.state == "void")) == 2


def test_the_tokens_and_codes_in_the_pdf_open_the_owners_registration(client, post, login, tower, db_session, tmp_path, device):
    zxingcpp = zxing()
    from PIL import Image

    login("organiser")
    response = post(f"/e/{tower.slug}/letters", {"units": "2-101"})
    pdf = client.get(response.headers["Location"] + "/download").data
    (tmp_path / "one.pdf").write_bytes(pdf)
    subprocess.run([require_tool("pdftoppm"), "-r", "150", "-png", str(tmp_path / "one.pdf"), str(tmp_path / "page")], check=True)
    (png,) = tmp_path.glob("page*.png")
    (url,) = [b.text for b in zxingcpp.read_barcodes(Image.open(png))]
    code = re.search(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", pdf_pages_text(pdf, tmp_path)[0]).group(0)
    invitation = db_session.scalar(select(Invitation).where(Invitation.state == "active"))
    assert url.startswith("http://ownersvote.test/r/")
    assert invitation.unit.label == "2-101"
    post("/logout")
    # The typed code finds the same letter as the QR code.
    assert post("/r", {"code": code}).headers["Location"].endswith("/join")
    assert client.get(url.removeprefix("http://ownersvote.test")).headers["Location"].endswith("/join")
    assert "2-101" in client.get("/join").get_data(as_text=True)
    post("/join", {"id-name": "张三", "id-id_tail": ZHANG_TAIL})
    assert device.register().status_code == 200
    db_session.expire_all()
    assert invitation.state == "used"


def test_the_pdf_is_deleted_at_its_first_complete_download_and_the_page_says_so(client, post, login, tower, db_session):
    login("organiser")
    location = print_building(client, post, tower.slug, "2")
    job = db_session.scalar(select(Job))
    path = files_root() / job.result_file
    page = client.get(location).get_data(as_text=True)
    assert "第一次完整下载后" in page
    assert "最迟" in page
    assert path.exists()
    first = client.get(location + "/download")
    assert hashlib.sha256(first.data).hexdigest() == job.result_sha256
    assert len(first.data) == job.result_size
    assert not path.exists()
    again = client.get(location + "/download")
    assert again.status_code == 302
    assert "第一次完整下载后已删除" in client.get(location).get_data(as_text=True)
    status = client.get(location + "/status").get_json()
    assert not status["result_available"]
    assert status["download_url"] == ""
    assert "已删除" in status["removed"]
    downloads = list(db_session.scalars(select(AuditEvent).where(AuditEvent.action == "job.download")))
    assert len(downloads) == 1
    assert downloads[0].details["sha256"] == job.result_sha256
    assert downloads[0].actor == "organiser"


def test_a_broken_download_keeps_the_file_for_another_try(client, post, login, tower, db_session):
    login("organiser")
    location = print_building(client, post, tower.slug, "2")
    job = db_session.scalar(select(Job))
    response = client.get(location + "/download", buffered=False)
    chunks = iter(response.response)
    next(chunks)  # the browser got the first part, then the connection broke
    response.close()
    assert (files_root() / job.result_file).exists()
    assert client.get(location + "/download").status_code == 200


def test_an_unread_pdf_is_deleted_after_an_hour(client, post, login, tower, db_session, monkeypatch):
    from webapp.core import db as database

    # Keeping times are judged by the database's clock; here it follows the travelled one.
    monkeypatch.setattr(database, "db_now", lambda session=None: utcnow())
    login("organiser")
    location = print_building(client, post, tower.slug, "2")
    job = db_session.scalar(select(Job))
    path = files_root() / job.result_file
    with time_machine.travel(utcnow() + timedelta(minutes=59), tick=False):
        assert client.get(location + "/status").get_json()["result_available"]
    with time_machine.travel(utcnow() + timedelta(minutes=61), tick=False):
        assert client.get(location + "/download").status_code == 302
        assert not path.exists()
        assert "保存期限已到" in client.get(location).get_data(as_text=True)


def test_the_letter_counts_are_served_for_the_page_to_update_without_a_reload(client, post, login, tower, db_session):
    login("organiser")
    assert client.get(f"/e/{tower.slug}/letters/counts").get_json() == {"active": 0, "used": 0, "void": 0}
    print_building(client, post, tower.slug, "2")
    print_building(client, post, tower.slug, "2")
    assert client.get(f"/e/{tower.slug}/letters/counts").get_json() == {"active": len(TOWER), "used": 0, "void": len(TOWER)}
    page = client.get(f"/e/{tower.slug}/letters").get_data(as_text=True)
    assert 'data-counts-url="/e/lvyuan/letters/counts"' in page
    assert 'data-count="void"' in page
    assert page.count("data-job-status=") == 2  # the recent prints, with their live status


def test_a_failed_letters_job_leaves_every_letter_as_it_was(client, post, login, tower, db_session, monkeypatch, letter):
    letter("2-101")
    import webapp.owners.jobs as letters_job

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(letters_job, "render_letters", broken)
    login("organiser")
    location = print_building(client, post, tower.slug, "2")
    status = client.get(location + "/status").get_json()
    assert status["state"] == "failed"
    assert "OSError" in status["error"]
    states = dict(db_session.execute(select(Invitation.state, func.count()).group_by(Invitation.state)).all())
    assert states == {"active": 1}


def test_supervisors_neither_start_letters_jobs_nor_see_them(client, post, login, tower, db_session, staff):
    login("organiser")
    location = print_building(client, post, tower.slug, "2")
    post("/logout")
    login("supervisor")
    assert post(f"/e/{tower.slug}/letters", {"building": "all"}).status_code == 403
    for path in (location, location + "/status", location + "/download"):
        assert client.get(path).status_code == 404


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils")
def test_the_expiry_date_printed_is_the_estates_local_date(client, post, login, tower, db_session, tmp_path):
    login("organiser")
    location = print_building(client, post, tower.slug, "2")
    invitation = db_session.scalar(select(Invitation))
    last_day = (invitation.expires_at.astimezone(zone(tower)) - timedelta(seconds=1)).date()
    text = pdf_pages_text(client.get(location + "/download").data, tmp_path)[0]
    assert f"至{last_day.year}年{last_day.month}月{last_day.day}日" in text


def test_the_letters_say_the_estates_proxy_rule(client, post, login, estate, staff, db_session, tmp_path):
    """Issue 16: the letter said that voting for another was not allowed, while this estate takes
    written letters of proxy; it now says how, with the estate's own limit."""
    estate.proxy_cap = 2
    db_session.commit()
    login("organiser")
    response = post(f"/e/{estate.slug}/letters", {"units": "1-101"})
    (page,) = pdf_pages_text(client.get(response.headers["Location"] + "/download").data, tmp_path)
    assert "委托他人投票须有书面委托书并经监督员审核，每人最多代理2户。" in page
    assert "不允许" not in page
