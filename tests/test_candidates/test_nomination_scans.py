"""A paper nomination's scan (issue 16): the supervisors who vet it open it from the candidates'
page, under a name people read (what it is, its kind, size and day, not its digest); staff of
another estate and owners cannot open it."""

from __future__ import annotations

import re
from datetime import timedelta

from tests.factories import LI_TAIL, PDF, TITLES


def nominated(s) -> str:
    """An election with 张三's paper nomination; the candidates' page address."""
    s.create(opens=s.start + timedelta(days=30), closes=s.start + timedelta(days=37))
    election = s.add_item("election", 3, TITLES["election"], seats=1, by_election="y")
    s.paper_nomination(election, "1-101", "张三")
    return f"/e/{s.estate.slug}/assemblies/{s.assembly_id}/candidates"


def test_the_vetting_supervisor_opens_a_paper_nominations_scan_by_its_name(scenario, make_estate, make_staff):
    s = scenario
    page_url = nominated(s)
    s.as_staff("supervisor")
    page = s.client.get(page_url).get_data(as_text=True)
    link = re.search(r'<a href="(/files/\d+\?view=1)">([^<]+)</a>', page)
    assert link is not None, page
    assert re.fullmatch(r"提名表和承诺书扫描件（PDF，1 KB，\d{4}-\d{2}-\d{2} 上传）", link.group(2)), link.group(2)
    assert not re.search(r"[0-9a-f]{16}", page.split('id="c', 1)[1].split("</div>", 1)[0])  # no digest in the card
    scan = s.client.get(link.group(1))
    assert scan.status_code == 200
    assert scan.data == PDF
    assert scan.headers["Content-Disposition"].startswith("inline")

    # Not for a supervisor of another estate, nor for anyone signed out.
    other = make_estate("other", "别的小区")
    make_staff("elsewhere", estate=other, role="supervisor")
    s.as_staff("elsewhere")
    assert s.client.get(link.group(1)).status_code == 404
    s.post("/logout")
    assert s.client.get(link.group(1)).status_code == 404
    s.register_owner("1-102", "李四", LI_TAIL)  # an owner of the estate: it carries another's signature
    s.sign_in("1-102")
    assert s.client.get(link.group(1)).status_code == 404
