"""Bad input on an assembly and its agenda: each refused with a clear reason in
the reader's language (Chinese by default, English by the language switch), and nothing written:
no new or changed row, no audit event for the refused action."""

from __future__ import annotations

import io
import os
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.factories import PDF, PNG, english, errors, nothing_written, text_of
from webapp.assemblies.models import AgendaItem, Assembly
from webapp.demo.registry import uscc


def rng_uscc(seed: int) -> str:
    import random

    return uscc(random.Random(seed))


def window(s, opens, closes, **extra) -> dict:
    return {
        "a-title": "2026年第二次业主大会",
        "a-kind": "regular",
        "a-opens_at": s.local(opens),
        "a-closes_at": s.local(closes),
        "a-publication_days": "7",
        **extra,
    }


def create(s, opens, closes, **extra):
    return s.post(f"/e/{s.estate.slug}/assemblies", window(s, opens, closes, **extra), follow_redirects=True)


@pytest.fixture
def organiser(scenario):
    scenario.as_staff("organiser")
    return scenario


@pytest.fixture
def draft(scenario):
    """A draft assembly whose voting opens in 30 days, for a week."""
    s = scenario
    s.at(s.now.replace(second=0))
    s.create(opens=s.now + timedelta(days=30), closes=s.now + timedelta(days=37))
    return s


def current(s):
    """The assembly as the database has it now (not as this test's session last saw it)."""
    s.db.expire_all()
    return s.assembly


def page_of(s, path: str = "") -> str:
    return f"/e/{s.estate.slug}/assemblies/{s.assembly_id}{path}"


def count(s, model) -> int:
    s.db.expire_all()
    return s.db.scalar(select(func.count()).select_from(model))


def audit_actions(s) -> list[str]:
    from webapp.audit.models import AuditEvent

    return list(s.db.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


# ---------------------------------------------------------------- the voting window


def test_a_window_that_closes_before_it_opens_is_refused_and_no_assembly_is_created(organiser):
    s = organiser
    opens = s.now + timedelta(days=20)
    with nothing_written(s.db):
        response = create(s, opens, opens - timedelta(hours=2))
    assert response.status_code == 200
    assert errors(response) == ["投票截止时间必须晚于开始时间"]
    assert count(s, Assembly) == 0
    assert "assembly.create" not in audit_actions(s)


def test_a_window_that_closes_when_it_opens_is_refused(organiser):
    s = organiser
    opens = s.now + timedelta(days=20)
    with nothing_written(s.db):
        response = create(s, opens, opens)
    assert "投票截止时间必须晚于开始时间" in errors(response)


def test_a_window_that_opens_in_the_past_is_refused(organiser):
    s = organiser
    opens = s.now - timedelta(hours=3)
    with nothing_written(s.db):
        response = create(s, opens, opens + timedelta(days=7))
    assert errors(response) == ["投票开始时间已经过去"]


def test_a_window_shorter_than_an_hour_is_refused(organiser):
    s = organiser
    opens = s.now + timedelta(days=20)
    with nothing_written(s.db):
        response = create(s, opens, opens + timedelta(minutes=59))
    assert errors(response) == ["投票时间至少需要一小时"]


def test_a_window_of_exactly_one_hour_is_accepted(organiser):
    s = organiser
    opens = s.now + timedelta(days=20)
    response = create(s, opens, opens + timedelta(hours=1))
    assert errors(response) == []
    assert "assembly.create" in audit_actions(s)


@pytest.mark.parametrize(
    ("lead_days", "length_days", "named"),
    [
        (367, 7, "一年以后"),  # opening more than a year ahead: likely a slip of the year
        (20, 93, "三个月"),  # open for longer than three months
    ],
    ids=["opening-over-a-year-ahead", "longer-than-three-months"],
)
def test_a_window_too_far_ahead_or_too_long_is_refused_as_a_likely_slip(organiser, lead_days, length_days, named):
    s = organiser
    opens = s.now + timedelta(days=lead_days)
    with nothing_written(s.db):
        response = create(s, opens, opens + timedelta(days=length_days))
    assert any(named in e for e in errors(response))


def test_every_problem_of_a_window_is_named_at_once(organiser):
    s = organiser
    opens = s.now - timedelta(days=1)
    with nothing_written(s.db):
        response = create(s, opens, opens - timedelta(hours=1))
    assert errors(response) == ["投票截止时间必须晚于开始时间；投票开始时间已经过去"]


def test_nominations_that_close_after_voting_opens_are_refused(organiser):
    s = organiser
    opens = s.now + timedelta(days=20)
    with nothing_written(s.db):
        response = create(s, opens, opens + timedelta(days=7), **{"a-nomination_deadline": s.local(opens + timedelta(days=1))})
    assert errors(response) == ["提名截止时间须早于投票开始时间"]


def test_window_refusals_are_in_english_after_the_language_switch(organiser):
    s = organiser
    english(s)
    opens = s.now + timedelta(days=20)
    with nothing_written(s.db):
        before = create(s, opens, opens - timedelta(hours=1))
        past = create(s, s.now - timedelta(hours=1), s.now + timedelta(days=3))
        short = create(s, opens, opens + timedelta(minutes=30))
    assert errors(before) == ["voting must close after it opens"]
    assert errors(past) == ["the voting window opens in the past"]
    assert errors(short) == ["the voting window must be at least one hour long"]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("a-opens_at", "明天上午", "开始"),
        ("a-closes_at", "", "截止"),
        ("a-publication_days", "0", "1 至 90"),
        ("a-publication_days", "91", "1 至 90"),
        ("a-publication_days", "七天", "1 至 90"),
        ("a-title", "", "名称"),
    ],
)
def test_a_field_the_assembly_cannot_hold_is_refused_with_its_reason_in_chinese(organiser, field, value, message):
    s = organiser
    opens = s.now + timedelta(days=20)
    with nothing_written(s.db):
        response = create(s, opens, opens + timedelta(days=7), **{field: value})
    assert response.status_code == 200
    problems = errors(response)
    assert problems, problems
    assert any(message in p for p in problems), problems
    assert all(not p.isascii() for p in problems), problems  # no untranslated English


