"""The owner withdraws a letter of proxy in two steps (issue 16): the button on their page opens a
page that says what withdrawing does; only that page's form, which says it was confirmed,
withdraws.  A bare POST (a double tap, an old page's form) only leads to the question."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from tests.factories import LI_TAIL, PDF, Device
from webapp.assemblies.operations import AssemblyFields, attach, create_assembly
from webapp.proxies import operations as ops
from webapp.proxies.models import Proxy


@pytest.fixture
def proxy(estate, staff, onboard, db_session, app):
    """张三 (1-101) registered; the organiser entered his letter of proxy for a draft assembly."""
    onboard("1-101")
    opens = datetime.now(UTC).replace(microsecond=0) + timedelta(days=30)
    organiser = staff["organiser"]
    assembly = create_assembly(
        estate,
        AssemblyFields(title="2026年第一次业主大会", kind="regular", opens_at=opens, closes_at=opens + timedelta(days=7)),
        actor=organiser,
    )
    scan = attach(assembly, actor=organiser, kind="proxy", owner_id=None, data=PDF, filename="委托书.pdf")
    made = ops.create(
        assembly,
        actor=organiser,
        unit_label="1-101",
        proxy_name="陈小红",
        proxy_id_tail="12456X",
        scope="代为出席本次业主大会会议并就全部议题投票",
        signed_on=date(2026, 3, 1),
        scan_id=scan.id,
        scan_sha256=scan.sha256,
        pii_key=app.config["OWNERSVOTE_PII_HMAC_KEY"],
    )
    db_session.commit()
    return made


def state_of(db_session, proxy) -> str:
    db_session.expire_all()
    return db_session.get(Proxy, proxy.id).state


def test_the_owners_page_links_to_a_question_and_only_its_confirmed_form_withdraws(client, post, proxy, db_session):
    url = f"/me/proxies/{proxy.id}/withdraw"
    me = client.get("/me").get_data(as_text=True)
    assert f'href="{url}"' in me
    assert f'action="{url}"' not in me  # no one-tap form on the owner's page

    asked = client.get(url)
    assert asked.status_code == 200
    assert "陈小红" in asked.get_data(as_text=True)
    assert state_of(db_session, proxy) == "pending"

    bare = post(url)  # a second tap, or the form of an old page
    assert bare.status_code == 302
    assert bare.headers["Location"].endswith(url)
    assert state_of(db_session, proxy) == "pending"

    confirmed = post(url, {"confirm": "yes"})
    assert confirmed.status_code == 302
    assert confirmed.headers["Location"].endswith("/me#proxies")
    assert state_of(db_session, proxy) == "withdrawn"

    again = client.get(url).get_data(as_text=True)  # the back button: nothing left to withdraw
    assert 'name="confirm"' not in again
    assert "/me#proxies" in again


def test_another_owner_cannot_open_the_question(client, post, proxy, letter, db_session):
    post("/logout")
    token, _code = letter("1-102")  # 李四, on a phone of his own
    client.get(f"/r/{token}")
    post("/join", {"id-name": "李四", "id-id_tail": LI_TAIL})
    assert Device(client).register().status_code == 200
    assert client.get(f"/me/proxies/{proxy.id}/withdraw").status_code == 404
    assert post(f"/me/proxies/{proxy.id}/withdraw", {"confirm": "yes"}).status_code == 404
    assert state_of(db_session, proxy) == "pending"
