"""The estate's organising body (webapp/bodies): supervisors and the platform record each term
(业委会, 筹备组 or 物管会) as a new record; every notice, letter, ballot sheet and result names the
body in force on its date; the supervisors are reminded months before a term ends (换届), by the
sequencer's clock, once; bad input is refused with its reason and nothing written."""

from __future__ import annotations

import re
import subprocess
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from tests.factories import errors, published, require_tool, text_of
from webapp.audit.models import AuditEvent
from webapp.auth.models import StaffNotice
from webapp.bodies import operations as ops
from webapp.bodies import reminders
from webapp.bodies.models import OrganisingBody

MEMBERS = "王建华 主任\n李秀英 副主任\n张伟 委员"


def body_form(**changes) -> dict:
    data = {
        "kind": "management",
        "title": "",
        "members": MEMBERS,
        "term_start": "2026-01-01",
        "term_end": "2028-12-31",
        "basis": "翠湖街道办事处 翠街发〔2025〕12号",
    }
    data.update(changes)
    return data


def counts(db_session) -> tuple[int, int]:
    db_session.expire_all()
    return (
        db_session.scalar(select(func.count(OrganisingBody.id))),
        db_session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action.like("body.%"))),
    )


def pdf_text(data: bytes, tmp_path, name: str = "doc.pdf") -> str:
    path = tmp_path / name
    path.write_bytes(data)
    out = subprocess.run([require_tool("pdftotext"), "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True).stdout.decode()
    return re.sub(r"\s+", "", out)


def record(estate, actor, **changes):
    values = {
        "kind": "committee",
        "members": [{"name": "王建华", "post": "主任"}],
        "term_start": date(2024, 1, 1),
        "term_end": date(2028, 12, 31),
    }
    values.update(changes)
    return ops.record_body(estate, actor=actor, **values)


def test_a_supervisor_records_a_management_committee_and_every_page_names_it(client, post, login, estate, staff, db_session):
    login("supervisor")
    response = post(f"/e/{estate.slug}/organising-body", body_form())
    assert response.status_code == 302
    body = db_session.scalar(select(OrganisingBody))
    assert (body.kind, body.term_start, body.term_end) == ("management", date(2026, 1, 1), date(2028, 12, 31))
    assert body.members == [{"name": "王建华", "post": "主任"}, {"name": "李秀英", "post": "副主任"}, {"name": "张伟", "post": "委员"}]
    page = text_of(client.get(f"/e/{estate.slug}/organising-body"))
    assert "绿苑小区物业管理委员会" in page
    assert "2026-01-01" in page
    assert "2028-12-31" in page
    assert "李秀英 · 副主任" in page
    assert "绿苑小区物业管理委员会" in text_of(client.get(f"/e/{estate.slug}/"))
    assert "绿苑小区物业管理委员会" in text_of(client.get(f"/p/{estate.slug}/assemblies"))
    event = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "body.record"))
    assert event.details["name"] == "绿苑小区物业管理委员会"
    assert "登记一届组织机构" in text_of(client.get(f"/e/{estate.slug}/audit"))


def test_a_new_term_is_a_new_record_and_the_one_before_stays_in_the_history(client, post, login, estate, staff, db_session):
    login("supervisor")
    post(f"/e/{estate.slug}/organising-body", body_form(kind="preparatory", term_start="2025-03-01", term_end=""))
    post(
        f"/e/{estate.slug}/organising-body",
        body_form(kind="committee", title="第一届业主委员会", term_start="2026-06-01", term_end="2031-05-31"),
    )
    bodies = list(db_session.scalars(select(OrganisingBody).order_by(OrganisingBody.id)))
    assert [b.kind for b in bodies] == ["preparatory", "committee"]
    assert ops.organiser_name(estate, date(2026, 5, 31)) == "绿苑小区首次业主大会筹备组"
    assert ops.organiser_name(estate, date(2026, 6, 1)) == "绿苑小区第一届业主委员会"
    page = client.get(f"/e/{estate.slug}/organising-body")
    history = page.get_data(as_text=True).split('id="body-history"')[1]
    assert "绿苑小区首次业主大会筹备组" in history


def test_without_a_recorded_body_documents_name_the_settings_sender_or_the_assembly(estate, staff, db_session):
    assert ops.organiser_name(estate) == "绿苑小区业主大会"
    estate.organiser_label = "绿苑小区首次业主大会筹备组（临时）"
    assert ops.organiser_name(estate) == "绿苑小区首次业主大会筹备组（临时）"
    record(estate, staff["supervisor"], term_start=date(2030, 1, 1), term_end=date(2034, 12, 31))
    # A term recorded ahead of its start does not name documents dated before it.
    assert ops.organiser_name(estate, date(2029, 12, 31)) == "绿苑小区首次业主大会筹备组（临时）"
    assert ops.organiser_name(estate, date(2030, 1, 1)) == "绿苑小区业主委员会"