def test_a_time_beyond_what_the_calendar_can_hold_is_refused_not_a_server_error(organiser):
    s = organiser
    with nothing_written(s.db):
        response = s.post(
            f"/e/{s.estate.slug}/assemblies",
            {
                "a-title": "公元元年的大会",
                "a-kind": "regular",
                "a-opens_at": "0001-01-01T00:00",
                "a-closes_at": "0001-01-08T00:00",
                "a-publication_days": "7",
            },
        )
    assert response.status_code == 200
    assert errors(response) == ["时间 0001-01-01 00:00 超出了日历的范围，请检查年份"]


def test_an_unknown_kind_of_assembly_is_refused(organiser):
    s = organiser
    opens = s.now + timedelta(days=20)
    with nothing_written(s.db):
        response = create(s, opens, opens + timedelta(days=7), **{"a-kind": "annual"})
    problems = errors(response)
    assert problems, problems
    assert all(not p.isascii() for p in problems), problems


def test_an_edit_that_breaks_the_window_leaves_the_assembly_as_it_was(draft):
    s = draft
    a = current(s)
    with nothing_written(s.db):
        response = s.post(
            page_of(s), window(s, a.opens_at, a.opens_at - timedelta(days=1), **{"a-title": "改过的名称"}), follow_redirects=True
        )
    assert "投票截止时间必须晚于开始时间" in errors(response)
    assert current(s).title == "2026年第一次业主大会"


def test_an_edit_that_moves_the_opening_into_the_past_is_refused_in_english_too(draft):
    s = draft
    english(s)
    a = current(s)
    with nothing_written(s.db):
        response = s.post(page_of(s), window(s, s.now - timedelta(minutes=5), a.closes_at), follow_redirects=True)
    assert "the voting window opens in the past" in errors(response)


# ---------------------------------------------------------------- items and seats


def item_form(form: str, category: int, title: str = "选举业主委员会", **extra) -> dict:
    return {"i-form": form, "i-category": str(category), "i-title": title, **{f"i-{k}": str(v) for k, v in extra.items()}}


@pytest.mark.parametrize(
    ("seats", "by_election", "message"),
    [
        ("4", False, "业主委员会由 5 至 11 名委员组成，且须为单数"),
        ("6", False, "业主委员会由 5 至 11 名委员组成，且须为单数"),
        ("3", False, "业主委员会由 5 至 11 名委员组成，且须为单数"),
        ("13", False, "名额须为 1 至 11 名"),
        ("12", True, "名额须为 1 至 11 名"),
        ("0", False, "名额须为 1 至 11 名"),
        ("-1", True, "名额须为 1 至 11 名"),
        ("", False, "请填写席位数"),
        ("七", False, "不是有效的整数"),
    ],
)
def test_seats_out_of_range_are_refused_and_no_item_is_added(draft, seats, by_election, message):
    s = draft
    data = item_form("election", 3, seats=seats)
    if by_election:
        data["i-by_election"] = "y"
    with nothing_written(s.db):
        response = s.post(page_of(s), data, follow_redirects=True)
    problems = errors(response)
    assert any(message in p for p in problems), problems
    assert all(not p.isascii() for p in problems), problems


def test_seats_out_of_range_are_refused_in_english(draft):
    s = draft
    english(s)
    with nothing_written(s.db):
        response = s.post(page_of(s), item_form("election", 3, seats=8), follow_redirects=True)
    assert errors(response) == ["a whole committee has 5 to 11 members, an odd number"]


