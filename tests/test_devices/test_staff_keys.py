"""Staff signing keys: the page that lists them readably, and revoking one's own key (it no longer
signs a roll), never another staff member's."""

from __future__ import annotations

from sqlalchemy import select

from crypto import roll as croll
from crypto.keys import generate_ed25519
from tests.factories import LINUX_UA, roll_payload_of, staff_key
from webapp.devices import operations as device_ops
from webapp.devices.models import DeviceKey


def test_the_staff_keys_page_has_a_header_row_and_readable_devices_and_states(client, login, staff, db_session):
    keys = [
        device_ops.add_device_key(jwk=generate_ed25519().jwk, label=label, staff=staff["supervisor"])
        for label in (LINUX_UA, "X11; Linux x86_64")
    ]
    device_ops.revoke_key(keys[1], actor=staff["supervisor"], reason="旧电脑已交回")
    db_session.commit()
    login("supervisor")
    page = client.get("/staff/keys").get_data(as_text=True)
    assert "<thead>" in page
    assert "<th>设备</th>" in page
    assert "<th>状态</th>" in page
    assert "Linux 电脑 · Chromium" in page
    assert "有效" in page
    assert "已撤销" in page
    assert "旧电脑已交回" in page
    assert "本页时间均为北京时间" in page  # its keys' times have no estate to take a zone from
    for raw in ("X11;", "Mozilla", ">active<", ">revoked<"):
        assert raw not in page
    assert keys[0].kid[:16] in page
    assert "修改我的密码" in page


def test_a_supervisor_revokes_their_own_signing_key_and_it_no_longer_signs(client, post, login, staff, estate, db_session):
    signer = generate_ed25519()
    login("supervisor")
    csrf = staff_key(client, signer)
    key = db_session.scalar(select(DeviceKey).where(DeviceKey.kid == signer.kid))
    post(f"/staff/keys/{key.id}/revoke", {"reason": "换了电脑"})
    db_session.expire_all()
    assert db_session.get(DeviceKey, key.id).state == "revoked"
    post(f"/e/{estate.slug}/roll")
    payload = roll_payload_of(client.get(f"/p/{estate.slug}/roll/1.json").get_json())
    assert (
        client.post(
            f"/e/{estate.slug}/roll/1/signatures", json=croll.sign_payload(signer, payload), headers={"X-CSRFToken": csrf}
        ).status_code
        == 400
    )


def test_nobody_revokes_another_staff_members_key(client, post, login, staff, db_session):
    signer = generate_ed25519()
    login("supervisor")
    staff_key(client, signer)
    post("/logout")
    login("supervisor2")
    key = db_session.scalar(select(DeviceKey).where(DeviceKey.kid == signer.kid))
    assert post(f"/staff/keys/{key.id}/revoke", {"reason": "x"}).status_code == 404


def test_the_keys_page_leads_a_new_key_back_to_the_page_that_needed_it_and_only_on_this_site(client, login, staff, db_session):
    login("supervisor")
    page = client.get("/staff/keys?next=/e/lvyuan/inspections/new").get_data(as_text=True)
    assert 'data-next="/e/lvyuan/inspections/new#key-made"' in page
    assert 'id="key-needed"' in page
    for elsewhere in ("//evil.example/x", "https://evil.example/", "/\\evil.example", "/\t/evil.example"):
        page = client.get("/staff/keys", query_string={"next": elsewhere}).get_data(as_text=True)
        assert "data-next=" not in page, elsewhere
        assert "key-needed" not in page, elsewhere
