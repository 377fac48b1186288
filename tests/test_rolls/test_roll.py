"""The frozen roll: its voting keys and totals, supervisors' signatures made with their own keys,
the public roll of pseudonyms (an owner finds their own entry), verification with
``ownersvote verify``, and the tampering alarm when stored rows no longer match the signed bytes."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from crypto import roll as croll
from crypto.keys import generate_ed25519, generate_p256
from crypto.verify import verify_roll
from tests.factories import roll_payload_of, staff_key, text_of
from webapp.rolls.models import Roll


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
    payload = roll_payload_of(doc)
    signature = croll.sign_payload(sup1, payload)
    assert client.post(f"/e/{estate.slug}/roll/1/signatures", json=signature, headers={"X-CSRFToken": csrf}).status_code == 200
    assert db_session.scalar(select(Roll)).state == "signing"  # one of two
    # The page the browser goes to next says what was done.
    assert "您已签署第 1 号名册：已有 1 / 2 个签名。" in client.get(f"/p/{estate.slug}/roll/1").get_data(as_text=True)
    post("/logout")
    login("supervisor2")
    csrf = staff_key(client, sup2)
    response = client.post(f"/e/{estate.slug}/roll/1/signatures", json=croll.sign_payload(sup2, payload), headers={"X-CSRFToken": csrf})
    assert response.get_json()["state"] == "certified"
    assert "您已签署第 1 号名册：已有 2 / 2 个签名。名册已生效。" in client.get(f"/p/{estate.slug}/roll/1").get_data(as_text=True)
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
    payload = roll_payload_of(client.get(f"/p/{estate.slug}/roll/1.json").get_json())
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
    # The list no longer asks this supervisor to sign it.
    listing = client.get(f"/e/{estate.slug}/roll").get_data(as_text=True)
    assert f'href="/e/{estate.slug}/roll/1/sign">查看签署情况</a>' in listing
    assert "核对并签署" not in listing
    # The sign page no longer checks (there is nothing to sign): it must not say it is checking.
    page = client.get(f"/e/{estate.slug}/roll/1/sign").get_data(as_text=True)
    assert 'id="roll-check"' not in page
    assert "正在核对" not in page
    assert "Checking…" not in page


def test_the_sign_page_without_a_key_says_what_to_do_and_not_that_it_checks(client, post, login, staff, estate, db_session):
    login("supervisor")
    post(f"/e/{estate.slug}/roll")
    page = client.get(f"/e/{estate.slug}/roll/1/sign").get_data(as_text=True)
    assert 'href="/staff/keys"' in page  # make a key first
    assert 'id="roll-check"' not in page


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
    # The supervisor sees the units beside the pseudonyms, and the page says so rather than
    # claiming that it shows none.
    staff_view = client.get(f"/p/{estate.slug}/roll/1").get_data(as_text=True)
    assert "1-101" in staff_view
    assert "不显示姓名或房号" not in staff_view
    assert "您作为监督员还能看到每位成员的房号" in staff_view
    post("/logout")
    anonymous = client.get(f"/p/{estate.slug}/roll/1").get_data(as_text=True)
    assert "不显示姓名或房号" in anonymous
    assert "张三" not in anonymous
    assert "1-101" not in anonymous
    assert "owner:" not in anonymous
    assert len(re.findall(r"M-[0-9A-Z]{16}", anonymous)) >= 4
    assert "您在名册上的编号是" not in anonymous
    assert device.signin().status_code == 200
    own = client.get(f"/p/{estate.slug}/roll/1").get_data(as_text=True)
    assert "您在名册上的编号是" in own
    assert "1 个表决密钥" in own
    assert "您在名册上的编号是" in client.get("/me").get_data(as_text=True)


def test_a_frozen_roll_is_not_changed_by_a_later_registry_import(client, post, login, staff, estate, db_session):
    from tests.factories import ZHANG, csv_bytes
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
    client.post(f"/e/{estate.slug}/roll/1/signatures", json=croll.sign_payload(signer, roll_payload_of(doc)), headers={"X-CSRFToken": csrf})
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


@pytest.fixture
def certified_roll(client, post, login, staff, estate, db_session):
    """A roll frozen and signed by the one supervisor the estate needs; signed out again."""
    signer = generate_ed25519()
    login("supervisor")
    csrf = staff_key(client, signer)
    post(f"/e/{estate.slug}/roll")
    payload = roll_payload_of(client.get(f"/p/{estate.slug}/roll/1.json").get_json())
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


def test_the_roll_list_keeps_the_merkle_root_in_the_technical_fold(client, post, login, staff, estate, db_session):
    import re

    login("supervisor")
    post(f"/e/{estate.slug}/roll")
    root = db_session.scalar(select(Roll)).root
    listing = client.get(f"/e/{estate.slug}/roll").get_data(as_text=True)
    folds = re.findall(r'<details class="tech">.*?</details>', listing, re.S)
    assert root in "".join(folds)
    assert listing.count(root) == 1  # not also as a bare line of 64 characters


def test_an_assembly_on_a_roll_short_of_signatures_says_how_many_are_missing(scenario):
    """A phone walk found the roll chooser silent on which rolls were signed, and the blocker
    saying only 'not fully signed, or does not match its signatures'."""
    from tests.factories import ZHANG_TAIL

    s = scenario
    s.announce(("1-101", "张三", ZHANG_TAIL))
    s.estate.roll_signatures_required = 2
    s.db.commit()
    s.as_staff("supervisor")
    s.post(f"/e/{s.estate.slug}/roll", {"assembly": str(s.assembly_id)})
    page = s.client.get(f"/e/{s.estate.slug}/assemblies/{s.assembly_id}").get_data(as_text=True)
    assert "第 1 号名册还差 2 个监督员签名（已有 0 个，需要 2 个）" in page
    assert "或名册与签名不符" not in page
    assert "等待签署（0/2）" in page


def test_a_rolls_summary_line_says_its_member_count_once(client, post, login, staff, estate, db_session):
    login("supervisor")
    post(f"/e/{estate.slug}/roll")
    roll = db_session.scalar(select(Roll))
    # Each member counts as one person, so the headcount is the members' number said again.
    assert roll.total_heads == roll.size
    for path in (f"/e/{estate.slug}/roll", f"/e/{estate.slug}/roll/1/sign", f"/p/{estate.slug}/roll/1"):
        page = client.get(path).get_data(as_text=True)
        (line,) = [text_of(p) for p in re.findall(r"<p>.*?</p>", page, re.S) if "名成员" in p]
        assert f"{roll.size} 名成员" in line
        assert re.findall(r"\d+(?:\.\d+)?", line).count(str(roll.size)) == 1, (path, line)
