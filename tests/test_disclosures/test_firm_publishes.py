"""三公开 is the firm's duty: a login of the firm serving the estate publishes its open accounts in
the firm's own name; another firm, or one that no longer serves the estate, is refused with the
reason and nothing is written."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from tests.test_disclosures.test_disclosures import counts, statement
from webapp.audit.models import AuditEvent
from webapp.core.db import db, utcnow
from webapp.core.serverkey import signer
from webapp.disclosures import operations as ops
from webapp.disclosures.models import DisclosureVersion
from webapp.firms.models import FirmEstate, FirmUser
from webapp.firms.operations import assign_estate, create_account, create_firm


@pytest.fixture
def firms(estate, make_estate, db_session):
    serving = create_firm(name="海晨物业服务有限公司", uscc="91350100M000100Y43", actor="test")
    other = create_firm(name="绿城物业服务集团有限公司", uscc="91330100MA27WX4C5P", actor="test")
    assign_estate(serving, estate, date(2025, 1, 1), actor="test")
    assign_estate(other, make_estate("qiushi", "秋实苑"), date(2025, 1, 1), actor="test")
    create_account(serving, username="haichen-pm", display_name="海晨物业 项目经理 孙志强", password="firm password 1", actor="test")
    create_account(other, username="lvcheng-pm", display_name="绿城物业 经理 赵丽华", password="firm password 2", actor="test")
    db_session.commit()
    return serving, other


def firm_login(post, username: str, password: str) -> None:
    assert post("/firm/login", {"username": username, "password": password}).status_code == 302


def test_the_serving_firm_publishes_a_statement_in_its_own_name(client, post, estate, firms, db_session):
    firm_login(post, "haichen-pm", "firm password 1")
    home = client.get("/firm").get_data(as_text=True)
    assert f"/firm/accounts/{estate.slug}/new/statement" in home
    response = post(f"/firm/accounts/{estate.slug}/new/statement", statement())
    assert response.status_code == 302
    version = db.session.scalars(select(DisclosureVersion)).one()
    assert version.published_by_id is None  # not a staff account
    document = ops.verified(version).document
    assert document["publisher"] == {"role": "firm", "name": "海晨物业服务有限公司"}
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "disclosure.publish"))
    assert event.actor == "firm:haichen-pm"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "海晨物业服务有限公司" in page


def test_another_firm_or_one_no_longer_serving_is_refused_and_nothing_written(client, post, estate, firms, db_session):
    serving, _other = firms
    firm_login(post, "lvcheng-pm", "firm password 2")
    assert post(f"/firm/accounts/{estate.slug}/new/statement", statement()).status_code == 404
    assert client.get(f"/e/{estate.slug}/accounts").status_code == 404  # no staff page for a firm
    other_login = db.session.scalar(select(FirmUser).where(FirmUser.username == "lvcheng-pm"))
    with pytest.raises(ops.DisclosureError, match="only the firm serving this estate now"):
        ops.publish(estate, ops.Entry(**statement()), actor=other_login, signer=signer(), now=utcnow())
    db_session.rollback()
    # The firm's service ends: its login may no longer publish for the estate.
    db.session.query(FirmEstate).filter(FirmEstate.firm_id == serving.id).update({"until": date(2026, 1, 1)})
    db_session.commit()
    client.post("/logout")
    firm_login(post, "haichen-pm", "firm password 1")
    assert post(f"/firm/accounts/{estate.slug}/new/statement", statement()).status_code == 404
    assert counts(db_session) == (0, 0, 0)


def test_the_firms_fee_list_is_its_own_document_and_never_replaces_the_committees(client, post, login, estate, staff, firms, db_session):
    from webapp.disclosures.models import Disclosure

    fees = {"kind": "fees", "title": "", "lines": "住宅物业服务费 2.30 元/平方米·月\n地面停车费 120 元/月"}
    login("organiser")
    assert post(f"/e/{estate.slug}/accounts/new/fees", fees).status_code == 302
    client.post("/logout")
    firm_login(post, "haichen-pm", "firm password 1")
    assert post(f"/firm/accounts/{estate.slug}/new/fees", {**fees, "lines": "住宅物业服务费 2.80 元/平方米·月"}).status_code == 302
    documents = {d.series: d for d in db.session.scalars(select(Disclosure))}
    assert set(documents) == {"fees", "firm:fees"}
    committees = ops.verified(documents["fees"].latest).document
    assert (committees["version"], committees["publisher"]["role"]) == (1, "organiser")
    assert [line["fen"] for line in committees["lines"]] == [230, 12000]  # untouched
    assert ops.verified(documents["firm:fees"].latest).document["publisher"]["role"] == "firm"