def test_a_by_election_may_fill_an_even_number_of_seats(draft):
    s = draft
    item_id = s.add_item("election", 3, "补选业主委员会委员", seats=2, by_election="y")
    s.db.expire_all()
    assert s.db.get(AgendaItem, item_id).seats == 2


def test_an_election_outside_categories_3_and_9_is_refused_as_the_tally_would_refuse_it(draft):
    s = draft
    with nothing_written(s.db):
        response = s.post(page_of(s), item_form("election", 5, seats=5), follow_redirects=True)
    assert errors(response) == ["选举事项须属于第 3 类（业主委员会）或第 9 类"]


@pytest.mark.parametrize("category", ["0", "10", "三"])
def test_a_category_outside_article_278_is_refused(draft, category):
    s = draft
    with nothing_written(s.db):
        response = s.post(page_of(s), item_form("resolution", 1, "修订议事规则") | {"i-category": category}, follow_redirects=True)
    problems = errors(response)
    assert problems, problems
    assert all(not p.isascii() for p in problems), problems


def test_an_edit_to_an_even_number_of_seats_leaves_the_election_unchanged(draft):
    s = draft
    item_id = s.add_item("election", 3, "选举业主委员会", seats=5)
    with nothing_written(s.db):
        response = s.post(page_of(s, f"/items/{item_id}"), item_form("election", 3, "选举业主委员会（改）", seats=6), follow_redirects=True)
    assert "业主委员会由 5 至 11 名委员组成，且须为单数" in errors(response)


@pytest.mark.parametrize("value", ["-1", "12", "两"])
def test_alternates_the_rules_cannot_hold_are_refused_and_the_estate_keeps_its_rules(scenario, make_staff, value):
    s = scenario
    make_staff("root", admin=True)
    s.as_staff("root")
    form = {
        "r-alternates": value,
        "r-tally_signatures_required": "1",
        "r-notice_period_days": "15",
        "r-candidate_publication_days": "7",
        "r-results_publication_days": "7",
        "r-proxy_cap": "3",
    }
    with nothing_written(s.db):
        response = s.post(f"/e/{s.estate.slug}/settings", form, follow_redirects=True)
    assert "请填写 0 到 11 之间的数字" in text_of(response)


# ---------------------------------------------------------------- bidders


@pytest.fixture
def selection(draft):
    s = draft
    s.item_id = s.add_item("selection", 4, "选聘物业服务企业")
    response = s.post(page_of(s, f"/items/{s.item_id}"), bidder("杭州安居物业服务有限公司", rng_uscc(1)), follow_redirects=True)
    assert errors(response) == []
    return s


def bidder(name: str, code: str, fee: str = "2.30") -> dict:
    return {"b-name": name, "b-uscc": code, "b-fee": fee, "b-plan": "24小时保安。"}


def test_a_bidder_with_the_same_credit_code_is_refused(selection):
    s = selection
    with nothing_written(s.db):
        response = s.post(page_of(s, f"/items/{s.item_id}"), bidder("另一家物业公司", rng_uscc(1).lower()), follow_redirects=True)
    assert errors(response) == [f"统一社会信用代码 {rng_uscc(1)} 已属于参选企业“杭州安居物业服务有限公司”"]


def test_a_bidder_with_the_same_name_is_refused(selection):
    s = selection
    with nothing_written(s.db):
        response = s.post(page_of(s, f"/items/{s.item_id}"), bidder(" 杭州安居物业服务有限公司 ", rng_uscc(2)), follow_redirects=True)
    assert errors(response) == ["参选名单中已有同名企业“杭州安居物业服务有限公司”"]


def test_a_bidder_with_the_same_name_in_other_spacing_or_width_is_refused_in_english(selection):
    s = selection
    s.post(page_of(s, f"/items/{s.item_id}"), bidder("Green Property Ltd", rng_uscc(3)))
    english(s)
    with nothing_written(s.db):
        response = s.post(page_of(s, f"/items/{s.item_id}"), bidder("ＧＲＥＥＮ  property ltd", rng_uscc(4)), follow_redirects=True)
    assert errors(response) == ["a firm of the same name is already a bidder: 'Green Property Ltd'"]


def test_the_same_firm_may_bid_in_two_selections(selection):
    s = selection
    other = s.add_item("selection", 4, "选聘停车场管理单位")
    response = s.post(page_of(s, f"/items/{other}"), bidder("杭州安居物业服务有限公司", rng_uscc(1)), follow_redirects=True)
    assert errors(response) == []


