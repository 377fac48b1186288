"""Bad input to petitions (issue 21, item 5): each refused with its reason in the reader's
language, and nothing written — no signature, no tree head, no audit event, no change of state."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from sqlalchemy import select

from tests.factories import Device, errors, petition_registry

WATCHED = (
    "petitions",
    "petition_members",
    "petition_signatures",
    "petition_tree_heads",
    "audit_events",
    "staff_notices",
    "notifications",
    "assemblies",
    "estates",
)


def snapshot(db) -> dict:
    from webapp.core.db import db as handle

    db.expire_all()
    return {name: sorted((tuple(r) for r in db.execute(select(handle.metadata.tables[name])).all()), key=repr) for name in WATCHED}


@contextmanager
def nothing_written(db):
    before = snapshot(db)
    yield
    after = snapshot(db)
    for name in WATCHED:
        assert after[name] == before[name], f"{name} changed"


@pytest.fixture
def started(world):
    for label in ("1-101", "1-102", "1-201"):
        world.register(label)
    return world.start("1-101")


def test_a_signature_from_a_member_who_was_not_on_the_list_is_refused(world, started):
    from webapp.registry.importing import import_file

    # A unit that came into the registry after the petition started: its owner is no member of it.
    import_file(world.estate, petition_registry("5,101,80.00,登记,孙丽,110101199003071129,,已交付"), "later.csv", actor="test")
    world.db.commit()
    from webapp.owners import operations as ops
    from webapp.registry.models import Unit

    unit = next(u for u in world.db.scalars(select(Unit).where(Unit.estate_id == world.estate.id)) if u.label == "5-101")
    issued = ops.issue_letters(world.estate, [unit], actor=world.staff["organiser"], pii_key=world.app.config["OWNERSVOTE_PII_HMAC_KEY"])
    world.db.commit()
    world.post("/logout")
    world.client.get(f"/r/{issued[0].token}")
    world.post("/join", {"id-name": "孙丽", "id-id_tail": "071129"})
    phone = Device(world.client)
    assert phone.register().status_code == 200
    world.devices["5-101"] = phone
    some_member = started.members[0].member
    with nothing_written(world.db):
        code, answer = world.sign(started, world.body(started, "1-101", signer=phone.signer, member=some_member))
    assert code == 403
    assert "不在这项提议发起时的业主名单上" in answer["error"]


def test_a_signature_with_a_revoked_key_is_refused(world, started):
    from webapp.devices.models import DeviceKey
    from webapp.devices.operations import revoke_key

    key = world.db.scalar(select(DeviceKey).where(DeviceKey.kid == world.devices["1-102"].signer.kid))
    revoke_key(key, actor=world.staff["supervisor"], reason="手机丢失")
    world.db.commit()
    body = world.body(started, "1-102")
    with nothing_written(world.db):
        code, answer = world.sign(started, body)
    assert code == 403
    assert "已被注销" in answer["error"]


def test_a_second_signature_by_the_same_member_is_refused_and_the_first_stands(world, started):
    first = world.body(started, "1-101")
    assert world.sign(started, first)[0] == 201
    with nothing_written(world.db):
        code, answer = world.sign(started, world.body(started, "1-101"))  # a new nonce: another signature
    assert code == 409
    assert "每户只计一个签名" in answer["error"]
    assert "不能撤回或替换" in answer["error"]
    with nothing_written(world.db):
        again = world.sign(started, first)  # the phone resending what it sent: the same signature
    assert again[0] == 200
    assert again[1]["repeated"] is True


def test_a_signature_for_another_estates_petition_is_refused(world, started, make_estate, make_staff):
    from webapp.registry.importing import import_file

    other = make_estate("beiyuan", "北苑小区")
    import_file(other, petition_registry(), "b.csv", actor="test")
    world.db.commit()
    org_b = make_staff("org-b", estate=other, role="organiser")
    world.register("1-101", estate=other, actor=org_b)
    theirs = world.start("beiyuan:1-101")
    # A signature made for estate B's petition, posted to estate A's: another petition.
    body_b = world.body(theirs, "beiyuan:1-101")
    with nothing_written(world.db):
        code, answer = world.sign(started, body_b)
    assert code == 403
    assert "另一项提议" in answer["error"]
    # An owner of estate B signing estate A's petition (the document names A's): another estate.
    body = world.body(started, "1-101", signer=world.devices["beiyuan:1-101"].signer, member=world.member_of(started, "1-101"))
    with nothing_written(world.db):
        code, answer = world.sign(started, body)
    assert code == 403
    assert "另一个小区的业主" in answer["error"]


def test_starting_a_petition_in_another_estates_name_is_refused(world, started, make_estate, app):
    from webapp.owners.models import Registration
    from webapp.petitions import operations as ops

    other = make_estate("nanyuan", "南苑小区")
    registration = world.db.scalar(select(Registration).where(Registration.estate_id == world.estate.id))
    with nothing_written(world.db), pytest.raises(ops.PetitionRefused, match="another estate"):
        ops.start(other, registration, subject="x", text_="", category=9, pii_key=app.config["OWNERSVOTE_PII_HMAC_KEY"])
    world.db.rollback()


def test_shares_above_the_statute_are_refused_with_the_article_and_nothing_is_saved(world, make_staff):
    make_staff("root", admin=True)
    world.as_staff("root")
    with nothing_written(world.db):
        response = world.post(
            "/e/qingyuan/settings",
            {
                "r-alternates": "0",
                "r-tally_signatures_required": "1",
                "r-notice_period_days": "15",
                "r-candidate_publication_days": "7",
                "r-results_publication_days": "7",
                "r-proxy_cap": "3",
                "r-objection_cap": "3",
                "r-petition_area_percent": "25",
                "r-petition_heads_percent": "20",
            },
        )
    assert response.status_code == 200
    said = " ".join(errors(response))
    assert "不能高于法定的 20%" in said
    assert "第二十一条" in said
    assert world.estate.petition_area_percent == 20


def test_lower_shares_are_the_estates_right_and_are_saved(world):
    from webapp.estates.operations import update_settings

    update_settings(world.estate, actor="test", petition_area_percent=10, petition_heads_percent=15)
    world.db.commit()
    assert (world.estate.petition_area_percent, world.estate.petition_heads_percent) == (10, 15)


def test_the_database_refuses_shares_above_the_statute_even_past_the_form(world):
    from sqlalchemy.exc import IntegrityError

    world.estate.petition_heads_percent = 21
    with pytest.raises(IntegrityError):
        world.db.flush()
    world.db.rollback()


def test_signing_after_the_petition_lapsed_is_refused(world, started):
    world.later(days=31)
    body = world.body(started, "1-102")
    code, answer = world.sign(started, body)  # the first request finds it lapsed (and records that)
    assert code == 409
    assert "提议已失效" in answer["error"]
    with nothing_written(world.db):
        code, answer = world.sign(started, world.body(started, "1-201"))
    assert code == 409
    assert world.latest().signed_heads == 0


def test_signing_after_the_petition_succeeded_is_refused(world, started):
    world.register("1-202")
    for label in ("1-101", "1-102", "1-201"):
        world.sign(started, world.body(started, label))
    assert world.latest().state == "succeeded"
    with nothing_written(world.db):
        code, answer = world.sign(started, world.body(started, "1-202"))
    assert code == 409
    assert "签名已经结束" in answer["error"]


def test_a_signature_naming_another_member_is_refused(world, started):
    body = world.body(started, "1-101", member=world.member_of(started, "1-102"))
    with nothing_written(world.db):
        code, answer = world.sign(started, body)
    assert code == 403
    assert "不是您的" in answer["error"]


def test_a_signature_that_does_not_verify_is_refused(world, started):
    body = world.body(started, "1-101")
    body["sig"] = world.body(started, "1-102")["sig"]
    with nothing_written(world.db):
        code, answer = world.sign(started, body)
    assert code == 403
    assert "签名无效" in answer["error"]


def test_a_signature_over_another_text_of_the_petition_is_refused(world, started):
    body = world.body(started, "1-101", digest="0" * 64)
    with nothing_written(world.db):
        code, answer = world.sign(started, body)
    assert code == 400
    assert "刷新页面" in answer["error"]


def test_a_malformed_signature_is_refused(world, started):
    with nothing_written(world.db):
        assert world.sign(started, {"signature": "{}", "kid": "x", "sig": "y"})[0] == 400
        assert world.sign(started, ["not", "an", "object"])[0] == 400


def test_a_refusal_is_in_the_readers_language(world, started):
    world.sign(started, world.body(started, "1-101"))
    code, answer = world.sign(started, world.body(started, "1-101"), english=True)
    assert code == 409
    assert "one signature per household" in answer["error"]


def test_a_staff_session_cannot_sign(world, started):
    world.as_staff("organiser")
    with nothing_written(world.db):
        code, answer = world.sign(started, world.body(started, "1-101"))
    assert code == 403
    assert "工作人员账号" in answer["error"]


def test_a_co_owner_who_does_not_vote_for_the_household_cannot_start_a_petition(world):
    world.register("2-101", "刘洋")
    world.sign_in("刘洋")
    with nothing_written(world.db):
        response = world.post("/me/petitions", {"subject": "更换物业", "text": "", "category": "4"})
    assert response.status_code == 200
    assert any("代表本户表决" in e for e in errors(response))


def test_a_petition_without_a_subject_is_refused(world):
    world.register("1-101")
    world.sign_in("1-101")
    with nothing_written(world.db):
        response = world.post("/me/petitions", {"subject": " ", "text": "", "category": "4"})
    assert response.status_code == 200
    assert errors(response)