def test_an_organiser_may_read_the_body_but_not_record_it(client, post, login, estate, staff, db_session):
    login("organiser")
    before = counts(db_session)
    page = client.get(f"/e/{estate.slug}/organising-body").get_data(as_text=True)
    assert 'id="record-body"' not in page
    response = post(f"/e/{estate.slug}/organising-body", body_form(), follow_redirects=True)
    assert "只有平台管理员或本小区的监督员" in " ".join(errors(response))
    assert counts(db_session) == before


def test_staff_of_another_estate_cannot_see_or_record_this_estates_body(client, post, login, two_estates, db_session):
    a, _b = two_estates
    login("org-b")
    assert client.get(f"/e/{a.slug}/organising-body").status_code == 404
    assert post(f"/e/{a.slug}/organising-body", body_form()).status_code == 404
    assert counts(db_session) == (0, 0)


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"term_start": "2027-01-01", "term_end": "2026-12-31"}, "任期结束日期（2026-12-31）早于开始日期（2027-01-01）"),
        ({"kind": "council"}, "未知的组织机构类型“council”"),
        ({"kind": "committee", "term_end": ""}, "业主委员会须填写任期结束日期"),
        ({"kind": "committee", "term_end": "2031-01-02"}, "业主委员会每届任期不超过 5 年"),
        ({"members": "\n  \n"}, "请至少填写一名成员"),
        ({"term_start": ""}, "请填写任期开始日期"),
    ],
    ids=["ends-before-it-begins", "unknown-kind", "committee-without-end", "committee-over-five-years", "no-members", "no-start"],
)
def test_a_bad_term_is_refused_with_its_reason_and_nothing_written(client, post, login, estate, staff, db_session, changes, reason):
    login("supervisor")
    before = counts(db_session)
    response = post(f"/e/{estate.slug}/organising-body", body_form(**changes), follow_redirects=True)
    assert any(reason in e for e in errors(response)), errors(response)
    assert counts(db_session) == before


def test_the_refusal_is_said_in_english_to_an_english_reader(client, post, login, estate, staff, db_session):
    login("supervisor")
    post("/lang", {"lang": "en"})
    response = post(f"/e/{estate.slug}/organising-body", body_form(term_start="2027-01-01", term_end="2026-12-31"), follow_redirects=True)
    assert "the term ends (2026-12-31) before it begins (2027-01-01): check both dates" in " ".join(errors(response))
    assert counts(db_session) == (0, 0)


def test_a_term_cannot_be_slipped_in_before_the_last_recorded_one(estate, staff, db_session):
    record(estate, staff["supervisor"], term_start=date(2026, 1, 1))
    db_session.commit()
    before = counts(db_session)
    with pytest.raises(ops.BodyError, match="before the last recorded one"):
        record(estate, staff["supervisor"], term_start=date(2025, 1, 1), term_end=date(2025, 12, 31))
    db_session.rollback()
    assert counts(db_session) == before


def test_the_database_refuses_a_term_running_backwards_or_an_unknown_kind_whatever_the_code(estate, db_session):
    from sqlalchemy.exc import IntegrityError

    for values in (
        {"kind": "committee", "term_start": date(2027, 1, 1), "term_end": date(2026, 1, 1)},
        {"kind": "council", "term_start": date(2026, 1, 1)},
    ):
        db_session.add(OrganisingBody(estate_id=estate.id, members=[], **values))
        with pytest.raises(IntegrityError):
            db_session.flush()
        db_session.rollback()


# -- the printed documents ----------------------------------------------------------------------


