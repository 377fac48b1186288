"""Owners petition for an extraordinary meeting (issue 21, item 1): started and signed on phones,
counted by the tally's rules, succeeding (the committee and supervisors told, the deadline, a
draft) or lapsing, and exported for `ownersvote verify-petition`."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import func, select

from crypto import petition as cp
from tests.factories import text_of


def count(db, model, *where) -> int:
    return db.scalar(select(func.count()).select_from(model).where(*where))


def test_two_small_households_reach_the_heads_but_not_the_area_and_a_third_reaches_both(world):
    for label in ("1-101", "1-102", "1-201"):
        world.register(label)
    petition = world.start("1-101")
    assert petition.state == "open"
    assert (petition.total_heads, petition.total_area_centi, petition.member_count) == (8, 92000, 8)
    assert world.sign(petition, world.body(petition, "1-101"))[0] == 201
    assert world.sign(petition, world.body(petition, "1-102"))[0] == 201
    petition = world.latest()
    assert (petition.signed_heads, petition.signed_area_centi, petition.state) == (2, 12000, "open")
    page = text_of(world.client.get(f"/p/qingyuan/petitions/{petition.seq}"))
    assert "120.00 m²" in page
    assert "占总面积 920.00 平方米的 13.04%" in page
    # Each bar is said in words: it runs to the share needed (184 m², 2 owners), not to the whole.
    html = world.client.get(f"/p/qingyuan/petitions/{petition.seq}").get_data(as_text=True)
    area_card = html[html.index('id="progress-area"') : html.index('id="progress-heads"')]
    assert 'progress class="quorum"' in area_card
    assert '<span class="nowrap">120.00 m²</span>' in area_card  # the unit never wraps alone onto a line
    assert "已达所需面积的 65%" in page
    assert "已达所需人数的 100%" in page
    code, answer = world.sign(petition, world.body(petition, "1-201"))
    assert code == 201, answer
    assert answer["state"] == "succeeded"
    assert world.latest().signed_area_centi == 22000


def test_an_owner_of_two_units_counts_once_with_both_areas(world):
    world.register("2-201")
    petition = world.start("2-201")
    assert world.sign(petition, world.body(petition, "2-201"))[0] == 201
    petition = world.latest()
    assert (petition.signed_area_centi, petition.signed_heads) == (20000, 1)
    shown = cp.Progress(20000, 1, 92000, 8, 20, 20)
    assert shown.area_met
    assert not shown.heads_met
    assert petition.state == "open"


def test_the_developers_unsold_units_are_one_member_on_the_list(world):
    world.register("1-101")
    petition = world.start("1-101")
    developer = [m for m in petition.members if m.member_ref == "developer"]
    assert len(developer) == 1
    assert (developer[0].area_centi, developer[0].heads) == (20000, 1)


def test_co_owners_are_one_member_and_only_their_representative_signs(world):
    world.register("1-101")
    world.register("2-101", "陈静")
    world.register("2-101", "刘洋")
    petition = world.start("1-101")
    code, answer = world.sign(petition, world.body(petition, "刘洋", member=world.member_of(petition, "陈静")))
    assert code == 403
    assert "代表本户表决" in answer["error"]
    assert world.sign(petition, world.body(petition, "陈静"))[0] == 201
    assert world.latest().signed_heads == 1


def test_when_both_shares_are_reached_the_committee_and_supervisors_are_told_the_deadline_starts_and_a_draft_is_prepared(world):
    from webapp.assemblies.models import Assembly
    from webapp.audit.models import AuditEvent
    from webapp.auth.models import StaffNotice
    from webapp.owners.models import Notification

    for label in ("1-101", "1-102", "1-201"):
        world.register(label)
    petition = world.start("1-101", subject="更换物业服务企业", text="服务质量长期不达标。", category=4)
    for label in ("1-101", "1-102", "1-201"):
        world.sign(petition, world.body(petition, label))
    petition = world.latest()
    assert petition.state == "succeeded"
    assert petition.convene_by - petition.succeeded_at == timedelta(days=15)
    draft = world.db.get(Assembly, petition.assembly_id)
    assert draft.state == "draft"
    assert draft.kind == "extraordinary"
    assert [(i.form, i.category, i.title) for i in draft.items] == [("resolution", 4, "更换物业服务企业")]
    told = {n.user_id for n in world.db.scalars(select(StaffNotice).where(StaffNotice.estate_id == world.estate.id))}
    assert told == {world.staff["organiser"].id, world.staff["supervisor"].id}
    assert count(world.db, Notification, Notification.kind == "petition") == 2 * 3  # started, succeeded; three owners
    assert count(world.db, AuditEvent, AuditEvent.action == "petition.succeed") == 1
    world.as_staff("organiser")
    overview = text_of(world.client.get("/e/qingyuan/"))
    assert "已达到面积和人数比例" in overview
    assert "更换物业服务企业" in text_of(world.client.get("/e/qingyuan/petitions"))
    page = text_of(world.client.get(f"/p/qingyuan/petitions/{petition.seq}"))
    assert "业主委员会应当在" in page or "must convene" in page or "组织召开" in page


def test_the_estates_convene_days_set_the_deadline(world):
    world.estate.petition_convene_days = 10
    world.db.commit()
    for label in ("1-201", "1-202"):
        world.register(label)
    petition = world.start("1-201")
    for label in ("1-201", "1-202"):
        world.sign(petition, world.body(petition, label))
    petition = world.latest()
    assert petition.state == "succeeded"
    assert petition.convene_by - petition.succeeded_at == timedelta(days=10)


def test_a_petition_whose_window_ends_before_both_shares_lapses_and_its_page_says_so(world):
    from webapp.petitions.models import PetitionTreeHead

    world.register("1-101")
    petition = world.start("1-101")
    world.sign(petition, world.body(petition, "1-101"))
    world.later(days=31)
    page = text_of(world.client.get(f"/p/qingyuan/petitions/{petition.seq}"))
    assert "提议已失效" in page or "lapsed" in page
    petition = world.latest()
    assert petition.state == "lapsed"
    assert (
        world.db.scalars(select(PetitionTreeHead).where(PetitionTreeHead.petition_id == petition.id).order_by(PetitionTreeHead.n.desc()))
        .first()
        .final
    )
    assert petition.assembly_id is None


def test_the_public_page_shows_both_shares_and_an_owner_of_the_estate_gets_the_sign_button(world):
    world.register("1-101")
    petition = world.start("1-101")
    response = world.client.get(f"/p/qingyuan/petitions/{petition.seq}")
    page = response.get_data(as_text=True)
    assert 'data-action="sign-petition"' in page
    assert f'data-member="{world.member_of(petition, "1-101")}"' in page
    assert f'data-digest="{petition.digest}"' in page
    world.post("/logout")
    public = text_of(world.client.get(f"/p/qingyuan/petitions/{petition.seq}"))
    assert "20%" in public
    assert "184.00" in public  # the area the share needs, exactly
    assert 'data-action="sign-petition"' not in world.client.get(f"/p/qingyuan/petitions/{petition.seq}").get_data(as_text=True)


def test_the_phone_signs_the_digest_of_the_document_it_is_served(world):
    world.register("1-101")
    petition = world.start("1-101")
    served = world.client.get(f"/p/qingyuan/petitions/{petition.seq}.json").get_json()
    assert cp.petition_digest(served) == petition.digest


def test_the_exported_petition_verifies_offline_and_a_tampered_copy_fails(world, tmp_path):
    for label in ("1-101", "1-102", "1-201"):
        world.register(label)
    petition = world.start("1-101")
    codes = [world.sign(petition, world.body(petition, label))[1]["code"] for label in ("1-101", "1-102", "1-201")]
    export = json.loads(world.client.get(f"/p/qingyuan/petitions/{petition.seq}/export.json").data)
    receipt = world.client.get(f"/p/qingyuan/petitions/{petition.seq}/receipt/{codes[0]}.json").get_json()
    checked = cp.verify_export(export, [receipt])
    assert (checked.state, checked.signatures, checked.progress.heads, checked.progress.area) == ("succeeded", 3, 3, 22000)
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    good.write_text(json.dumps(export, ensure_ascii=False))
    export["members"][0]["area"] = "999.00"
    bad.write_text(json.dumps(export, ensure_ascii=False))
    assert cp.main([str(good)]) == 0
    assert cp.main([str(bad)]) == 1


def test_another_estates_staff_do_not_find_the_staff_list(world, make_estate, make_staff):
    other = make_estate("beiyuan", "北苑小区")
    make_staff("org-b", estate=other, role="organiser")
    world.as_staff("org-b")
    assert world.client.get("/e/qingyuan/petitions").status_code == 404
