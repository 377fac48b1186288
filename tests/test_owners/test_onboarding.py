"""From the letter to a registered device, and every refusal on the way."""

from __future__ import annotations

import logging

from sqlalchemy import delete, func, select, text

from tests.factories import LI_TAIL, WANG_TAIL, ZHANG_TAIL, Device
from webapp.audit.models import AuditEvent
from webapp.devices.models import DeviceKey
from webapp.owners.models import Invitation, Registration


def test_scanning_a_letter_redirects_at_once_to_an_address_without_the_token(client, letter):
    token, _ = letter()
    response = client.get(f"/r/{token}")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/join")
    assert token not in response.headers["Location"]
    page = client.get("/join").get_data(as_text=True)
    assert "1-101" in page
    assert token not in page
    assert client.get("/join").headers["Referrer-Policy"] == "no-referrer"


def test_unknown_used_and_expired_tokens_get_the_same_answer(client, post, letter, device, db_session):
    token, _ = letter()
    guessed = client.get("/r/" + "A" * 43)
    client.get(f"/r/{token}")
    post("/join", {"id-name": "张三", "id-id_tail": ZHANG_TAIL})
    device.register()
    post("/logout")
    replayed = client.get(f"/r/{token}")
    expired_token, _ = letter("2-201")
    invitation = db_session.scalar(select(Invitation).where(Invitation.state == "active"))
    from datetime import timedelta

    invitation.expires_at = invitation.issued_at - timedelta(seconds=1)
    db_session.commit()
    expired = client.get(f"/r/{expired_token}")
    answers = {(r.status_code, r.headers["Location"], r.get_data()) for r in (guessed, replayed, expired)}
    assert len(answers) == 1
    assert "不能使用" in client.get("/join").get_data(as_text=True)


def test_the_whole_path_registers_a_voting_key_and_signs_the_owner_in(client, onboard, db_session):
    onboard()
    registration = db_session.scalar(select(Registration))
    assert registration.state == "approved"
    assert registration.can_vote
    key = db_session.scalar(select(DeviceKey))
    assert key.state == "active"
    assert key.registration_id == registration.id
    assert key.alg == "ES256"
    page = client.get("/me").get_data(as_text=True)
    assert "张三" in page
    assert "189.75" in page
    assert "1-101" in page
    assert "2-201" in page


def test_an_owner_signs_in_again_on_the_same_device_with_no_password(client, onboard, device, post):
    onboard()
    post("/logout")
    assert client.get("/me").status_code == 302
    response = device.signin()
    assert response.status_code == 200
    assert response.get_json()["next"] == "/me"
    assert client.get("/me").status_code == 200


def test_a_signature_from_another_key_does_not_sign_in(client, onboard, device, post):
    onboard()
    post("/logout")
    impostor = Device(client)
    challenge = client.get("/device/challenge?purpose=signin").get_json()
    response = client.post(
        "/signin",
        json={
            "kid": device.signer.kid,
            "signature": impostor.signer.sign_b64(challenge["message"].encode()),
            "challenge": challenge["challenge"],
        },
        headers={"X-CSRFToken": device.csrf()},
    )
    assert response.status_code == 403


def test_a_challenge_cannot_be_replayed(client, onboard, device, post):
    onboard()
    post("/logout")
    challenge = client.get("/device/challenge?purpose=signin").get_json()
    signature = device.signer.sign_b64(challenge["message"].encode())
    headers = {"X-CSRFToken": device.csrf()}
    body = {"kid": device.signer.kid, "signature": signature, "challenge": challenge["challenge"]}
    assert client.post("/signin", json=body, headers=headers).status_code == 200
    post("/logout")
    assert client.post("/signin", json=body, headers={"X-CSRFToken": device.csrf()}).status_code == 403


def test_a_co_owner_who_is_not_the_representative_registers_to_read_only(client, onboard, db_session):
    onboard("1-102", name="王五", tail=WANG_TAIL)
    registration = db_session.scalar(select(Registration))
    assert registration.state == "approved"
    assert not registration.can_vote
    assert "李四" in client.get("/me").get_data(as_text=True)


