"""What a page states is true, in words its reader knows (issue 16, items 7–9): the notice does
not claim a certification that has not happened, results and the ballot inspection name people
rather than ids, and a supervisor's ruling records exactly the marks chosen, keeping them when
the form comes back with an error."""

from __future__ import annotations

import io
import re
from datetime import timedelta

from sqlalchemy import func, select

from tests.factories import PDF, TITLES
from webapp.results.wording import named
from webapp.voting.models import Ballot, PaperSheet


def test_the_notice_does_not_say_the_result_is_certified_before_anyone_voted(voting):
    s = voting
    page = s.client.get(f"/p/{s.estate.slug}/a/{s.assembly_id}").get_data(as_text=True)
    assert "已由" not in page
    assert "签名核证。" not in page
    assert "位监督员核对并签名后" in page


def test_an_option_id_is_replaced_by_its_name_and_never_inside_a_longer_id():
    names = {"c1": "张三", "c12": "李四", "b2": "杭州安居物业服务有限公司"}
    text = "当选（按名次）：c12、c1。c1、c12 的同意人数和面积完全相同。最接近规定比例的是 b2（按面积）。"
    assert named(text, names) == (
        "当选（按名次）：李四、张三。张三、李四 的同意人数和面积完全相同。最接近规定比例的是 杭州安居物业服务有限公司（按面积）。"
    )


def _vote_and_tally(s):
    ids = s.item_ids()
    election, firm = s.options(TITLES["election"]), s.options(TITLES["firm"])
    for label in ("1-101", "1-102"):
        s.sign_in(label)
        code, answer = s.cast(
            s.ballot(label, {ids[TITLES["statute"]]: "agree", ids[TITLES["election"]]: [election[0]], ids[TITLES["firm"]]: [firm[1]]})
        )
        assert code == 201, answer
        s.sequence()  # each its own batch: 1-101 is the log's first entry
    s.at(s.assembly.closes_at + timedelta(minutes=1))
    s.client.get(f"/p/{s.estate.slug}/a/{s.assembly_id}")
    s.as_staff("organiser")
    assert s.post(f"/e/{s.estate.slug}/assemblies/{s.assembly_id}/results/tally").status_code == 302
    assert s.assembly.state == "tallied"


def test_the_results_page_names_candidates_and_bidders_in_its_reasons(voting):
    s = voting
    _vote_and_tally(s)
    page = s.client.get(f"/p/{s.estate.slug}/a/{s.assembly_id}/results").get_data(as_text=True)
    reasons = re.findall(r'<p class="reason">(.*?)</p>', page, re.S)
    assert len(reasons) == 3
    assert "得票：张三（1-101、2-201）：" in reasons[1]
    assert "李四（1-102）：" in reasons[1]
    assert "浙江绿城物业服务有限公司：" in reasons[2]
    for reason in reasons:
        assert not re.search(r"(?<![0-9A-Za-z])[cbp]\d+(?![0-9A-Za-z])", reason), reason


def test_the_ballot_inspection_says_channel_signer_and_choices_in_words(voting):
    s = voting
    _vote_and_tally(s)
    s.as_staff("supervisor")
    page = s.post(
        f"/e/{s.estate.slug}/assemblies/{s.assembly_id}/inspect", {"unit": "1-101", "reason": "业主要求核对"}, follow_redirects=True
    ).get_data(as_text=True)
    body = page.split("<main", 1)[1]
    for english in ("online", "owner", "agree", "c1", "b2"):
        assert not re.search(rf"(?<![0-9A-Za-z_-]){english}(?![0-9A-Za-z_-])", re.sub(r"<[^>]+>", " ", body)), english
    assert "张三" in body
    assert "浙江绿城物业服务有限公司" in body
    assert "同意" in body
    assert "公开投票记录第 1 条" in body  # the first ballot, numbered as the owner's receipt numbers it


