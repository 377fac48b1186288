"""Issue 17 item 3: one owner cannot flood a result with objections (the estate's cap, a limit per
owner whatever the address, short texts and small files), and supervisors answer identical
objections together."""

from __future__ import annotations

import io
from datetime import timedelta

from sqlalchemy import select

from tests.factories import PDF, count, events, page_text, published, state
from webapp.attachments.models import Attachment
from webapp.results.models import Objection
from webapp.results.operations import MAX_OBJECTION_CHARS, MAX_OBJECTION_FILE_BYTES


def _object(s, text: str, address: str = "10.0.0.1", **extra):
    url = f"/p/{s.estate.slug}/a/{s.assembly_id}/objections"
    return s.post(url, {"text": text, **extra}, follow_redirects=True, environ_base={"REMOTE_ADDR": address})


def test_an_owner_may_file_only_the_estates_number_of_objections_to_a_result(voting):
    s = voting
    assert s.estate.objection_cap == 3  # the default
    published(s)
    s.sign_in("1-102")
    for n in range(3):
        _object(s, f"第{n + 1}条异议", address=f"10.0.0.{n + 1}")
    response = _object(s, "第4条异议", address="10.0.0.9")
    assert "已达本小区规定的上限（3 条）" in page_text(response), page_text(response)[:2000]
    assert count(s, Objection) == 3
    assert events(s, "objection.file") == 3


def test_objections_are_limited_per_owner_whatever_address_they_come_from(voting):
    s = voting
    s.estate.objection_cap = 20
    s.db.commit()
    published(s)
    s.sign_in("1-102")
    codes = [_object(s, f"异议{n}", address=f"10.0.1.{n}").status_code for n in range(6)]
    assert codes[:5] == [200] * 5
    assert codes[5] == 429
    assert count(s, Objection) == 5


def test_an_objection_longer_than_the_limit_is_refused_and_nothing_is_kept(voting):
    s = voting
    published(s)
    s.sign_in("1-102")
    response = _object(s, "统" * (MAX_OBJECTION_CHARS + 1))
    assert f"异议最多 {MAX_OBJECTION_CHARS} 字" in page_text(response)
    assert count(s, Objection) == 0


def test_an_objections_scan_over_its_smaller_limit_is_refused_and_nothing_is_kept(voting):
    s = voting
    published(s)
    s.sign_in("1-102")
    big = PDF + b"%" * MAX_OBJECTION_FILE_BYTES
    response = s.post(
        f"/p/{s.estate.slug}/a/{s.assembly_id}/objections",
        {"text": "统计有误", "file": (io.BytesIO(big), "扫描件.pdf")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "文件太大" in page_text(response), page_text(response)[:2000]
    assert "最大 2 MB" in page_text(response)
    assert count(s, Objection) == 0
    assert count(s, Attachment, Attachment.kind == "objection") == 0


def test_supervisors_answer_identical_objections_together_and_each_gets_the_answer(voting):
    s = voting
    published(s)
    s.sign_in("1-101")
    _object(s, "2号楼的统计有疑问。")
    s.sign_in("1-102")
    _object(s, "2号楼的统计有疑问。\n")  # the same text, give or take a line break
    _object(s, "另一件事")
    s.as_staff("supervisor")
    manage = f"/e/{s.estate.slug}/assemblies/{s.assembly_id}/results"
    page = s.client.get(manage).get_data(as_text=True)
    assert "2 条内容相同的异议" in page
    same = list(s.db.scalars(select(Objection).where(Objection.text.like("2号楼%")).order_by(Objection.id)))
    other = s.db.scalar(select(Objection).where(Objection.text == "另一件事"))
    url = f"/e/{s.estate.slug}/assemblies/{s.assembly_id}/objections/answer"

    # Objections with different texts cannot share one answer.
    response = s.post(url, {"objection": [str(same[0].id), str(other.id)], "answer": "已核对"}, follow_redirects=True)
    assert "只有内容完全相同的异议可以一起答复" in page_text(response)
    assert events(s, "objection.answer") == 0

    response = s.post(url, {"objection": [str(o.id) for o in same], "answer": "已核对，统计无误。"}, follow_redirects=True)
    assert "答复已公布" in page_text(response)
    s.db.expire_all()
    assert [o.answer for o in s.db.scalars(select(Objection).where(Objection.id.in_([o.id for o in same])))] == ["已核对，统计无误。"] * 2
    assert events(s, "objection.answer") == 2
    assert s.db.get(Objection, other.id).answer is None
    assert state(s) == "published"


def test_a_refused_objection_comes_back_with_its_text_as_typed_and_the_reason(voting):
    """Found on the owner's path: a refused objection (too long, say) was a flash on the results
    page and the owner's text was gone.  Now the objection's page comes back, the reason beside
    the form and every character as typed."""
    import html

    s = voting
    published(s)
    s.sign_in("1-102")
    typed = "第1号楼<的>统计有疑问 & " + "统" * MAX_OBJECTION_CHARS
    response = _object(s, typed)
    assert response.status_code == 422
    assert f"异议没有提交：异议最多 {MAX_OBJECTION_CHARS} 字" in page_text(response)
    body = response.get_data(as_text=True)
    textarea = body.split('<textarea id="text"', 1)[1].split(">", 1)[1].split("</textarea>", 1)[0]
    assert html.unescape(textarea) == typed
    assert count(s, Objection) == 0


def test_the_results_page_links_to_the_objections_own_page_which_says_when_none_can_be_filed(voting):
    s = voting
    published(s)
    s.sign_in("1-102")
    results = s.client.get(f"/p/{s.estate.slug}/a/{s.assembly_id}/results").get_data(as_text=True)
    assert 'name="text"' not in results  # one thing per screen: the form is on its own page
    assert f'href="/p/{s.estate.slug}/a/{s.assembly_id}/objections/new"' in results
    page = s.client.get(f"/p/{s.estate.slug}/a/{s.assembly_id}/objections/new")
    assert page.status_code == 200
    assert 'name="text"' in page.get_data(as_text=True)
    s.at(s.assembly.results_until + timedelta(minutes=1))
    s.sign_in("1-102")
    closed = s.client.get(f"/p/{s.estate.slug}/a/{s.assembly_id}/objections/new")
    assert 'name="text"' not in closed.get_data(as_text=True)
    assert "公示期已于" in page_text(closed)
    assert "返回表决结果" in page_text(closed)
    s.post("/logout")
    anonymous = s.client.get(f"/p/{s.estate.slug}/a/{s.assembly_id}/objections/new")
    assert anonymous.status_code == 302
    assert "/signin" in anonymous.headers["Location"]
