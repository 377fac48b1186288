"""A key made after the roll froze (issue 16, item 1): the owner's page says why there is no
ballot yet, the cast is refused with the reason, the supervisors sign a roll supplement (k of n,
as the roll), and then the ballot is accepted; the bundle carries the supplement."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from crypto import roll as croll
from crypto.supplement import apply_supplements, supplement_payload
from tests.factories import LI_TAIL, TITLES, ZHANG_TAIL, csrf_of


@pytest.fixture
def two_of_n(scenario):
    """The `voting` assembly, on a roll that needs two supervisors' signatures."""
    s = scenario
    s.estate.roll_signatures_required = 2
    s.db.commit()
    s.announce(("1-101", "张三", ZHANG_TAIL), ("1-102", "李四", LI_TAIL))
    s.freeze_and_sign_roll()
    roll = s.assembly.roll
    doc = s.client.get(f"/p/{s.estate.slug}/roll/{roll.seq}.json").get_json()
    r = doc["roll"]
    payload = croll.roll_payload(doc["estate"]["id"], r["id"], r["root"], r["size"], r["area"], r["heads"], r["frozen_at"], 2)
    s.as_staff("supervisor2")
    csrf = s.staff_key("supervisor2")
    signature = croll.sign_payload(s.sup_keys["supervisor2"], payload)
    response = s.client.post(f"/e/{s.estate.slug}/roll/{roll.seq}/signatures", json=signature, headers={"X-CSRFToken": csrf})
    assert response.get_json()["state"] == "certified"
    s.at(s.assembly.opens_at + timedelta(hours=1))
    return s


def choices(s) -> dict:
    return {s.item_ids()[TITLES["statute"]]: "agree"}


def sign_supplement_in_browser(s, supervisor: str, supplement_id: int) -> dict:
    """What the supervisor's page does: fetch the roll and the supplement's parts, rebuild the
    payload from them and sign it."""
    s.as_staff(supervisor)
    csrf = csrf_of(s.client, f"/e/{s.estate.slug}/roll/supplements")
    roll = s.assembly.roll
    doc = s.client.get(f"/p/{s.estate.slug}/roll/{roll.seq}.json").get_json()
    part = s.client.get(f"/e/{s.estate.slug}/roll/supplements/{supplement_id}.json").get_json()
    payload = supplement_payload(
        estate=doc["estate"]["id"],
        roll=doc["roll"]["id"],
        roll_root=croll.roll_root(doc["roll"]["entries"]).hex(),
        assembly=part["assembly"],
        seq=part["seq"],
        member=part["member"],
        add=[k["jwk"] for k in part["add"]],
        revoke=part["revoke"],
        made_at=part["made_at"],
        required_signatures=doc["roll"]["required_signatures"],
    )
    signature = croll.sign_payload(s.sup_keys[supervisor], payload)
    response = s.client.post(
        f"/e/{s.estate.slug}/roll/supplements/{supplement_id}/signatures", json=signature, headers={"X-CSRFToken": csrf}
    )
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_a_key_made_after_the_freeze_votes_once_two_supervisors_signed_a_supplement(two_of_n):
    from webapp.results.bundle import build_bundle
    from webapp.rolls.models import RollSupplement

    s = two_of_n
    old = s.devices["1-101"]
    s.register_owner("1-101", "张三", ZHANG_TAIL)  # a new letter and a new phone: the old key is revoked
    new = s.devices["1-101"]
    assert new.signer.kid != old.signer.kid
    # none yet: the owner's pages ask for it
    assert s.db.scalar(select(RollSupplement.id).where(RollSupplement.assembly_id == s.assembly_id)) is None

    s.sign_in("1-101")
    ballot_page = s.client.get(f"/me/a/{s.assembly_id}/ballot").get_data(as_text=True)
    assert "监督员补入名册" in ballot_page  # the ballot page, reached directly, offers no ballot either
    assert 'id="ballot"' not in ballot_page
    page = s.client.get("/me").get_data(as_text=True)
    assert f'id="key-waiting-{s.assembly_id}"' in page
    assert f"/me/a/{s.assembly_id}/ballot" not in page  # no ballot that would be refused
    assert "已请监督员签署名册补充" in page  # what is happening,
    assert "2 位中已有 0 位签名" in page
    assert "您本人已在表决名册上，等待补入的只是这部手机的密钥" in page  # not the owner
    assert "通常在一天之内完成" in page  # how long it usually takes (no supplement signed here yet),
    assert "纸质表决票" in page  # and the paper alternative
    supplement = s.db.scalar(select(RollSupplement).where(RollSupplement.assembly_id == s.assembly_id))
    assert supplement.state == "signing"
    assert supplement.payload["revoke"] == [old.signer.kid]
    assert [k["jwk"] for k in supplement.payload["add"]] == [new.signer.jwk]
    # A second visit asks for nothing new.
    s.client.get("/me")
    assert len(list(s.db.scalars(select(RollSupplement).where(RollSupplement.assembly_id == s.assembly_id)))) == 1

    status, answer = s.cast(s.ballot("1-101", choices(s), member=supplement.member))
    assert status == 403
    assert "等待监督员签署名册补充" in answer["error"]

    s.as_staff("supervisor")
    listing = s.client.get(f"/e/{s.estate.slug}/roll/supplements").get_data(as_text=True)
    assert f'id="supplement-{supplement.id}"' in listing
    assert 'data-action="sign-supplement"' in listing
    assert sign_supplement_in_browser(s, "supervisor", supplement.id)["state"] == "signing"
    s.db.expire_all()
    s.sign_in("1-101")
    status, _ = s.cast(s.ballot("1-101", choices(s), member=supplement.member))
    assert status == 403  # one of two signatures is not enough

    assert sign_supplement_in_browser(s, "supervisor2", supplement.id)["state"] == "certified"
    s.db.expire_all()
    s.sign_in("1-101")
    page = s.client.get("/me").get_data(as_text=True)
    assert f'id="key-waiting-{s.assembly_id}"' not in page
    assert f"/me/a/{s.assembly_id}/ballot" in page
    status, answer = s.cast(s.ballot("1-101", choices(s), member=supplement.member))
    assert status == 201, answer
    # The old phone's key no longer casts (here for two reasons: revoked on the device list, and by the supplement).
    status, answer = s.cast(s.ballot("1-101", choices(s), signer=old.signer, member=supplement.member))
    assert status == 403

    s.db.expire_all()
    supplement = s.db.get(RollSupplement, supplement.id)
    assert supplement.log_from == 0
    bundle = build_bundle(s.assembly)
    assert len(bundle["supplements"]) == 1
    trusted = {x["kid"]: x["jwk"] for x in bundle["supervisors"]}
    changes = apply_supplements(
        bundle["supplements"],
        estate=str(bundle["estate"]["id"]),
        roll=bundle["roll"],
        assembly=bundle["assembly"]["id"],
        trusted=trusted,
        log_size=len(bundle["log"]["entries"]),
    )
    assert not changes.problems
    assert changes.ballot_problem(new.signer.kid, 0) is None
    assert changes.ballot_problem(old.signer.kid, 0) is not None