def test_the_notice_its_pdf_the_ballot_sheets_and_the_letters_name_the_management_committee(voting, make_staff, tmp_path):
    s = voting
    admin = make_staff("root", admin=True)
    ops.record_body(
        s.estate,
        kind="management",
        members=[{"name": "陈立新", "post": "主任"}],
        term_start=date(2020, 1, 1),
        term_end=None,
        actor=admin,
    )
    s.db.commit()
    name = "绿苑小区物业管理委员会"
    assert f"召集人：{name}" in text_of(s.client.get(f"/p/{s.estate.slug}/a/{s.assembly_id}"))
    notice = pdf_text(s.client.get(f"/p/{s.estate.slug}/a/{s.assembly_id}/notice.pdf").data, tmp_path, "notice.pdf")
    assert f"召集人：{name}" in notice
    s.as_staff("organiser")
    job = s.post(f"/e/{s.estate.slug}/assemblies/{s.assembly_id}/paper/sheets", {"units": "1-101"})
    assert job.status_code == 302
    sheets = pdf_text(s.client.get(job.headers["Location"] + "/download").data, tmp_path, "sheets.pdf")
    assert f"召集人：{name}" in sheets
    assert f"请在投票截止前交回{name}" in sheets
    job = s.post(f"/e/{s.estate.slug}/letters", {"units": "1-102"})
    assert job.status_code in (302, 303)
    letters = pdf_text(s.client.get(job.headers["Location"] + "/download").data, tmp_path, "letters.pdf")
    assert name in letters


# -- the reminder of a term's end (换届) --------------------------------------------------------


NOW = datetime(2026, 7, 1, 4, 0, tzinfo=UTC)  # noon in Beijing


def reminded(db_session, user) -> list[StaffNotice]:
    return list(db_session.scalars(select(StaffNotice).where(StaffNotice.user_id == user.id)))


def test_the_supervisors_are_reminded_once_six_months_before_the_term_ends(estate, staff, db_session):
    body = record(estate, staff["supervisor"], term_start=date(2022, 1, 1), term_end=date(2026, 12, 31))
    db_session.commit()
    assert reminders.send_due(NOW - timedelta(days=2)) == 0  # 29 June: six months are 30 June to 31 December
    assert reminders.send_due(NOW) == 1
    db_session.commit()
    for who in ("supervisor", "supervisor2"):
        (line,) = reminded(db_session, staff[who])
        assert "换届提醒" in line.zh
        assert "2026-12-31" in line.zh
        assert "183 天" in line.zh
        assert line.zh.count(estate.name) == 1  # the body's name says the estate: not twice
        assert line.url == f"/e/{estate.slug}/organising-body"
    assert reminded(db_session, staff["organiser"]) == []
    assert body.reminded_at is not None
    event = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "body.term_reminder"))
    assert event.details["supervisors"] == 2
    assert reminders.send_due(NOW + timedelta(days=30)) == 0  # once per term


def test_the_estate_sets_how_many_months_ahead_the_reminder_comes(client, post, login, estate, staff, db_session, make_staff):
    record(estate, staff["supervisor"], term_start=date(2022, 6, 1), term_end=date(2027, 3, 31))
    make_staff("root", admin=True)
    db_session.commit()
    assert reminders.send_due(NOW) == 0  # 9 months ahead; the default is 6
    login("root")
    response = post(
        f"/e/{estate.slug}/settings",
        {"name": estate.name, "roll_signatures_required": "1", "letter_valid_days": "30", "term_reminder_months": "9"},
    )
    assert response.status_code == 302
    db_session.expire_all()
    assert estate.term_reminder_months == 9
    assert reminders.send_due(NOW) == 1
    response = post(
        f"/e/{estate.slug}/settings",
        {"name": estate.name, "roll_signatures_required": "1", "letter_valid_days": "30", "term_reminder_months": "30"},
        follow_redirects=True,
    )
    assert "请输入 1 到 24 之间的月数。" in " ".join(errors(response))


def test_a_superseded_term_is_not_reminded_and_the_new_one_is_in_its_turn(estate, staff, db_session):
    record(estate, staff["supervisor"], term_start=date(2022, 1, 1), term_end=date(2026, 9, 30))
    record(estate, staff["supervisor"], term_start=date(2026, 6, 1), term_end=date(2031, 5, 31))
    db_session.commit()
    assert reminders.send_due(NOW) == 0
    assert reminders.send_due(datetime(2030, 12, 1, 4, 0, tzinfo=UTC)) == 1


def test_the_sequencers_clock_sends_the_reminder_no_daemon_of_its_own(app, estate, staff, db_session, monkeypatch):
    from webapp.core import db as database
    from webapp.voting import sequencer

    record(estate, staff["supervisor"], term_start=date(2022, 1, 1), term_end=date(2026, 12, 31))
    db_session.commit()
    monkeypatch.setattr(database, "db_now", lambda session=None: NOW)
    monkeypatch.setitem(reminders._last, "at", None)
    done = sequencer.run_once()
    assert done.reminders == 1
    assert len(reminded(db_session, staff["supervisor"])) == 1
    # The next pass, a second later, does not look again.
    assert sequencer.run_once().reminders == 0


