"""The demo's inspections (webapp/demo/inspections.py): the standard form is a valid form, and the
demo's inspections, notice, answer and follow-up go through the operations and verify."""

from __future__ import annotations

from sqlalchemy import select

from crypto import inspection as fmt
from webapp.demo import inspections as demo
from webapp.demo.evaluations import demo_firm
from webapp.inspections import operations as ops
from webapp.inspections.models import FirmAnswer, Inspection, RectificationNotice
from webapp.inspections.standard import STANDARD_FORM


def test_the_standard_form_names_the_weihai_sheets_items_and_its_weights_sum_to_100_percent():
    form = {**STANDARD_FORM, "type": fmt.FORM_TYPE, "v": 1, "version": 1}
    fmt.validate_form(form)
    texts = " ".join(item["text"] for item in fmt.form_items(form))
    for words in ("楼道保洁", "扶手", "公告栏", "绿化", "消防通道", "维修"):
        assert words in texts


def test_the_demo_inspects_issues_a_notice_the_firm_answers_and_a_followup_finds_two_of_three(app, estate, staff, db_session):
    demo_firm(estate, "test")
    demo.build(estate, staff, "test")
    db_session.commit()
    found = list(db_session.scalars(select(Inspection).order_by(Inspection.inspected_on)))
    assert len(found) == 3
    assert all(ops.checked(i).intact for i in found)
    notice = db_session.scalar(select(RectificationNotice))
    assert ops.checked(notice).intact
    assert (notice.items, notice.state, [f.rectified for f in notice.followups]) == (3, "open", [2])
    assert db_session.scalar(select(FirmAnswer)).text == demo.FIRM_ANSWER
    assert ops.in_period(found[0].inspected_on, found[-1].inspected_on) == found[:2]


def test_the_demos_poor_inspection_its_answer_and_followup_carry_photos_that_are_real_clean_images(app, estate, staff, db_session):
    from webapp.attachments.storage import read
    from webapp.inspections.photos import metadata_problem

    demo_firm(estate, "test")
    demo.build(estate, staff, "test")
    db_session.commit()
    poor = db_session.scalars(select(Inspection).order_by(Inspection.inspected_on)).all()[1]
    notice = db_session.scalar(select(RectificationNotice))
    answer = db_session.scalar(select(FirmAnswer))
    stored = {
        "inspection": ops.photos_of("inspection", poor.id),
        "answer": ops.photos_of("answer", answer.id),
        "followup": ops.photos_of("followup", notice.followups[0].id),
    }
    assert {kind: len(photos) for kind, photos in stored.items()} == {"inspection": 2, "answer": 1, "followup": 1}
    for photos in stored.values():
        for photo in photos:
            assert photo.content_type == "image/png"
            assert metadata_problem(read(photo.sha256), photo.content_type) is None
    assert sorted(ops.checked(poor).document["photos"]) == sorted(p.sha256 for p in stored["inspection"])