def test_the_representative_co_owner_votes(client, onboard, db_session):
    onboard("1-102", name="李四", tail=LI_TAIL)
    assert db_session.scalar(select(Registration)).can_vote


def test_wrong_answers_lock_the_letter_after_five(client, post, letter, db_session):
    token, _ = letter()
    client.get(f"/r/{token}")
    codes = [post("/join", {"id-name": "张三", "id-id_tail": "000000"}).status_code for _ in range(5)]
    assert codes == [200, 200, 200, 200, 429]
    assert db_session.scalar(select(Invitation)).failed_checks == 5
    assert db_session.scalar(select(AuditEvent).where(AuditEvent.action == "letter.locked")) is not None
    assert post("/join", {"id-name": "张三", "id-id_tail": ZHANG_TAIL}).status_code in (200, 410)
    assert db_session.scalar(select(Registration)) is None


def test_full_width_and_lower_case_answers_still_match(client, post, letter, device, db_session):
    token, _ = letter()
    client.get(f"/r/{token}")
    post("/join", {"id-name": " 张 三 ", "id-id_tail": "31002x"})
    assert device.register().status_code == 200
    assert db_session.scalar(select(Registration)).state == "approved"


def test_the_typed_code_works_like_the_qr_code(client, post, letter, device, db_session):
    _, code = letter()
    response = post("/r", {"code": code.lower().replace("-", " ")})
    assert response.status_code == 303
    post("/join", {"id-name": "张三", "id-id_tail": ZHANG_TAIL})
    assert device.register().status_code == 200


def test_a_wrong_typed_code_is_refused_politely(client, post, letter):
    letter()
    page = post("/r", {"code": "0000-0000-0000"}).get_data(as_text=True)
    assert "不能使用" in page


def test_a_wrong_typed_code_says_whom_to_ask_for_a_new_letter_and_nothing_about_any_letter(client, post, letter, estate):
    letter()
    page = post("/r", {"code": "0000-0000-0000"}).get_data(as_text=True)
    assert "这个登记码不能使用。请核对，或向业主委员会或筹备组（见告知书落款）申请新的告知书。" in page
    assert estate.name not in page  # a guess learns no estate, state or unit


def test_reissuing_a_letter_voids_the_old_one(client, letter, db_session):
    old, _ = letter()
    new, _ = letter()
    client.get(f"/r/{old}")
    assert "不能使用" in client.get("/join").get_data(as_text=True)
    client.get(f"/r/{new}")
    assert "1-101" in client.get("/join").get_data(as_text=True)
    states = sorted(i.state for i in db_session.scalars(select(Invitation)))
    assert states == ["active", "void"]
    assert db_session.scalar(select(AuditEvent).where(AuditEvent.action == "letter.void")) is not None


def test_mismatched_details_go_to_the_supervisors_queue(client, post, letter, device, db_session):
    token, _ = letter()
    client.get(f"/r/{token}")
    post("/join", {"id-name": "张叁", "id-id_tail": ZHANG_TAIL})
    post("/join/review", {"rv-name": "张叁", "rv-note": "身份证上的名字是张叁"})
    assert device.register().status_code == 200
    registration = db_session.scalar(select(Registration))
    assert registration.state == "pending"
    assert not registration.can_vote
    assert db_session.scalar(select(DeviceKey)).state == "pending"
    assert "正在审核" in client.get("/me").get_data(as_text=True)


def test_the_token_never_reaches_the_logs(client, letter, caplog):
    from webapp.core.logging import RedactTokens

    token, _ = letter()
    record = logging.LogRecord(
        "werkzeug", logging.INFO, __file__, 1, '%s - - "%s" %s', ("127.0.0.1", f"GET /r/{token} HTTP/1.1", "303"), None
    )
    RedactTokens().filter(record)
    assert token not in record.getMessage()
    assert "/r/[redacted]" in record.getMessage()


def test_an_owner_cannot_reach_staff_pages(client, onboard, estate):
    onboard()
    assert client.get(f"/e/{estate.slug}/members").status_code == 404
    assert client.get(f"/e/{estate.slug}/registrations").status_code == 404


def test_the_scan_endpoint_is_rate_limited(client):
    codes = [client.get("/r/" + "B" * 43).status_code for _ in range(31)]
    assert codes[:30] == [303] * 30
    assert codes[30] == 429