def test_a_supervisor_reads_the_reminder_on_the_start_page_and_marks_it_read(client, post, login, estate, staff, db_session, make_staff):
    record(estate, staff["supervisor"], term_start=date(2022, 1, 1), term_end=date(2026, 12, 31))
    db_session.commit()
    reminders.send_due(NOW)
    db_session.commit()
    (line,) = reminded(db_session, staff["supervisor"])
    login("supervisor2")  # another supervisor cannot mark this one's line read
    assert post(f"/staff/notices/{line.id}/read").status_code == 404
    post("/logout")
    login("supervisor")
    page = text_of(client.get("/"))
    assert "换届提醒" in page
    assert post(f"/staff/notices/{line.id}/read", {"next": "/"}).status_code == 302
    assert "换届提醒" not in text_of(client.get("/"))
    db_session.expire_all()
    assert db_session.get(StaffNotice, line.id).read_at is not None


def test_the_supervisors_pages_warn_while_the_term_is_ending(client, login, estate, staff, db_session, monkeypatch):
    from webapp.core import db as database

    record(estate, staff["supervisor"], term_start=date(2022, 1, 1), term_end=date(2026, 12, 31))
    db_session.commit()
    login("supervisor")
    monkeypatch.setattr(database, "db_now", lambda session=None: NOW - timedelta(days=2))
    assert 'id="term-warning"' not in client.get(f"/e/{estate.slug}/organising-body").get_data(as_text=True)
    monkeypatch.setattr(database, "db_now", lambda session=None: NOW)
    assert "任期将于 2026-12-31 届满" in text_of(client.get(f"/e/{estate.slug}/organising-body"))
    monkeypatch.setattr(database, "db_now", lambda session=None: datetime(2027, 1, 5, tzinfo=UTC))
    assert "任期已于 2026-12-31 届满，尚未登记新一届" in text_of(client.get(f"/e/{estate.slug}/"))


def test_the_estate_page_says_the_term_is_ending_once_to_a_reminded_supervisor(client, login, estate, staff, db_session, monkeypatch):
    from webapp.core import db as database

    record(estate, staff["supervisor"], term_start=date(2022, 1, 1), term_end=date(2026, 12, 31))
    db_session.commit()
    monkeypatch.setattr(database, "db_now", lambda session=None: NOW)
    reminders.send_due(NOW)
    db_session.commit()
    (line,) = reminded(db_session, staff["supervisor"])
    login("supervisor")
    page = text_of(client.get(f"/e/{estate.slug}/"))
    # Both the reminder line and the standing warning name the term's end "… 届满"; the card
    # "who organises" says it as 任期至, which is not a reminder.
    assert page.count("2026-12-31 届满") == 1
    assert "任期将于 2026-12-31 届满" in page
    # The line is not lost: it waits on the start page until it is marked read.
    assert line.zh in text_of(client.get("/"))
    # A line of another kind still shows on the estate page beside the warning.
    petition = "业主提议“更换物业”已达到面积和人数比例"
    db_session.add(StaffNotice(user_id=staff["supervisor"].id, estate_id=estate.id, kind="petition", zh=petition, en="reached", url=None))
    db_session.commit()
    assert petition in text_of(client.get(f"/e/{estate.slug}/"))


def test_months_are_counted_on_the_calendar_with_the_day_clamped():
    assert ops.add_months(date(2026, 8, 31), -6) == date(2026, 2, 28)
    assert ops.add_months(date(2028, 8, 31), -6) == date(2028, 2, 29)
    assert ops.add_months(date(2026, 12, 31), -6) == date(2026, 6, 30)
    assert ops.add_months(date(2026, 1, 15), 60) == date(2031, 1, 15)


def test_the_result_page_and_its_announcement_name_the_body_that_convened_the_assembly(voting, make_staff, tmp_path):
    s = voting
    admin = make_staff("root", admin=True)
    ops.record_body(
        s.estate, kind="management", members=[{"name": "陈立新", "post": "主任"}], term_start=date(2020, 1, 1), term_end=None, actor=admin
    )
    s.db.commit()
    published(s)
    s.post("/logout")
    name = "绿苑小区物业管理委员会"
    assert f"召集人：{name}" in text_of(s.client.get(f"/p/{s.estate.slug}/a/{s.assembly_id}/results"))
    announcement = pdf_text(s.client.get(f"/p/{s.estate.slug}/a/{s.assembly_id}/announcement.pdf").data, tmp_path, "announcement.pdf")
    assert f"召集人：{name}" in announcement