def test_a_supplement_signed_by_an_owner_or_twice_is_refused(two_of_n):
    from webapp.rolls.models import RollSupplement

    s = two_of_n
    s.register_owner("1-101", "张三", ZHANG_TAIL)
    s.sign_in("1-101")
    s.client.get("/me")
    supplement = s.db.scalar(select(RollSupplement).where(RollSupplement.assembly_id == s.assembly_id))
    assert s.client.get(f"/e/{s.estate.slug}/roll/supplements/{supplement.id}.json").status_code in (302, 403, 404)
    sign_supplement_in_browser(s, "supervisor", supplement.id)
    csrf = csrf_of(s.client, f"/e/{s.estate.slug}/roll/supplements")
    again = croll.sign_payload(s.sup_keys["supervisor"], supplement.payload)
    response = s.client.post(f"/e/{s.estate.slug}/roll/supplements/{supplement.id}/signatures", json=again, headers={"X-CSRFToken": csrf})
    assert response.status_code == 400


def test_the_published_bundle_with_a_supplement_verifies_offline(two_of_n):
    import json

    from crypto.notice import notice_digest
    from crypto.verify import verify_bundle
    from webapp.rolls.models import RollSupplement

    s = two_of_n
    s.sign_in("1-102")
    status, early = s.cast_in_log(s.ballot("1-102", choices(s)))  # on the roll's own key, before the supplement
    assert status == 201, early
    s.register_owner("1-101", "张三", ZHANG_TAIL)
    s.sign_in("1-101")
    s.client.get("/me")
    supplement = s.db.scalar(select(RollSupplement).where(RollSupplement.assembly_id == s.assembly_id))
    sign_supplement_in_browser(s, "supervisor", supplement.id)
    sign_supplement_in_browser(s, "supervisor2", supplement.id)
    s.sign_in("1-101")
    status, late = s.cast_in_log(s.ballot("1-101", choices(s), member=supplement.member))
    assert status == 201, late

    s.at(s.assembly.closes_at + timedelta(minutes=1))
    s.client.get(f"/p/{s.estate.slug}/a/{s.assembly_id}")
    s.as_staff("organiser")
    assert s.post(f"/e/{s.estate.slug}/assemblies/{s.assembly_id}/results/tally").status_code == 302
    assert s.assembly.state == "tallied"
    for username in ("supervisor", "supervisor2"):
        if s.assembly.state == "certified":  # the notice's rules may need only one
            break
        s.as_staff(username)
        csrf = csrf_of(s.client, "/staff/keys")
        bundle = json.loads(s.client.get(f"/e/{s.estate.slug}/assemblies/{s.assembly_id}/bundle.json").data)
        final = bundle["log"]["tree_heads"][-1]["sth"]
        payload = croll.certification_payload(
            bundle["notice"]["assembly"],
            notice_digest(bundle["notice"]),
            bundle["roll"]["root"],
            final["size"],
            final["root"],
            croll.tally_digest(bundle["tally"]),
        )
        response = s.client.post(
            f"/e/{s.estate.slug}/assemblies/{s.assembly_id}/certifications",
            json={**croll.sign_payload(s.sup_keys[username], payload), "declared_not_voted": True},
            headers={"X-CSRFToken": csrf},
        )
        assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert s.assembly.state == "certified"
    bundle = json.loads(s.client.get(f"/e/{s.estate.slug}/assemblies/{s.assembly_id}/bundle.json").data)
    assert [r["from"] for r in bundle["supplements"]] == [1]
    report = verify_bundle(bundle, [("early", early["receipt"]), ("late", late["receipt"])], jobs=1)
    assert report.ok, report.failures
    assert report.facts["counted"] == 2


def test_a_supplement_marked_certified_in_the_database_without_signatures_adds_no_key(two_of_n):
    from webapp.rolls.models import RollSupplement

    s = two_of_n
    s.register_owner("1-101", "张三", ZHANG_TAIL)
    s.sign_in("1-101")
    s.client.get("/me")
    supplement = s.db.scalar(select(RollSupplement).where(RollSupplement.assembly_id == s.assembly_id))
    supplement.state, supplement.log_from = "certified", 0  # someone with write access to the database
    s.db.commit()
    status, answer = s.cast(s.ballot("1-101", choices(s), member=supplement.member))
    assert status == 403, answer