def test_a_device_post_without_the_csrf_header_is_refused(client, post, letter, device, db_session):
    token, _ = letter()
    client.get(f"/r/{token}")
    post("/join", {"id-name": "张三", "id-id_tail": ZHANG_TAIL})
    challenge, signature = device.prove("register")
    response = client.post("/join/device", json={"jwk": device.signer.jwk, "signature": signature, "challenge": challenge})
    assert response.status_code == 400
    assert db_session.scalar(select(DeviceKey)) is None


def test_one_letter_used_by_two_phones_at_once_registers_once(app, database_url):
    """Separate transactions, as two simultaneous requests have (PostgreSQL row lock).  Uses
    committed rows of its own, since the per-test transaction cannot be shared by threads."""
    import threading

    import pytest

    if database_url.startswith("sqlite"):
        pytest.skip("SQLite has a single writer; the row lock matters on PostgreSQL")
    from tests.factories import GOOD
    from webapp.core.db import db
    from webapp.estates.models import Estate
    from webapp.estates.operations import create_estate
    from webapp.owners import operations as ops
    from webapp.registry.importing import import_file
    from webapp.registry.models import Unit

    with app.app_context():
        estate = create_estate("two-phones", "两部手机", actor="test")
        import_file(estate, GOOD, "r.csv", actor="test")
        unit = db.session.scalar(select(Unit).where(Unit.estate_id == estate.id, Unit.number == "101"))
        ops.issue_letters(estate, [unit], actor="test", pii_key=app.config["OWNERSVOTE_PII_HMAC_KEY"])
        db.session.commit()
        estate_id, unit_id = estate.id, unit.id
    results, barrier = [], threading.Barrier(2)

    def phone() -> None:
        with app.app_context():
            unit = db.session.get(Unit, unit_id)
            invitation = db.session.scalar(select(Invitation).where(Invitation.unit_id == unit_id, Invitation.state == "active"))
            barrier.wait()
            try:
                ops.register_matched(invitation, unit.owner.holders[0])
                db.session.commit()
                results.append("registered")
            except ops.OnboardingError:
                db.session.rollback()
                results.append("refused")

    threads = [threading.Thread(target=phone) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with app.app_context():
        registrations = db.session.scalar(select(func.count(Registration.id)).where(Registration.estate_id == estate_id))
        db.session.delete(db.session.get(Estate, estate_id))
        # The estate's audit events outlive it (the table refuses DELETE): removed as a superuser
        # may, triggers off, so that later tests counting events see only their own.
        db.session.execute(text("SET LOCAL session_replication_role = replica"))
        db.session.execute(delete(AuditEvent).where(AuditEvent.chain == estate_id))
        db.session.commit()
    assert sorted(results) == ["refused", "registered"]
    assert registrations == 1


def test_an_id_tail_typed_in_full_width_characters_is_the_same_tail(client, post, letter, device):
    """Chinese input methods type full-width digits and letters (３１００２Ｘ); they are the same
    six characters, not a wrong answer."""
    token, _ = letter()
    client.get(f"/r/{token}")
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in ZHANG_TAIL)
    page = post("/join", {"id-name": "张三", "id-id_tail": full_width}, follow_redirects=True).get_data(as_text=True)
    assert "六个字符" not in page
    assert "six characters" not in page
    assert device.register().status_code == 200


def test_my_page_dates_a_key_in_the_estates_time_not_utc(client, onboard, estate, db_session):
    """A key made at 01:30 Beijing time is made that day, though it is still yesterday in UTC."""
    from datetime import UTC, datetime

    from sqlalchemy import update

    from webapp.devices.models import DeviceKey

    onboard()
    db_session.execute(update(DeviceKey).values(created_at=datetime(2026, 12, 6, 17, 30, tzinfo=UTC)))
    db_session.commit()
    page = client.get("/me").get_data(as_text=True)
    assert "2026-12-07" in page
    assert "2026-12-06" not in page


def test_my_page_says_its_times_are_beijing_time(client, onboard):
    onboard()
    page = client.get("/me").get_data(as_text=True)
    assert '<p class="small" id="zone-note">本页时间均为北京时间。</p>' in page