def _disputed_sheet(s):
    """A sheet of 3-301 whose two entries differ on the resolution."""
    from webapp.voting import paper as paper_ops
    from webapp.voting.turnout import member_for_unit

    sheet = paper_ops.new_sheets(s.assembly, [member_for_unit(s.assembly, "3-301")], actor=s.staff["organiser"])[0]
    s.db.commit()
    statute = s.item_ids()[TITLES["statute"]]
    for who, mark in (("organiser", "agree"), ("organiser2", "disagree")):
        s.as_staff(who)
        s.post(
            f"/e/{s.estate.slug}/assemblies/{s.assembly_id}/paper",
            {"serial": sheet.serial, f"m-{statute}": mark, "scan": (io.BytesIO(PDF), "scan.pdf")},
            content_type="multipart/form-data",
        )
    s.db.expire_all()
    assert s.db.get(PaperSheet, sheet.id).state == "disputed"
    return sheet


def test_a_ruling_without_a_reason_keeps_its_ticks_and_then_records_exactly_them(voting):
    s = voting
    sheet = _disputed_sheet(s)
    ids = s.item_ids()
    election, firm = s.options(TITLES["election"]), s.options(TITLES["firm"])
    marks = {f"m-{ids[TITLES['statute']]}": "disagree", f"m-{ids[TITLES['election']]}": election[1], f"m-{ids[TITLES['firm']]}": firm[0]}
    url = f"/e/{s.estate.slug}/assemblies/{s.assembly_id}/paper/{sheet.id}/resolve"
    s.as_staff("supervisor")

    response = s.post(url, {**marks, "decision": "count", "reason": ""})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "请写明理由" in page
    assert re.search(r'value="disagree" checked', page)
    assert re.search(rf'value="{election[1]}" checked', page)
    assert re.search(rf'value="{firm[0]}" checked', page)
    assert not re.search(rf'value="{election[0]}" checked', page)
    assert s.db.scalar(select(func.count(Ballot.id)).where(Ballot.member == sheet.member)) == 0

    assert s.post(url, {**marks, "decision": "count", "reason": "扫描件上勾选的是反对"}).status_code == 302
    from webapp.voting.casting import ballot_choices

    ballot = s.db.scalar(select(Ballot).where(Ballot.assembly_id == s.assembly_id, Ballot.member == sheet.member))
    assert ballot_choices(ballot) == {
        ids[TITLES["statute"]]: "disagree",
        ids[TITLES["election"]]: [election[1]],
        ids[TITLES["firm"]]: [firm[0]],
    }


def test_a_ruling_that_leaves_a_resolution_unmarked_is_refused_not_counted_as_an_abstention(voting):
    s = voting
    sheet = _disputed_sheet(s)
    s.as_staff("supervisor")
    response = s.post(
        f"/e/{s.estate.slug}/assemblies/{s.assembly_id}/paper/{sheet.id}/resolve", {"decision": "count", "reason": "按扫描件"}
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "请为每个事项选择裁定结果" in page
    assert TITLES["statute"] in page
    assert 'value="按扫描件"' in page
    s.db.expire_all()
    assert s.db.get(PaperSheet, sheet.id).state == "disputed"


def test_the_results_page_does_not_say_voting_closed_while_it_is_open(voting):
    from webapp.core.timefmt import local

    s = voting
    for username in ("organiser", "supervisor"):
        s.as_staff(username)
        page = s.client.get(f"/e/{s.estate.slug}/assemblies/{s.assembly_id}/results").get_data(as_text=True)
        assert "投票已结束" not in page
        assert "日志已用最终的签名树头封存" not in page
        assert f"投票将于 {local(s.assembly.closes_at, s.estate)} 截止，截止后日志用最终的签名树头封存。" in page


def test_the_certify_page_of_a_published_result_does_not_offer_to_publish_it(voting):
    from tests.factories import certify_as, state, tallied

    s = voting
    tallied(s)
    assert certify_as(s, "supervisor") == 200
    s.as_staff("organiser")
    assert s.post(f"/e/{s.estate.slug}/assemblies/{s.assembly_id}/results/publish").status_code == 302
    assert state(s) == "published"
    s.as_staff("supervisor")
    page = s.client.get(f"/e/{s.estate.slug}/assemblies/{s.assembly_id}/certify").get_data(as_text=True)
    assert "下一步：公示结果" not in page
    assert f'href="/p/{s.estate.slug}/a/{s.assembly_id}/results"' in page
