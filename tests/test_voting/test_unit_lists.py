"""Issue 17 item 8: a list of unit labels is looked up once per request, whatever its length, and
a list beyond the cap is refused with a reason (it held a request for 149 s at 3,000 labels)."""

from __future__ import annotations

from sqlalchemy import func, select

from tests.factories import statements_with
from webapp.jobs.models import Job
from webapp.registry.labels import MAX_LISTED_UNITS


def _unit_reads(s, url: str, data: dict) -> tuple[int, object]:
    return statements_with(s.app, "FROM units", lambda: s.post(url, data))


def test_paper_sheets_for_a_long_list_of_units_read_the_units_once(voting):
    s = voting
    s.as_staff("organiser")
    url = f"/e/{s.estate.slug}/assemblies/{s.assembly_id}/paper/sheets"
    short, response = _unit_reads(s, url, {"units": "1-101"})
    assert response.status_code == 302
    assert "/jobs/" in response.headers["Location"]
    long, response = _unit_reads(s, url, {"units": "，".join(["1-101", "1-102"] * 40)})
    assert response.status_code == 302
    assert "/jobs/" in response.headers["Location"]
    assert long == short


def test_paper_sheets_for_more_units_than_the_cap_are_refused_with_a_reason(voting):
    s = voting
    s.as_staff("organiser")
    jobs = s.db.scalar(select(func.count(Job.id)))
    labels = ",".join(f"9-{n}" for n in range(MAX_LISTED_UNITS + 1))
    response = s.post(f"/e/{s.estate.slug}/assemblies/{s.assembly_id}/paper/sheets", {"units": labels}, follow_redirects=True)
    assert f"一次最多列出 {MAX_LISTED_UNITS} 套房屋" in response.get_data(as_text=True)
    assert s.db.scalar(select(func.count(Job.id))) == jobs


def test_letters_for_more_units_than_the_cap_are_refused_with_a_reason(scenario):
    s = scenario
    s.as_staff("organiser")
    labels = ",".join(f"9-{n}" for n in range(MAX_LISTED_UNITS + 1))
    response = s.post(f"/e/{s.estate.slug}/letters", {"units": labels}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert f"一次最多列出 {MAX_LISTED_UNITS} 套房屋" in page