@pytest.mark.parametrize(
    "mangle",
    [
        lambda code: code[:-1] + ("0" if code[-1] != "0" else "1"),  # the check character
        lambda code: code[:16] + ("0" if code[16] != "0" else "1") + code[17],  # the organisation code's check
        lambda code: code[:-1],  # 17 characters
        lambda code: "91330100MA2XXXXXXX",
    ],
)
def test_an_invalid_credit_code_is_refused_by_its_check_character(selection, mangle):
    s = selection
    code = mangle(rng_uscc(5))
    with nothing_written(s.db):
        response = s.post(page_of(s, f"/items/{s.item_id}"), bidder("浙江绿城物业服务有限公司", code), follow_redirects=True)
    assert errors(response) == [f"统一社会信用代码“{code}”无效（18 位，校验位须符合 GB 32100）"]


@pytest.mark.parametrize("fee", ["0", "0.00", "-2", "两元", "2.345"])
def test_a_fee_the_bidder_cannot_hold_is_refused(selection, fee):
    s = selection
    with nothing_written(s.db):
        response = s.post(page_of(s, f"/items/{s.item_id}"), bidder("浙江绿城物业服务有限公司", rng_uscc(6), fee), follow_redirects=True)
    problems = errors(response)
    assert problems, problems
    assert "物业费" in problems[0], problems


# ---------------------------------------------------------------- attachments


def upload(s, item_id: int, data: bytes, name: str, **extra):
    return s.post(
        page_of(s, f"/items/{item_id}"),
        {"upload": "1", "file": (io.BytesIO(data), name), **extra},
        content_type="multipart/form-data",
        follow_redirects=True,
    )


def stored(s, data: bytes) -> bool:
    import hashlib

    from webapp.attachments.storage import path_for

    with s.app.app_context():
        return path_for(hashlib.sha256(data).hexdigest()).exists()


@pytest.fixture
def item(draft):
    draft.item_id = draft.add_item("resolution", 2, "修订管理规约")
    return draft


def unique(data: bytes) -> bytes:
    return data + os.urandom(16)


