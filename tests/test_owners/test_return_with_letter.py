"""An owner sent to the supervisors who left before making a key learns the answer by scanning
the same letter again, and is never sent to a dead end."""

from __future__ import annotations

from sqlalchemy import select

from webapp.devices.models import DeviceKey
from webapp.owners.models import Registration


def leave_for_review(client, post, letter, label="1-102", name="赵六", tail="000000"):
    token, _code = letter(label)
    client.get(f"/r/{token}")
    post("/join", {"id-name": name, "id-id_tail": tail})
    post("/join/review", {"rv-name": name, "rv-note": "房产证在我名下，名册可能未更新"})
    post("/logout")  # the owner closes the page without making a key
    return token


def decide(client, post, login, estate, registration_id: int, how: str, reason: str, holder_id: int | None = None):
    login("supervisor")
    data = {f"r{registration_id}-reason": reason}
    if holder_id:
        data[f"r{registration_id}-holder"] = str(holder_id)
    response = post(f"/e/{estate.slug}/registrations/{registration_id}/{how}", data)
    assert response.status_code == 302
    post("/logout")


def test_the_same_letter_shows_a_pending_request_and_when_it_was_sent(client, post, letter, staff, db_session):
    token = leave_for_review(client, post, letter)
    page = client.get(f"/r/{token}", follow_redirects=True).get_data(as_text=True)
    assert "监督员尚未作出决定" in page or "尚未" in page
    assert "这封告知书不能使用" not in page


def test_a_rejected_owner_reads_the_reason_and_what_to_do_next_with_the_same_letter(client, post, login, letter, staff, estate, db_session):
    token = leave_for_review(client, post, letter)
    registration = db_session.scalar(select(Registration).order_by(Registration.id.desc()))
    decide(client, post, login, estate, registration.id, "reject", "房产证上的姓名与名册不符")
    page = client.get(f"/r/{token}", follow_redirects=True).get_data(as_text=True)
    assert "房产证上的姓名与名册不符" in page
    assert "这封告知书不能使用" not in page
    assert "新的告知书" in page  # the way forward


def test_an_approved_owner_continues_from_the_same_letter_to_make_a_key(client, post, login, letter, staff, estate, db_session):
    from tests.factories import Device

    token = leave_for_review(client, post, letter)
    registration = db_session.scalar(select(Registration).order_by(Registration.id.desc()))
    holder = registration.unit.owner.holders[0]
    decide(client, post, login, estate, registration.id, "approve", "已核对房产证", holder.id)
    page = client.get(f"/r/{token}", follow_redirects=True).get_data(as_text=True)
    assert "已核对房产证" in page
    response = post("/join/status/continue")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/join/device")
    device = Device(client)
    assert device.register().status_code == 200
    db_session.expire_all()
    assert db_session.scalar(select(DeviceKey).where(DeviceKey.registration_id == registration.id)).state == "active"
    # the letter has done its work: scanning it again no longer offers a second key
    client.get(f"/r/{token}")
    assert post("/join/status/continue").status_code == 403


def test_continuing_is_refused_while_the_request_is_still_pending(client, post, letter, staff, db_session):
    token = leave_for_review(client, post, letter)
    client.get(f"/r/{token}")
    assert post("/join/status/continue").status_code == 403
