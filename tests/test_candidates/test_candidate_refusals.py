"""Bad nominations: of someone who is not an owner, of someone already
nominated for that election, after the nomination deadline, with a scan or photo that is not
what its name says.  Each is refused with the reason in the reader's language, and nothing is
written: no candidate, no file, no audit event."""

from __future__ import annotations

import io
import os
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.factories import LI_TAIL, PDF, PNG, ZHANG_TAIL, english, errors, nothing_written


@pytest.fixture
def nominations(scenario):
    """A published notice (voting in 20 days, nominations close in 10) to which an election for a
    whole committee has been added; 张三 (1-101) and 李四 (1-102) registered online."""
    s = scenario
    s.at(s.now.replace(second=0))
    s.register_owner("1-101", "张三", ZHANG_TAIL)
    s.register_owner("1-102", "李四", LI_TAIL)
    s.deadline = s.now + timedelta(days=10)
    s.create(opens=s.now + timedelta(days=20), closes=s.now + timedelta(days=27))
    s.as_staff("organiser")
    a = s.assembly
    response = s.post(
        f"/e/{s.estate.slug}/assemblies/{s.assembly_id}",
        {
            "a-title": a.title,
            "a-kind": a.kind,
            "a-opens_at": s.local(a.opens_at),
            "a-closes_at": s.local(a.closes_at),
            "a-publication_days": "7",
            "a-nomination_deadline": s.local(s.deadline),
        },
        follow_redirects=True,
    )
    assert errors(response) == []
    s.add_item("resolution", 2, "修订管理规约")
    s.publish_notice()
    s.election_id = s.add_item("election", 3, "选举第二届业主委员会", seats=5)
    s.post("/logout")
    return s


def nominate(s, **fields):
    return s.post(f"/me/a/{s.assembly_id}/nominate", {"item": str(s.election_id), **fields}, follow_redirects=True)


def other(unit: str, name: str) -> dict:
    return {"o-unit": unit, "o-name": name}


def paper(s, unit: str, name: str, scan: bytes = PDF, scan_name: str = "提名表.pdf"):
    return s.post(
        f"/e/{s.estate.slug}/assemblies/{s.assembly_id}/items/{s.election_id}/paper-nomination",
        {"p-unit": unit, "p-name": name, "p-statement": "竞选陈述", "scan": (io.BytesIO(scan), scan_name)},
        content_type="multipart/form-data",
        follow_redirects=True,
    )


def candidates(s) -> list[tuple[str, str]]:
    from webapp.candidates.models import Candidate

    s.db.expire_all()
    return [(c.name, c.state) for c in s.db.scalars(select(Candidate).order_by(Candidate.id))]


# ---------------------------------------------------------------- owners online


def test_an_owner_nominating_someone_who_is_not_an_owner_of_that_unit_is_refused(nominations):
    s = nominations
    s.sign_in("1-101")
    with nothing_written(s.db):
        response = nominate(s, **other("1-102", "赵六"))
    assert errors(response) == ["1-102 的业主中没有“赵六”"]


def test_an_owner_nominating_someone_at_a_unit_that_does_not_exist_is_refused(nominations):
    s = nominations
    s.sign_in("1-101")
    with nothing_written(s.db):
        response = nominate(s, **other("9-909", "李四"))
    assert errors(response) == ["没有找到房屋 9-909 或它没有登记业主"]


def test_an_owner_nominating_someone_already_nominated_for_that_election_is_refused(nominations):
    s = nominations
    s.sign_in("1-101")
    assert errors(nominate(s, **other("1-102", "李四"))) == []
    s.sign_in("1-102")
    with nothing_written(s.db):
        response = nominate(s, **{"s-statement": "我愿意为大家服务"})
    assert errors(response) == ["李四 已被提名参加这次选举"]
    assert candidates(s) == [("李四", "awaiting_consent")]


def test_a_second_self_nomination_for_the_same_election_is_refused_in_english(nominations):
    s = nominations
    s.sign_in("1-101")
    nominate(s, **{"s-statement": "我愿意为大家服务"})
    english(s)
    with nothing_written(s.db):
        response = nominate(s, **{"s-statement": "Once more"})
    assert errors(response) == ["张三 has already been nominated for this election"]


