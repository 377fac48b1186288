"""Supervisors: the review queue of registrations, revoking owners' keys, re-issuing letters, and the
co-owners' choice of who votes."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from tests.factories import ZHANG_TAIL, Device
from webapp.devices.models import DeviceKey
from webapp.owners.models import Invitation, Registration


@pytest.fixture
def pending(ask_review):
    return ask_review("1-101", "张叁", ZHANG_TAIL, "名字写法不同")


def test_a_supervisor_approves_a_queued_registration_with_a_reason(client, post, login, pending, staff, db_session, estate):
    login("supervisor")
    assert "张叁" in client.get(f"/e/{estate.slug}/registrations").get_data(as_text=True)
    holder_id = pending.unit.owner.holders[0].id
    post(
        f"/e/{estate.slug}/registrations/{pending.id}/approve",
        {f"r{pending.id}-holder": str(holder_id), f"r{pending.id}-reason": "核对房产证，为同一人"},
    )
    db_session.expire_all()
    registration = db_session.get(Registration, pending.id)
    assert registration.state == "approved"
    assert registration.can_vote
    assert registration.decision_reason == "核对房产证，为同一人"
    assert registration.keys[0].state == "active"


def test_a_rejection_needs_a_reason_and_the_owner_sees_it(client, post, login, pending, staff, db_session, estate, device):
    login("supervisor")
    post(f"/e/{estate.slug}/registrations/{pending.id}/reject", {f"r{pending.id}-reason": ""})
    db_session.expire_all()
    assert db_session.get(Registration, pending.id).state == "pending"
    post(f"/e/{estate.slug}/registrations/{pending.id}/reject", {f"r{pending.id}-reason": "不是本房屋业主"})
    post("/logout")
    db_session.expire_all()
    assert db_session.get(Registration, pending.id).state == "rejected"
    assert db_session.scalar(select(DeviceKey)).state == "revoked"
    # a revoked key no longer signs in
    assert device.signin().status_code == 403


def test_organisers_cannot_decide_registrations(client, post, login, pending, staff, estate, db_session):
    login("organiser")
    assert client.get(f"/e/{estate.slug}/registrations").status_code == 403
    response = post(f"/e/{estate.slug}/registrations/{pending.id}/approve", {f"r{pending.id}-reason": "x"})
    assert response.status_code == 403


def test_a_supervisor_of_another_estate_sees_nothing_of_this_one(client, post, login, pending, make_estate, make_staff, estate):
    other = make_estate("other", "别的小区")
    make_staff("stranger", estate=other, role="supervisor")
    login("stranger")
    assert client.get(f"/e/{estate.slug}/registrations").status_code == 404
    assert post(f"/e/{estate.slug}/registrations/{pending.id}/approve", {f"r{pending.id}-reason": "x"}).status_code == 404
    assert post(f"/e/{estate.slug}/roll").status_code == 404


def test_a_registration_cannot_be_decided_through_another_estates_address(
    client, post, login, pending, make_estate, make_staff, db_session
):
    other = make_estate("other", "别的小区")
    make_staff("stranger", estate=other, role="supervisor")
    login("stranger")
    assert post(f"/e/other/registrations/{pending.id}/approve", {f"r{pending.id}-reason": "x"}).status_code == 404
    db_session.expire_all()
    assert db_session.get(Registration, pending.id).state == "pending"


def test_a_supervisor_revokes_a_key_and_it_stops_signing_in(client, post, login, onboard, device, staff, estate, db_session):
    onboard()
    post("/logout")
    login("supervisor")
    key = db_session.scalar(select(DeviceKey))
    post(f"/e/{estate.slug}/keys/{key.id}/revoke", {"reason": "手机丢失"})
    post("/logout")
    assert device.signin().status_code == 403


def test_a_new_registration_after_a_lost_phone_revokes_the_old_key(client, post, onboard, letter, db_session):
    onboard()
    post("/logout")
    old_key = db_session.scalar(select(DeviceKey))
    token, _ = letter()  # re-issued letter
    client.get(f"/r/{token}")
    post("/join", {"id-name": "张三", "id-id_tail": ZHANG_TAIL})
    new_phone = Device(client)
    assert new_phone.register().status_code == 200
    db_session.expire_all()
    states = {k.kid: k.state for k in db_session.scalars(select(DeviceKey))}
    assert states[old_key.kid] == "revoked"
    assert states[new_phone.signer.kid] == "active"
    page = client.get("/me").get_data(as_text=True)
    assert "已撤销" in page
    assert "有效" in page


def test_organisers_print_letters_for_a_building_as_one_pdf(client, post, login, staff, estate, db_session):
    login("organiser")
    page = client.get(f"/e/{estate.slug}/letters").get_data(as_text=True)
    building = re.search(r'<option value="(\d+)">1</option>', page).group(1)
    response = post(f"/e/{estate.slug}/letters", {"building": building})
    assert response.status_code == 303
    assert "/jobs/" in response.headers["Location"]
    job_page = client.get(response.headers["Location"]).get_data(as_text=True)
    download = re.search(r'href="([^"]+/download)"', job_page).group(1)
    response = client.get(download)
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    assert response.headers["Cache-Control"] == "no-store"
    assert sorted(i.unit.label for i in db_session.scalars(select(Invitation))) == ["1-101", "1-102"]


def test_supervisors_cannot_bulk_print_but_can_reissue_with_a_reason(client, post, login, staff, estate, db_session):
    login("supervisor")
    assert post(f"/e/{estate.slug}/letters", {"units": "1-101"}).status_code == 403
    response = post(f"/e/{estate.slug}/letters/reissue", {"re-unit": "1-101", "re-reason": "业主手机丢失"})
    assert response.status_code == 303
    job_page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "已为 1-101 补发新的告知书" in job_page
    assert "此前的告知书已作废，不能再用来登记" in job_page
    download = client.get(re.search(r'href="([^"]+/download)"', job_page).group(1))
    assert download.mimetype == "application/pdf"
    invitation = db_session.scalar(select(Invitation))
    assert invitation.unit.label == "1-101"


def test_a_second_press_of_reissue_shows_the_letter_just_made_and_issues_another_only_when_asked(
    client, post, login, staff, letter, estate, db_session
):
    from webapp.jobs.models import Job

    letter("1-101")  # the letter the owner lost
    login("supervisor")
    reissue = f"/e/{estate.slug}/letters/reissue"
    first = post(reissue, {"re-unit": "1-101", "re-reason": "业主手机丢失"})
    assert first.status_code == 303
    states = lambda: sorted(i.state for i in db_session.scalars(select(Invitation)))  # noqa: E731

    db_session.expire_all()
    assert states() == ["active", "void"]
    again = post(reissue, {"re-unit": "1-101", "re-reason": "业主手机丢失"})  # a double tap, a reload
    assert again.status_code == 200
    page = again.get_data(as_text=True)
    assert "刚刚已为 1-101 补发了新的告知书" in page
    assert first.headers["Location"].split("ownersvote.test")[-1] in page  # the letter just made, to download
    db_session.expire_all()
    assert states() == ["active", "void"]
    assert db_session.scalar(select(func.count(Job.id)).where(Job.kind == "reissue")) == 1

    asked = post(reissue, {"re-unit": "1-101", "re-reason": "补发的告知书又丢了", "again": "yes"})
    assert asked.status_code == 303
    db_session.expire_all()
    assert states() == ["active", "void", "void"]
    assert db_session.scalar(select(func.count(Job.id)).where(Job.kind == "reissue")) == 2


def test_a_supervisor_records_the_co_owners_choice_of_who_votes(client, post, login, onboard, staff, estate, db_session):
    from tests.factories import WANG_TAIL

    onboard("1-102", name="王五", tail=WANG_TAIL)  # not the representative: reads only
    post("/logout")
    wang = db_session.scalar(select(Registration))
    assert not wang.can_vote
    login("supervisor")
    unit_page = client.get(f"/e/{estate.slug}/units/find?unit=1-102")
    assert unit_page.status_code == 302
    detail = client.get(unit_page.headers["Location"]).get_data(as_text=True)
    assert "代表共有人投票" in detail
    unit_id = int(re.search(r"/units/(\d+)", unit_page.headers["Location"]).group(1))
    holder_id = wang.holder_id
    post(f"/e/{estate.slug}/units/{unit_id}/representative", {"rep-holder": str(holder_id), "rep-reason": ""})
    db_session.expire_all()
    assert not db_session.get(Registration, wang.id).can_vote  # no reason, no change
    post(f"/e/{estate.slug}/units/{unit_id}/representative", {"rep-holder": str(holder_id), "rep-reason": "共有人书面推举王五"})
    db_session.expire_all()
    assert db_session.get(Registration, wang.id).can_vote
    post(f"/e/{estate.slug}/roll")
    doc = client.get(f"/p/{estate.slug}/roll/1.json").get_json()
    assert sum(len(e["keys"]) for e in doc["roll"]["entries"]) == 1  # 王五's key is now a voting key