def test_a_full_file_store_refuses_an_upload_clearly_and_leaves_no_part_file(item, monkeypatch):
    """Issue 18, item 7: the disk fills up halfway through the write."""
    import errno
    import hashlib

    from webapp.attachments import storage
    from webapp.attachments.storage import path_for

    s = item
    data = unique(PDF)
    written = []

    def full(fd, chunk):
        os.write(fd, bytes(chunk[: len(chunk) // 2]))
        written.append(os.readlink(f"/proc/self/fd/{fd}"))
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(storage, "_write", full)
    with nothing_written(s.db):
        response = upload(s, s.item_id, data, "管理规约.pdf")
    assert response.status_code == 200
    assert errors(response) == ["文件存储空间已满，文件没有保存，其他内容也没有改变。请联系技术人员腾出空间后重试。"]
    assert not stored(s, data)
    with s.app.app_context():
        folder = path_for(hashlib.sha256(data).hexdigest()).parent
    assert written
    assert written[0].endswith(".part")
    assert [p.name for p in folder.iterdir() if p.name.endswith(".part")] == []
    # Each attempt writes to a temporary file of its own (two servers storing one file at once).
    with nothing_written(s.db):
        upload(s, s.item_id, data, "管理规约.pdf")
    assert len(written) == 2
    assert written[0] != written[1]
    # Room made: the same upload is stored.
    monkeypatch.undo()
    assert errors(upload(s, s.item_id, data, "管理规约.pdf")) == []
    assert stored(s, data)


def test_a_pdf_whose_bytes_are_a_png_is_refused(item):
    s = item
    data = unique(PNG)
    with nothing_written(s.db):
        response = upload(s, s.item_id, data, "管理规约.pdf")
    assert errors(response) == ["文件名“管理规约.pdf”与内容不符：内容是 image/png"]
    assert not stored(s, data)


def test_a_pdf_whose_bytes_are_text_is_refused(item):
    s = item
    data = unique("这其实是一个文本文件\n".encode())
    with nothing_written(s.db):
        response = upload(s, s.item_id, data, "预算.pdf")
    assert errors(response) == [
        "只接受 PDF、JPEG、PNG 文件，而这个文件的内容不是其中任何一种（例如 Word、Excel 文件，或改过扩展名的文件）。请把它另存为 PDF，或拍照保存为 JPEG，再上传。"
    ]
    assert not stored(s, data)


def test_a_file_over_the_limit_is_refused(item):
    from webapp.attachments.storage import MAX_BYTES

    s = item
    data = PDF + b"0" * (MAX_BYTES - len(PDF) + 1)
    with nothing_written(s.db):
        response = upload(s, s.item_id, data, "预算.pdf")
    assert errors(response) == [f"文件太大（{len(data) // 1024} KB），最大 10 MB"]
    assert not stored(s, data)


def test_an_empty_file_is_refused(item):
    s = item
    with nothing_written(s.db):
        response = upload(s, s.item_id, b"", "空白.pdf")
    assert errors(response) == ["文件是空的"]


def test_a_file_beyond_what_a_request_may_carry_is_refused_before_it_is_read(item):
    s = item
    data = PDF + b"0" * (20 * 1024 * 1024)
    with nothing_written(s.db):
        response = upload(s, s.item_id, data, "扫描件.pdf")
    assert response.status_code == 413
    assert "文件太大" in text_of(response)
    assert not stored(s, data)


def test_attachment_refusals_are_in_english_after_the_language_switch(item):
    s = item
    english(s)
    with nothing_written(s.db):
        mismatch = upload(s, s.item_id, unique(PDF), "photo.png")
        empty = upload(s, s.item_id, b"", "budget.pdf")
    assert errors(mismatch) == ["the name 'photo.png' does not match the content, which is application/pdf"]
    assert errors(empty) == ["the file is empty"]


def test_a_bidders_file_that_is_not_what_its_name_says_is_refused(selection):
    s = selection
    from webapp.assemblies.models import Bidder

    bidder_id = s.db.scalar(select(Bidder.id))
    with nothing_written(s.db):
        response = upload(s, s.item_id, unique(b"GIF89a" + b"\x00" * 32), "投标书.pdf", bidder=str(bidder_id))
    assert errors(response) == [
        "只接受 PDF、JPEG、PNG 文件，而这个文件的内容不是其中任何一种（例如 Word、Excel 文件，或改过扩展名的文件）。请把它另存为 PDF，或拍照保存为 JPEG，再上传。"
    ]


def test_a_file_that_is_what_its_name_says_is_attached_with_its_digest(item):
    s = item
    data = unique(PDF)
    response = upload(s, s.item_id, data, "管理规约.pdf")
    assert errors(response) == []
    import hashlib

    assert hashlib.sha256(data).hexdigest() in response.get_data(as_text=True)
    assert stored(s, data)


def test_the_scan_of_a_paper_nomination_cannot_be_removed_by_an_organiser(scenario):
    from webapp.attachments.models import Attachment

    s = scenario
    s.create(opens=s.start + timedelta(days=25), closes=s.start + timedelta(days=32))
    election = s.add_item("election", 3, "补选业主委员会委员", seats=1, by_election="y")
    s.paper_nomination(election, "1-101", "张三")
    scan = s.db.scalar(select(Attachment).where(Attachment.kind == "nomination"))
    with nothing_written(s.db):
        response = s.post(f"/e/{s.estate.slug}/assemblies/{s.assembly_id}/files/{scan.id}/remove", follow_redirects=True)
    assert "这份文件是存证" in text_of(response)
    assert s.db.get(Attachment, scan.id) is not None


# ---------------------------------------------------------------- who may edit


@pytest.fixture
def agenda(draft):
    """A draft with a selection (one bidder, one file) and an election."""
    from webapp.assemblies.models import Bidder
    from webapp.attachments.models import Attachment

    s = draft
    s.item_id = s.add_item("selection", 4, "选聘物业服务企业")
    s.post(page_of(s, f"/items/{s.item_id}"), bidder("杭州安居物业服务有限公司", rng_uscc(1)))
    assert errors(upload(s, s.item_id, unique(PDF), "招标文件.pdf")) == []
    s.election_id = s.add_item("election", 3, "选举业主委员会", seats=5)
    s.bidder_id = s.db.scalar(select(Bidder.id))
    s.file_id = s.db.scalar(select(Attachment.id))
    return s


def edits(s) -> list[tuple[str, dict]]:
    """Every change an organiser can make to a draft, as (path, form)."""
    a = current(s)
    return [
        ("", window(s, s.now + timedelta(days=40), s.now + timedelta(days=47))),  # create (posted to the list)
        (f"/{s.assembly_id}", window(s, a.opens_at, a.closes_at, **{"a-title": "改过的名称"})),
        (f"/{s.assembly_id}", item_form("resolution", 2, "修订管理规约")),
        (f"/{s.assembly_id}/items/{s.item_id}", item_form("selection", 4, "选聘物业服务企业（改）")),
        (f"/{s.assembly_id}/items/{s.item_id}", bidder("浙江绿城物业服务有限公司", rng_uscc(9))),
        (f"/{s.assembly_id}/items/{s.item_id}", {"upload": "1", "file": (io.BytesIO(unique(PDF)), "投标书.pdf")}),
        (f"/{s.assembly_id}/items/{s.item_id}/bidders/{s.bidder_id}/remove", {}),
        (f"/{s.assembly_id}/files/{s.file_id}/remove", {}),
        (f"/{s.assembly_id}/items/{s.election_id}/remove", {}),
        (
            f"/{s.assembly_id}/items/{s.election_id}/paper-nomination",
            {"p-unit": "1-101", "p-name": "张三", "p-statement": "竞选陈述", "scan": (io.BytesIO(unique(PDF)), "提名表.pdf")},
        ),
        (f"/{s.assembly_id}/publish", {}),
    ]


def test_every_edit_by_a_supervisor_is_refused_with_403_and_the_reason(agenda):
    s = agenda
    s.as_staff("supervisor")
    with nothing_written(s.db):
        for path, data in edits(s):
            response = s.post(f"/e/{s.estate.slug}/assemblies{path}", data, content_type="multipart/form-data")
            assert response.status_code == 403, (path, response.status_code)
            reasons = errors(response)
            assert reasons in (["只有本小区的组织者可以编辑会议和议程"], ["这个页面只供本小区的组织者使用；您在本小区是监督员"]), (
                path,
                reasons,
            )


def test_a_supervisor_is_told_why_in_english_after_the_language_switch(agenda):
    s = agenda
    s.as_staff("supervisor")
    english(s)
    with nothing_written(s.db):
        edit = s.post(page_of(s), item_form("resolution", 2, "Amend the statute"))
        publish = s.post(page_of(s, "/publish"))
    assert edit.status_code == 403
    assert errors(edit) == ["only an organiser of this estate can edit assemblies and agendas"]
    assert publish.status_code == 403
    assert errors(publish) == ["this page is for the estate's organisers only; you are a supervisor of this estate"]


def test_every_edit_by_an_organiser_of_another_estate_is_not_found(agenda, make_estate, make_staff):
    s = agenda
    other = make_estate("qingyuan", "青苑小区")
    make_staff("org-other", estate=other, role="organiser")
    s.as_staff("org-other")
    with nothing_written(s.db):
        for slug in (s.estate.slug, other.slug):
            for path, data in edits(s):
                if not path and slug == other.slug:
                    continue  # creating an assembly in their own estate is their right
                response = s.post(f"/e/{slug}/assemblies{path}", data, content_type="multipart/form-data")
                assert response.status_code == 404, (slug, path, response.status_code)
                assert "页面不存在" in text_of(response)
                assert s.estate.name not in text_of(response)


def test_a_platform_admin_reads_the_agenda_but_cannot_change_it(agenda, make_staff):
    s = agenda
    make_staff("root", admin=True)
    s.as_staff("root")
    assert s.client.get(page_of(s)).status_code == 200
    with nothing_written(s.db):
        response = s.post(page_of(s), item_form("resolution", 2, "修订管理规约"))
    assert response.status_code == 403
    assert errors(response) == ["只有本小区的组织者可以编辑会议和议程"]


# ---------------------------------------------------------------- candidates enough for the seats


def reject(s, item_id: int, name: str, reason: str = "经核实欠缴物业费，不符合候选人条件") -> None:
    from webapp.candidates.models import Candidate

    candidate = s.db.scalar(select(Candidate).where(Candidate.item_id == item_id, Candidate.name == name))
    s.as_staff("supervisor")
    response = s.post(page_of(s, f"/candidates/{candidate.id}/reject"), {"d-reason": reason}, follow_redirects=True)
    assert errors(response) == [], errors(response)


def test_a_notice_whose_election_lacks_vetted_candidates_is_refused_naming_the_item_and_how_many_are_missing(draft):
    s = draft
    election = s.add_item("election", 3, "选举第二届业主委员会", seats=5)
    for unit, name in (("1-101", "张三"), ("1-102", "李四"), ("1-102", "王五")):
        s.paper_nomination(election, unit, name)
    reject(s, election, "王五")
    s.vet_all_and_publish(election)
    s.later(days=8)
    s.as_staff("organiser")
    with nothing_written(s.db):
        response = s.post(page_of(s, "/publish"), follow_redirects=True)
    assert errors(response) == ["“选举第二届业主委员会”：应选 5 名，审查通过的候选人只有 2 名，还差 3 名"]
    assert current(s).state == "draft"
    assert current(s).notice_version == 0
    english(s)
    with nothing_written(s.db):
        response = s.post(page_of(s, "/publish"), follow_redirects=True)
    assert errors(response) == ["'选举第二届业主委员会': 5 seat(s) to fill but only 2 approved candidate(s): 3 more needed"]


def test_a_notice_whose_election_has_no_list_yet_says_how_many_candidates_are_missing(draft):
    s = draft
    election = s.add_item("election", 3, "补选业主委员会委员", seats=3, by_election="y")
    s.paper_nomination(election, "1-101", "张三")
    s.as_staff("organiser")
    with nothing_written(s.db):
        response = s.post(page_of(s, "/publish"), follow_redirects=True)
    assert errors(response) == [
        "“补选业主委员会委员”：候选人名单尚未公示；“补选业主委员会委员”：应选 3 名，审查通过的候选人只有 0 名，还差 3 名"
    ]


def test_voting_does_not_open_when_an_election_lost_candidates_after_the_notice_and_the_page_says_how_many(scenario):
    s = scenario
    s.at(s.now.replace(second=0))
    opens = s.now + timedelta(days=25)
    s.create(opens=opens, closes=opens + timedelta(days=7))
    election = s.add_item("election", 3, "补选业主委员会委员", seats=2, by_election="y")
    s.paper_nomination(election, "1-101", "张三")
    s.paper_nomination(election, "1-102", "李四")
    s.vet_all_and_publish(election)
    s.later(days=8)
    s.publish_notice()
    s.freeze_and_sign_roll()
    assert current(s).state == "notice"
    assert current(s).roll is not None
    reject(s, election, "李四")
    s.at(opens + timedelta(hours=1))
    s.as_staff("organiser")
    page = text_of(s.client.get(page_of(s)))
    assert current(s).state == "notice"
    assert "“补选业主委员会委员”：应选 2 名，审查通过的候选人只有 1 名，还差 1 名" in page
    assert "assembly.open" not in audit_actions(s)


# ---------------------------------------------------------------- the notice period


def test_a_notice_too_close_to_the_opening_is_refused_with_the_first_allowed_date_in_the_estates_zone(scenario):
    from webapp.core.timefmt import local

    s = scenario
    s.estate.timezone = "Asia/Urumqi"
    s.db.commit()
    s.at(s.now.replace(second=0))
    s.create(opens=s.now + timedelta(days=10), closes=s.now + timedelta(days=17))
    s.add_item("resolution", 2, "修订管理规约")
    with nothing_written(s.db):
        response = s.post(page_of(s, "/publish"), follow_redirects=True)
    first = local(s.now + timedelta(days=15), "Asia/Urumqi")
    assert first != local(s.now + timedelta(days=15), "Asia/Shanghai")
    assert errors(response) == [f"公告须在投票开始前至少 15 天发布：现在发布，最早可于 {first}（Asia/Urumqi）开始投票，请推迟投票开始时间"]
    assert current(s).state == "draft"
    assert current(s).rules_snapshot is None
    english(s)
    with nothing_written(s.db):
        response = s.post(page_of(s, "/publish"), follow_redirects=True)
    assert errors(response) == [
        f"the notice must be out 15 days before voting opens: published now, voting may open at {first} "
        "(Asia/Urumqi) at the earliest; move the opening"
    ]


def test_the_estates_own_notice_period_decides_the_first_allowed_date_in_beijing_time(scenario):
    from webapp.core.timefmt import local

    s = scenario
    s.estate.notice_period_days = 20
    s.db.commit()
    s.at(s.now.replace(second=0))
    s.create(opens=s.now + timedelta(days=18), closes=s.now + timedelta(days=25))
    s.add_item("resolution", 2, "修订管理规约")
    with nothing_written(s.db):
        response = s.post(page_of(s, "/publish"), follow_redirects=True)
    first = local(s.now + timedelta(days=20), "Asia/Shanghai")
    assert errors(response) == [f"公告须在投票开始前至少 20 天发布：现在发布，最早可于 {first}（北京时间）开始投票，请推迟投票开始时间"]
    s.post(page_of(s), window(s, s.now + timedelta(days=20, minutes=5), s.now + timedelta(days=27), **{"a-title": "2026年第一次业主大会"}))
    response = s.post(page_of(s, "/publish"), follow_redirects=True)
    assert errors(response) == []
    assert current(s).state == "notice"


def test_an_edit_of_a_published_notice_restarts_the_period_and_the_notice_shows_what_changed(scenario):
    from webapp.core.timefmt import local

    s = scenario
    s.at(s.now.replace(second=0))
    opens = s.now + timedelta(days=20)
    s.create(opens=opens, closes=opens + timedelta(days=7))
    item_id = s.add_item("resolution", 2, "修订管理规约", text="第一稿")
    s.publish_notice()
    s.freeze_and_sign_roll()
    assert current(s).notice_version == 1

    s.later(days=6)  # 14 days before the opening: too late for a new version to keep it
    s.as_staff("organiser")
    s.post(page_of(s, f"/items/{item_id}"), item_form("resolution", 2, "修订管理规约", text="第二稿：删去第十二条"))
    assert current(s).notice_dirty
    with nothing_written(s.db):
        response = s.post(page_of(s, "/publish"), follow_redirects=True)
    first = local(s.now + timedelta(days=15), s.estate)
    assert errors(response)[0] == (f"公告须在投票开始前至少 15 天发布：现在发布，最早可于 {first}（北京时间）开始投票，请推迟投票开始时间")

    s.at(opens + timedelta(hours=1))  # the old opening: the changed notice keeps voting shut
    assert s.client.get(f"/p/{s.estate.slug}/a/{s.assembly_id}").status_code == 200
    assert current(s).state == "notice"
    assert "assembly.open" not in audit_actions(s)

    s.as_staff("organiser")
    new_opens = s.now + timedelta(days=16)
    s.post(page_of(s), window(s, new_opens, new_opens + timedelta(days=7), **{"a-title": "2026年第一次业主大会"}))
    response = s.post(page_of(s, "/publish"), follow_redirects=True)
    assert errors(response) == []
    assert current(s).notice_version == 2
    assert not current(s).notice_dirty
    page = text_of(s.client.get(f"/p/{s.estate.slug}/a/{s.assembly_id}"))
    assert "事项“修订管理规约”的说明改变" in page
    old_span = f"{local(opens, s.estate)} – {local(opens + timedelta(days=7), s.estate)}"
    new_span = f"{local(new_opens, s.estate)} – {local(new_opens + timedelta(days=7), s.estate)}"
    assert f"投票时间由 {old_span} 改为 {new_span}" in page
    english(s)
    page = text_of(s.client.get(f"/p/{s.estate.slug}/a/{s.assembly_id}"))
    assert "item '修订管理规约': text changed" in page
    assert f"the voting window changed from {old_span} to {new_span}" in page

    s.at(new_opens - timedelta(minutes=30))
    s.client.get(f"/p/{s.estate.slug}/a/{s.assembly_id}")
    assert current(s).state == "notice"
    s.at(new_opens + timedelta(minutes=1))
    s.client.get(f"/p/{s.estate.slug}/a/{s.assembly_id}")
    assert current(s).state == "voting"


def test_an_edit_the_notice_does_not_show_needs_no_new_version(draft):
    s = draft
    s.add_item("resolution", 2, "修订管理规约")
    s.publish_notice()
    a = current(s)
    response = s.post(
        page_of(s),
        window(
            s,
            a.opens_at,
            a.closes_at,
            **{
                "a-title": a.title,
                "a-description": "内部说明：请物业协助张贴",
                "a-nomination_deadline": s.local(a.opens_at - timedelta(days=3)),
            },
        ),
        follow_redirects=True,
    )
    assert errors(response) == [], errors(response)
    assert current(s).description == "内部说明：请物业协助张贴"
    assert not current(s).notice_dirty


def test_an_upload_to_a_file_store_not_mounted_here_is_refused_and_nothing_is_written(item, tmp_path):
    """Issue 18, item 7: this server's shared folder is not mounted (an empty local folder where
    the store should be): the upload is refused in words, and no file lands where only this server
    would see it."""
    from webapp.attachments.storage import NOT_MOUNTED

    s = item
    data = unique(PDF)
    empty = tmp_path / "unmounted-files"
    empty.mkdir()
    saved = s.app.config.get("OWNERSVOTE_FILES_PATH")
    s.app.config["OWNERSVOTE_FILES_PATH"] = str(empty)
    try:
        with nothing_written(s.db):
            response = upload(s, s.item_id, data, "管理规约.pdf")
        assert errors(response) == [NOT_MOUNTED[0]]
        assert list(empty.iterdir()) == []
    finally:
        s.app.config["OWNERSVOTE_FILES_PATH"] = saved
    assert errors(upload(s, s.item_id, data, "管理规约.pdf")) == []  # the store seen again: stored
    assert stored(s, data)


def test_a_refused_new_assembly_says_why_at_the_form_and_the_page_opens_there(organiser):
    """A phone walk found the refusal only in a banner at the page's top, a thousand pixels above
    the form it was about."""
    import re

    s = organiser
    opens = s.now + timedelta(days=30)
    page = create(s, opens, opens - timedelta(hours=2)).get_data(as_text=True)
    section = re.search(r'<section class="card narrow" id="new-assembly" data-scroll-here>(.*?)</section>', page, re.S)
    assert section is not None
    assert "投票截止时间必须晚于开始时间" in section.group(1)
    assert 'value="2026年第二次业主大会"' in section.group(1)  # nothing typed is lost
    plain = s.client.get(f"/e/{s.estate.slug}/assemblies").get_data(as_text=True)
    assert "data-scroll-here" not in plain


def test_a_published_unchanged_notice_is_not_listed_as_something_still_to_do(scenario):
    """A phone walk read '公告没有改动，无需发布新版本' under '发布公告前还需要：' as a task."""
    s = scenario
    s.announce()
    page = s.client.get(f"/e/{s.estate.slug}/assemblies/{s.assembly_id}").get_data(as_text=True)
    assert "发布公告前还需要" not in page
    assert "公告已发布（第 1 版），此后没有改动" in page