def test_a_nomination_after_the_deadline_is_refused_with_the_deadline_in_the_estates_time(nominations):
    from webapp.core.timefmt import local

    s = nominations
    s.at(s.deadline + timedelta(minutes=1))
    s.sign_in("1-101")
    with nothing_written(s.db):
        mine = nominate(s, **{"s-statement": "我愿意为大家服务"})
        theirs = nominate(s, **other("1-102", "李四"))
    closed = local(s.deadline, s.estate)
    assert errors(mine) == errors(theirs) == [f"提名已于 {closed} 截止"]
    english(s)
    with nothing_written(s.db):
        response = nominate(s, **{"s-statement": "I will serve"})
    assert errors(response) == [f"nominations closed on {closed}"]


def test_a_nomination_just_before_the_deadline_is_taken(nominations):
    s = nominations
    s.at(s.deadline - timedelta(minutes=2))
    s.sign_in("1-101")
    assert errors(nominate(s, **{"s-statement": "我愿意为大家服务"})) == []
    assert candidates(s) == [("张三", "awaiting_consent")]


def test_a_candidates_photo_that_is_not_an_image_is_refused(nominations):
    from webapp.candidates.models import Candidate

    s = nominations
    s.sign_in("1-101")
    nominate(s, **{"s-statement": "我愿意为大家服务"})
    candidate_id = s.db.scalar(select(Candidate.id))
    for data, name, message in (
        (
            PDF + os.urandom(8),
            "我.jpg",
            "只接受 JPEG、PNG 图片，而这个文件的内容不是图片（例如 PDF 或 Word 文件）。请上传照片，或把它另存为 JPEG、PNG 图片再上传。",
        ),
        (PNG + os.urandom(8), "我.jpg", "与内容不符：内容是 image/png"),
        (b"", "我.png", "文件是空的"),
    ):
        with nothing_written(s.db):
            response = s.post(
                f"/me/candidacies/{candidate_id}",
                {"photo": (io.BytesIO(data), name)},
                content_type="multipart/form-data",
                follow_redirects=True,
            )
        problems = errors(response)
        assert len(problems) == 1, problems
        assert message in problems[0], problems


# ---------------------------------------------------------------- paper nominations


def test_a_paper_nomination_of_someone_who_is_not_an_owner_is_refused(nominations):
    s = nominations
    s.as_staff("organiser")
    with nothing_written(s.db):
        response = paper(s, "2-201", "李四")
    assert errors(response) == ["2-201 的业主中没有“李四”"]


def test_a_paper_nomination_of_someone_already_nominated_is_refused(nominations):
    s = nominations
    s.as_staff("organiser")
    assert errors(paper(s, "1-101", "张三")) == []
    with nothing_written(s.db):
        again = paper(s, "2-201", "张三", scan=PDF + os.urandom(8))  # the same person, by another of their units
    assert errors(again) == ["张三 已被提名参加这次选举"]
    english(s)
    with nothing_written(s.db):
        response = paper(s, "1-101", "张三", scan=PDF + os.urandom(8))
    assert errors(response) == ["张三 has already been nominated for this election"]


def test_a_paper_nomination_after_the_deadline_is_refused(nominations):
    from webapp.core.timefmt import local

    s = nominations
    s.at(s.deadline + timedelta(hours=1))
    s.as_staff("organiser")
    with nothing_written(s.db):
        response = paper(s, "1-101", "张三")
    assert errors(response) == [f"提名已于 {local(s.deadline, s.estate)} 截止"]


@pytest.mark.parametrize(
    ("scan", "name", "message"),
    [
        (
            "这不是扫描件".encode(),
            "提名表.pdf",
            "只接受 PDF、JPEG、PNG 文件，而这个文件的内容不是其中任何一种（例如 Word、Excel 文件，或改过扩展名的文件）。请把它另存为 PDF，或拍照保存为 JPEG，再上传。",
        ),
        (PNG, "提名表.pdf", "文件名“提名表.pdf”与内容不符：内容是 image/png"),
        (b"", "提名表.pdf", "文件是空的"),
    ],
)
def test_a_paper_nomination_whose_scan_is_not_what_its_name_says_leaves_no_candidate(nominations, scan, name, message):
    s = nominations
    s.as_staff("organiser")
    with nothing_written(s.db):
        response = paper(s, "1-101", "张三", scan=scan + (os.urandom(8) if scan else b""), scan_name=name)
    assert errors(response) == [message]
    assert candidates(s) == []
