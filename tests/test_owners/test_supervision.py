"""Supervisors: the review queue, revoking keys, staff keys, freezing and signing the roll."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from crypto import roll as croll
from crypto.keys import generate_ed25519, generate_p256
from crypto.verify import verify_roll
from tests.test_owners.conftest import ZHANG_TAIL, Device
from webapp.devices.models import DeviceKey
from webapp.owners.models import Invitation, Registration
from webapp.rolls.models import Roll


def payload_of(doc: dict) -> dict:
    """The roll payload a supervisor's tool rebuilds from the published roll."""
    roll = doc["roll"]
    return croll.roll_payload(
        doc["estate"]["id"],
        roll["id"],
        roll["root"],
        roll["size"],
        roll["area"],
        roll["heads"],
        roll["frozen_at"],
        roll["required_signatures"],
    )


def staff_key(client, signer):
    page = client.get("/staff/keys").get_data(as_text=True)
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    challenge = client.get("/device/challenge?purpose=staff-key").get_json()
    response = client.post(
        "/staff/keys",
        json={"jwk": signer.jwk, "signature": signer.sign_b64(challenge["message"].encode()), "challenge": challenge["challenge"]},
        headers={"X-CSRFToken": csrf},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return csrf


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
    assert response.mimetype == "application/pdf"
    invitation = db_session.scalar(select(Invitation))
    assert invitation.unit.label == "1-101"


def freeze_and_sign(client, post, login, estate, signers):
    login("supervisor")
    staff_key(client, signers[0])
    post(f"/e/{estate.slug}/roll")
    return 1


def test_the_frozen_roll_carries_voting_keys_and_verifies_with_two_supervisor_signatures(
    client, post, login, onboard, staff, estate, db_session
):
    onboard()  # 张三 registers a voting key
    post("/logout")
    estate.roll_signatures_required = 2
    db_session.commit()
    sup1, sup2 = generate_ed25519(), generate_p256()
    login("supervisor")
    csrf = staff_key(client, sup1)
    post(f"/e/{estate.slug}/roll")
    doc = client.get(f"/p/{estate.slug}/roll/1.json").get_json()
    assert doc["roll"]["heads"] == 4
    assert doc["roll"]["area"] == "549.75"
    assert sum(len(e["keys"]) for e in doc["roll"]["entries"]) == 1
    payload = payload_of(doc)
    signature = croll.sign_payload(sup1, payload)
    assert client.post(f"/e/{estate.slug}/roll/1/signatures", json=signature, headers={"X-CSRFToken": csrf}).status_code == 200
    assert db_session.scalar(select(Roll)).state == "signing"  # one of two
    post("/logout")
    login("supervisor2")
    csrf = staff_key(client, sup2)
    response = client.post(f"/e/{estate.slug}/roll/1/signatures", json=croll.sign_payload(sup2, payload), headers={"X-CSRFToken": csrf})
    assert response.get_json()["state"] == "certified"
    doc = client.get(f"/p/{estate.slug}/roll/1.json").get_json()
    # what an independent checker does: the verifier's roll checks
    report = verify_roll(doc)
    assert report.ok, report.failures
    assert len(report.facts["roll_signers"]) == 2
    assert report.facts["roll_root"] == doc["roll"]["root"]


def test_a_supervisor_cannot_sign_twice_nor_with_someone_elses_key(client, post, login, staff, estate, db_session):
    mine, foreign = generate_ed25519(), generate_ed25519()
    login("supervisor")
    csrf = staff_key(client, mine)
    post(f"/e/{estate.slug}/roll")
    payload = payload_of(client.get(f"/p/{estate.slug}/roll/1.json").get_json())
    assert (
        client.post(
            f"/e/{estate.slug}/roll/1/signatures", json=croll.sign_payload(foreign, payload), headers={"X-CSRFToken": csrf}
        ).status_code
        == 400
    )
    bad = dict(croll.sign_payload(mine, payload), sig=croll.sign_payload(mine, {**payload, "heads": 1})["sig"])
    assert client.post(f"/e/{estate.slug}/roll/1/signatures", json=bad, headers={"X-CSRFToken": csrf}).status_code == 400
    assert (
        client.post(
            f"/e/{estate.slug}/roll/1/signatures", json=croll.sign_payload(mine, payload), headers={"X-CSRFToken": csrf}
        ).status_code
        == 200
    )
    assert (
        client.post(
            f"/e/{estate.slug}/roll/1/signatures", json=croll.sign_payload(mine, payload), headers={"X-CSRFToken": csrf}
        ).status_code
        == 400
    )


def test_organisers_cannot_freeze_or_sign_a_roll(client, post, login, staff, estate, db_session):
    login("organiser")
    post(f"/e/{estate.slug}/roll")
    assert db_session.scalar(select(Roll)) is None
    assert client.get(f"/e/{estate.slug}/roll/1/sign").status_code == 403


def test_the_public_roll_shows_pseudonyms_and_an_owner_sees_their_own_entry(
    client, post, login, onboard, device, staff, estate, db_session
):
    onboard()
    post("/logout")
    login("supervisor")
    post(f"/e/{estate.slug}/roll")
    post("/logout")
    anonymous = client.get(f"/p/{estate.slug}/roll/1").get_data(as_text=True)
    assert "张三" not in anonymous
    assert "1-101" not in anonymous
    assert "owner:" not in anonymous
    assert len(re.findall(r"M-[0-9A-Z]{16}", anonymous)) >= 4
    assert "您的条目是" not in anonymous
    assert device.signin().status_code == 200
    own = client.get(f"/p/{estate.slug}/roll/1").get_data(as_text=True)
    assert "您的条目是" in own
    assert "1 个表决密钥" in own
    assert "您的条目是" in client.get("/me").get_data(as_text=True)


def test_a_frozen_roll_is_not_changed_by_a_later_registry_import(client, post, login, staff, estate, db_session):
    from tests.test_registry.test_import import ZHANG, csv_bytes
    from webapp.registry.importing import import_file

    login("supervisor")
    post(f"/e/{estate.slug}/roll")
    before = client.get(f"/p/{estate.slug}/roll/1.json").get_json()
    import_file(estate, csv_bytes(f"9,901,80,,张三,{ZHANG},,"), "new.csv", actor="test")
    db_session.commit()
    assert client.get(f"/p/{estate.slug}/roll/1.json").get_json() == before


def test_the_published_roll_passes_ownersvote_verify_and_a_tampered_one_fails(
    client, post, login, onboard, staff, estate, db_session, tmp_path
):
    import json
    import subprocess
    import sys

    onboard()
    post("/logout")
    signer = generate_ed25519()
    login("supervisor")
    csrf = staff_key(client, signer)
    post(f"/e/{estate.slug}/roll")
    doc = client.get(f"/p/{estate.slug}/roll/1.json").get_json()
    client.post(f"/e/{estate.slug}/roll/1/signatures", json=croll.sign_payload(signer, payload_of(doc)), headers={"X-CSRFToken": csrf})
    good = client.get(f"/p/{estate.slug}/roll/1.json").get_json()
    (tmp_path / "roll.json").write_text(json.dumps(good))
    ok = subprocess.run([sys.executable, "-m", "crypto.verify", str(tmp_path / "roll.json")], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "VERIFIED" in ok.stdout, ok.stdout + ok.stderr
    bad = json.loads(json.dumps(good))
    bad["roll"]["entries"][0]["area"] = "999.00"
    (tmp_path / "bad.json").write_text(json.dumps(bad))
    failed = subprocess.run([sys.executable, "-m", "crypto.verify", str(tmp_path / "bad.json")], capture_output=True, text=True)
    assert failed.returncode == 1
    assert "Merkle root" in failed.stdout


def test_a_supervisor_records_the_co_owners_choice_of_who_votes(client, post, login, onboard, staff, estate, db_session):
    from tests.test_owners.conftest import WANG_TAIL

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


def test_a_supervisor_revokes_their_own_signing_key_and_it_no_longer_signs(client, post, login, staff, estate, db_session):
    signer = generate_ed25519()
    login("supervisor")
    csrf = staff_key(client, signer)
    key = db_session.scalar(select(DeviceKey).where(DeviceKey.kid == signer.kid))
    post(f"/staff/keys/{key.id}/revoke", {"reason": "换了电脑"})
    db_session.expire_all()
    assert db_session.get(DeviceKey, key.id).state == "revoked"
    post(f"/e/{estate.slug}/roll")
    payload = payload_of(client.get(f"/p/{estate.slug}/roll/1.json").get_json())
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


@pytest.fixture
def certified_roll(client, post, login, staff, estate, db_session):
    """A roll frozen and signed by the one supervisor the estate needs; signed out again."""
    signer = generate_ed25519()
    login("supervisor")
    csrf = staff_key(client, signer)
    post(f"/e/{estate.slug}/roll")
    payload = payload_of(client.get(f"/p/{estate.slug}/roll/1.json").get_json())
    assert (
        client.post(
            f"/e/{estate.slug}/roll/1/signatures", json=croll.sign_payload(signer, payload), headers={"X-CSRFToken": csrf}
        ).status_code
        == 200
    )
    post("/logout")
    return db_session.scalar(select(Roll))


def test_the_public_roll_is_confirmed_from_its_signed_bytes(client, estate, certified_roll):
    page = client.get(f"/p/{estate.slug}/roll/1").get_data(as_text=True)
    assert "已确认" in page
    assert "篡改警报" not in page
    assert "549.75" in page


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE roll_entries SET area_centi = area_centi + 10000 WHERE position = 0",
        "UPDATE rolls SET total_area_centi = total_area_centi + 10000",
    ],
)
def test_edited_roll_columns_raise_a_tampering_alarm_and_the_signed_numbers_stay(client, estate, certified_roll, db_session, statement):
    from sqlalchemy import text

    db_session.execute(text(statement))
    db_session.commit()
    page = client.get(f"/p/{estate.slug}/roll/1").get_data(as_text=True)
    assert "篡改警报" in page
    assert "已确认" not in page
    assert "549.75 平方米" in page
    assert "649.75 平方米" not in page


