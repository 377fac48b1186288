"""Open accounts (webapp/disclosures): an estate's organisers publish its fees, complaint channels
and statements, each version signed by the server key; owners read them on the phone from the
signed bytes after checking them; a statement goes on an agenda item by its digest; bad input is
refused with its reason in the reader's language and nothing written."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from crypto import disclosure as fmt
from tests.factories import errors, text_of
from webapp.assemblies import lifecycle
from webapp.assemblies.states import LifecycleError
from webapp.attachments.models import Attachment
from webapp.audit.models import AuditEvent
from webapp.core.db import utcnow
from webapp.core.serverkey import signer
from webapp.disclosures import operations as ops
from webapp.disclosures.models import Disclosure, DisclosureVersion

INCOME = "停车费收入 36000.00\n广告位出租 12,000.50 电梯轿厢广告"
EXPENSE = "公共设施维修 8000.00\n审计费 1500 第三方审计"


def statement(**changes) -> dict:
    data = {
        "kind": "statement",
        "title": "2026年第三季度收支公示",
        "period_from": "2026-07-01",
        "period_until": "2026-09-30",
        "income": INCOME,
        "total_income": "48000.50",
        "expense": EXPENSE,
        "total_expense": "9500",
        "text": "结余转入下季度。",
    }
    data.update(changes)
    return data


def counts(db_session) -> tuple[int, int, int]:
    db_session.expire_all()
    return (
        db_session.scalar(select(func.count(Disclosure.id))),
        db_session.scalar(select(func.count(DisclosureVersion.id))),
        db_session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "disclosure.publish")),
    )


def publish(post, slug: str, kind: str = "statement", **changes):
    return post(f"/e/{slug}/accounts/new/{kind}", statement(kind=kind, **changes))


def test_an_organiser_publishes_a_quarterly_statement_and_an_owner_reads_it_verified(client, post, login, estate, staff, db_session):
    login("organiser")
    response = publish(post, estate.slug)
    assert response.status_code == 302, errors(client.get(f"/e/{estate.slug}/accounts"))
    version = db_session.scalar(select(DisclosureVersion))
    document = json.loads(version.document)
    assert document["accounts"]["income"] == [
        {"name": "停车费收入", "fen": 3600000},
        {"name": "广告位出租", "fen": 1200050, "note": "电梯轿厢广告"},
    ]
    assert document["accounts"]["totals"] == {"income": 4800050, "expense": 950000, "net": 3850050}
    assert document["publisher"] == {"role": "organiser", "name": "绿苑小区业主大会"}
    assert document["period"] == {"from": "2026-07-01", "until": "2026-09-30"}
    post("/logout")
    listing = text_of(client.get(f"/p/{estate.slug}/accounts"))
    assert "2026年第三季度收支公示" in listing
    assert "已核验" in listing
    page = text_of(client.get(f"/p/{estate.slug}/accounts/{version.disclosure_id}"))
    assert "已核验：由服务器密钥签名，每个合计都等于各行之和。" in page
    assert "48,000.50" in page
    assert "9,500.00" in page
    assert "38,500.50" in page
    assert version.sha256 in page
    exported = client.get(f"/p/{estate.slug}/accounts/{version.disclosure_id}/v1.json")
    assert exported.data == version.document.encode()
    summary = fmt.verify_disclosure(json.loads(exported.data), signer().jwk)
    assert summary["digest"] == version.sha256
    event = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "disclosure.publish"))
    assert event.details["sha256"] == version.sha256


def test_fees_and_complaint_channels_are_published_with_exact_fen_and_their_units(client, post, login, estate, staff, db_session):
    login("organiser")
    fees = post(
        f"/e/{estate.slug}/accounts/new/fees",
        {"kind": "fees", "text": "24小时安保，每日清扫两次。", "lines": "住宅物业服务费 2.80元/平方米·月\n地下车位管理费 80 元/个·月"},
    )
    assert fees.status_code == 302
    complaints = post(
        f"/e/{estate.slug}/accounts/new/complaints",
        {"kind": "complaints", "lines": "物业服务中心 0571-8888 6666\n社区居委会：0571-8765 4321"},
    )
    assert complaints.status_code == 302
    documents = {d["kind"]: d for d in (json.loads(v.document) for v in db_session.scalars(select(DisclosureVersion)))}
    assert documents["fees"]["lines"] == [
        {"name": "住宅物业服务费", "fen": 280, "note": "元/平方米·月"},
        {"name": "地下车位管理费", "fen": 8000, "note": "元/个·月"},
    ]
    assert documents["complaints"]["lines"] == [
        {"name": "物业服务中心", "note": "0571-8888 6666"},
        {"name": "社区居委会", "note": "0571-8765 4321"},
    ]
    page = text_of(client.get(f"/p/{estate.slug}/accounts"))
    assert page.index("服务标准和收费标准") < page.index("投诉渠道")
    shown = text_of(client.get(fees.headers["Location"]))
    assert "已核验：由服务器密钥签名，发布后未被改动。" in shown  # a fee list has no totals to add up
    assert "每个合计都等于各行之和" not in shown
    assert "计费单位" in shown  # the column of 元/平方米·月
    channels = text_of(client.get(complaints.headers["Location"]))
    assert "联系方式" in channels
    assert "计费单位" not in channels  # a telephone number is not a unit of charge


def test_a_correction_is_a_new_version_naming_the_one_before(client, post, login, estate, staff, db_session):
    login("organiser")
    publish(post, estate.slug)
    publish(post, estate.slug, income="停车费收入 36000.00\n广告位出租 12,000.00", total_income="48000")
    disclosure = db_session.scalar(select(Disclosure))
    first, second = disclosure.versions
    assert (first.version, second.version) == (1, 2)
    assert json.loads(second.document)["previous"] == first.sha256
    assert db_session.scalar(select(func.count(Disclosure.id))) == 1
    current = text_of(client.get(f"/p/{estate.slug}/accounts/{disclosure.id}"))
    assert "48,000.00" in current
    older = text_of(client.get(f"/p/{estate.slug}/accounts/{disclosure.id}?v=1"))
    assert "48,000.50" in older
    assert "（旧版本）" in older
    prefilled = client.get(f"/e/{estate.slug}/accounts/new/statement?from={disclosure.id}").get_data(as_text=True)
    assert "广告位出租 12000.00" in prefilled


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"period_until": "2099-12-31"}, "期间尚未结束（截至 2099-12-31"),
        ({"period_from": "2026-09-30", "period_until": "2026-07-01"}, "期间的结束日期（2026-07-01）早于开始日期（2026-09-30）"),
        ({"total_income": "48000.00"}, "收入各行之和为 48,000.50 元，与填写的收入合计 48,000.00 元不符（相差 -0.50 元）"),
        ({"expense": "公共设施维修 -8000.00\n审计费 1500", "total_expense": "-6500"}, "金额不能为负数（-8000.00）"),
        ({"income": "停车费收入 36000.005\n广告位出租 12000.50", "total_income": "48000.505"}, "金额最多两位小数（精确到分）：36000.005"),
        ({"income": "停车费收入 三万六千元"}, "收入第 1 行没有金额"),
        ({"total_expense": ""}, "请填写支出合计"),
        ({"kind": "bonus"}, "未知的公示类型“bonus”"),
        ({"period_from": ""}, "请填写公示期间的起止日期"),
    ],
    ids=[
        "future-period",
        "period-backwards",
        "lines-do-not-sum",
        "negative",
        "fraction-of-a-fen",
        "no-amount",
        "no-total",
        "unknown-kind",
        "no-period",
    ],
)
def test_a_bad_statement_is_refused_with_its_reason_and_nothing_written(client, post, login, estate, staff, db_session, changes, reason):
    login("organiser")
    before = counts(db_session)
    response = post(f"/e/{estate.slug}/accounts/new/statement", statement(**changes), follow_redirects=True)
    assert any(reason in e for e in errors(response)), errors(response)
    assert counts(db_session) == before
    assert db_session.scalar(select(func.count(Attachment.id))) == 0


def test_a_refused_statement_says_why_in_english_to_an_english_reader(client, post, login, estate, staff, db_session):
    login("organiser")
    post("/lang", {"lang": "en"})
    response = post(f"/e/{estate.slug}/accounts/new/statement", statement(total_income="48000.00"), follow_redirects=True)
    assert (
        "the income lines sum to 48,000.50 yuan, not the stated total of 48,000.00 (a difference of -0.50): check the lines or the total"
        in " ".join(errors(response))
    )
    response = post(f"/e/{estate.slug}/accounts/new/statement", statement(period_until="2099-12-31"), follow_redirects=True)
    assert "a statement is of a past period, so publish it once the period has ended" in " ".join(errors(response))
    assert counts(db_session) == (0, 0, 0)


def test_a_period_ending_today_is_not_over_yet(estate, staff, db_session):
    today = ops.today_in(estate, utcnow())
    entry = ops.Entry(**{**statement(), "period_from": today - timedelta(days=90), "period_until": today})
    with pytest.raises(ops.DisclosureError, match="the period is not over yet"):
        ops.publish(estate, entry, actor=staff["organiser"], signer=signer(), now=utcnow())


def test_publishing_for_another_estate_is_refused_and_nothing_written(client, post, login, two_estates, db_session):
    a, b = two_estates
    login("org-b")
    assert publish(post, a.slug).status_code == 404
    assert client.get(f"/e/{a.slug}/accounts").status_code == 404
    from webapp.auth.operations import find_staff

    with pytest.raises(ops.DisclosureError, match="only this estate's organisers"):
        ops.publish(a, ops.Entry(**statement()), actor=find_staff("org-b"), signer=signer(), now=utcnow())
    db_session.rollback()
    post("/logout")
    login("sup-a")  # a supervisor reads the accounts but does not publish them
    assert client.get(f"/e/{a.slug}/accounts").status_code == 200
    assert publish(post, a.slug).status_code == 403
    assert counts(db_session) == (0, 0, 0)


def test_a_publication_of_another_estate_is_not_served_under_this_one(client, post, login, two_estates, db_session):
    a, b = two_estates
    login("org-b")
    assert publish(post, b.slug).status_code == 302
    disclosure = db_session.scalar(select(Disclosure))
    assert client.get(f"/p/{a.slug}/accounts/{disclosure.id}").status_code == 404
    assert client.get(f"/p/{a.slug}/accounts/{disclosure.id}/v1.json").status_code == 404
    post("/logout")
    login("org-a")
    assert client.get(f"/e/{a.slug}/accounts/{disclosure.id}").status_code == 404


def test_a_tampered_publication_shows_an_alarm_never_the_accounts(client, post, login, estate, staff, db_session):
    login("organiser")
    publish(post, estate.slug)
    version = db_session.scalar(select(DisclosureVersion))
    document = json.loads(version.document)
    document["accounts"]["income"][0]["fen"] = 3500000
    document["accounts"]["totals"] = {"income": 4700050, "expense": 950000, "net": 3750050}
    version.document = json.dumps(document, ensure_ascii=False)
    db_session.commit()
    page = client.get(f"/p/{estate.slug}/accounts/{version.disclosure_id}").get_data(as_text=True)
    assert 'id="disclosure-alarm"' in page
    assert "47,000.50" not in page
    assert "未通过核验" in text_of(client.get(f"/p/{estate.slug}/accounts"))


def test_an_owner_finds_the_open_accounts_from_their_own_page(client, onboard, estate):
    onboard()
    page = client.get("/me").get_data(as_text=True)
    assert f"/p/{estate.slug}/accounts" in page


# -- on an agenda item ------------------------------------------------------------------------


def test_a_statement_attached_to_an_agenda_item_is_listed_in_the_notice_by_its_digest(scenario):
    s = scenario
    s.create(opens=s.start + timedelta(days=25), closes=s.start + timedelta(days=32))
    item_id = s.add_item("resolution", 9, "审议2026年第三季度收支情况")
    before = ops.today_in(s.estate, s.now)
    period_until = before - timedelta(days=1)
    response = s.post(
        f"/e/{s.estate.slug}/accounts/new/statement",
        statement(period_from=(period_until - timedelta(days=91)).isoformat(), period_until=period_until.isoformat()),
    )
    assert response.status_code == 302
    version = s.db.scalar(select(DisclosureVersion))
    page = s.client.get(f"/e/{s.estate.slug}/accounts/{version.disclosure_id}").get_data(as_text=True)
    assert f'<option value="{item_id}">' in page
    attached = s.post(f"/e/{s.estate.slug}/accounts/{version.disclosure_id}", {"item": str(item_id)})
    assert attached.status_code == 302
    again = s.post(f"/e/{s.estate.slug}/accounts/{version.disclosure_id}", {"item": str(item_id)}, follow_redirects=True)
    assert "这份公示已经附在这个议题上" in " ".join(errors(again))
    item_page = text_of(s.client.get(f"/e/{s.estate.slug}/assemblies/{s.assembly_id}/items/{item_id}"))
    assert version.sha256 in item_page
    assert "查看已核验的公示" in item_page
    s.later(days=1)
    s.publish_notice()
    (item,) = s.assembly.current_notice.document["items"]
    (listed,) = item["attachments"]
    assert listed["sha256"] == version.sha256
    assert listed["name"] == "2026年第三季度收支公示-第1版.json"
    s.post("/logout")
    notice = s.client.get(f"/p/{s.estate.slug}/a/{s.assembly_id}").get_data(as_text=True)
    assert "查看已核验的公示" in notice
    attachment = s.db.scalar(select(Attachment).where(Attachment.sha256 == version.sha256))
    download = s.client.get(f"/files/{attachment.id}")
    assert download.data == version.document.encode()
    assert fmt.verify_disclosure(json.loads(download.data))["digest"] == version.sha256


def test_a_statement_cannot_go_on_an_item_of_another_estate_or_once_voting_opened(voting, make_staff, make_estate, db_session):
    s = voting
    other = make_estate("other", "另一小区")
    make_staff("org-other", estate=other, role="organiser")
    from webapp.auth.operations import find_staff

    now = utcnow()
    period_until = ops.today_in(other, now) - timedelta(days=1)
    entry = ops.Entry(**{**statement(), "period_from": period_until - timedelta(days=30), "period_until": period_until})
    foreign = ops.publish(other, entry, actor=find_staff("org-other"), signer=signer(), now=now)
    own = ops.publish(s.estate, entry, actor=s.staff["organiser"], signer=signer(), now=now)
    lifecycle.advance(s.assembly)
    db_session.commit()
    assert s.assembly.state == "voting"
    item = s.assembly.items[0]
    with pytest.raises(ops.DisclosureError, match="another estate"):
        ops.attach_to_item(foreign, item, actor=s.staff["organiser"])
    with pytest.raises(LifecycleError, match="voting has started"):
        ops.attach_to_item(own, item, actor=s.staff["organiser"])
    db_session.rollback()
    assert db_session.scalar(select(func.count(Attachment.id)).where(Attachment.content_type == "application/json")) == 0


# -- amounts -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "fen"),
    [("0", 0), ("12", 1200), ("12.3", 1230), ("12.30", 1230), ("1,234.56", 123456), ("1234.56元", 123456), ("+5", 500), (".5", None)],
)
def test_amounts_are_read_as_exact_fen(typed, fen):
    if fen is None:
        with pytest.raises(ops.DisclosureError):
            ops.parse_amount(typed)
    else:
        assert ops.parse_amount(typed) == fen
        assert isinstance(ops.parse_amount(typed), int)


@pytest.mark.parametrize("typed", ["-1", "−3.00", "1.001", "1e3", "NaN", "", "0x10", "12.3.4"])
def test_negative_fractional_or_non_numbers_are_refused(typed):
    with pytest.raises(ops.DisclosureError):
        ops.parse_amount(typed)


def test_a_supervisor_reads_a_statement_but_cannot_put_it_on_an_agenda_item(client, post, login, estate, staff, db_session):
    login("organiser")
    publish(post, estate.slug)
    version = db_session.scalar(select(DisclosureVersion))
    post("/logout")
    login("supervisor")
    page = client.get(f"/e/{estate.slug}/accounts/{version.disclosure_id}").get_data(as_text=True)
    assert 'id="disclosure-verified"' in page
    assert 'id="attach"' not in page
    assert post(f"/e/{estate.slug}/accounts/{version.disclosure_id}", {"item": "1"}).status_code == 403
    assert db_session.scalar(select(func.count(Attachment.id))) == 0


def test_the_publisher_is_named_as_the_organising_body_in_force(client, post, login, estate, staff, db_session):
    from datetime import date

    from webapp.bodies.operations import record_body

    record_body(
        estate,
        kind="management",
        members=[{"name": "陈立新", "post": "主任"}],
        term_start=date(2020, 1, 1),
        term_end=None,
        actor=staff["supervisor"],
    )
    db_session.commit()
    login("organiser")
    publish(post, estate.slug)
    document = json.loads(db_session.scalar(select(DisclosureVersion)).document)
    assert document["publisher"] == {"role": "organiser", "name": "绿苑小区物业管理委员会"}