def test_an_edited_signed_entry_breaks_the_root_and_raises_the_alarm(client, estate, certified_roll, db_session):
    from webapp.rolls.models import RollEntry

    entry = db_session.scalar(select(RollEntry).order_by(RollEntry.position).limit(1))
    entry.entry = {**entry.entry, "area": "999.99"}
    db_session.commit()
    page = client.get(f"/p/{estate.slug}/roll/1").get_data(as_text=True)
    assert "篡改警报" in page
    assert "默克尔根不符" in page
    assert "已确认" not in page


def test_the_public_roll_is_paged_and_an_owner_jumps_to_their_own_entry(client, post, login, make_estate, make_staff, db_session):
    from webapp.demo.registry import demo_csv
    from webapp.registry.importing import import_file

    big = make_estate("big", "大小区")
    import_file(big, demo_csv(), "demo.csv", actor="test")
    make_staff("bigsup", estate=big, role="supervisor")
    db_session.commit()
    login("bigsup")
    post(f"/e/{big.slug}/roll")
    page = client.get(f"/p/{big.slug}/roll/1").get_data(as_text=True)
    assert len(re.findall(r'<td class="mono"', page)) == 100
    assert "第 1 页" in page
    assert "开发建设单位" in page or "-" in page  # supervisors see units behind the pseudonyms
    post("/logout")
    anonymous = client.get(f"/p/{big.slug}/roll/1?page=12").get_data(as_text=True)
    assert "第 12 页" in anonymous
    assert "owner:" not in anonymous
