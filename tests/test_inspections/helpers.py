"""What the inspection tests share: the two firms, and recording an inspection or a notice through
the supervisor's page endpoints, and the ``world`` fixture (conftest.py names it here, and so do
the district's tests)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from crypto.keys import generate_ed25519
from tests.factories import LINUX_UA, csrf_of, inspection_document, notice_document, post_signed
from webapp.core.db import db
from webapp.devices import operations as device_ops
from webapp.firms.operations import assign_estate, create_account, create_firm
from webapp.inspections import operations as ops
from webapp.inspections.models import Inspection, RectificationNotice
from webapp.inspections.standard import STANDARD_FORM

FIRM = ("绿苑物业服务有限公司", "91330100MA2H3K7Q42")
OTHER_FIRM = ("杭州秋实物业管理有限公司", "91330100MA2KD91L20")


def draft_of(client, world, estate=None) -> dict:
    estate = estate or world["estate"]
    return client.get(f"/e/{estate.slug}/inspections/draft/{world['form'].id}.json").get_json()


def inspect(client, login, world, scores=None, photos=(), who="supervisor", **changes):
    """Log in as ``who``, record an inspection of the estate through the page's endpoint."""
    login(who)
    csrf = csrf_of(client, "/e/lvyuan/inspections/new")
    document = inspection_document(draft_of(client, world), world["signers"][who], scores, photos=[p for p, _ in photos], **changes)
    return post_signed(client, "/e/lvyuan/inspections", csrf, document, world["signers"][who], photos=list(photos)), document


def recorded(client, login, world, scores=None, photos=()) -> Inspection:
    response, _doc = inspect(client, login, world, scores, photos)
    assert response.status_code == 200, response.get_data(as_text=True)
    return db.session.scalar(select(Inspection).order_by(Inspection.id.desc()))


def issued(client, world, inspection, **changes) -> RectificationNotice:
    csrf = csrf_of(client, f"/e/lvyuan/inspections/{inspection.id}")
    day = world["today"]
    document = notice_document(
        inspection, world["signers"]["supervisor"], day=day.isoformat(), deadline=(day + timedelta(days=7)).isoformat(), **changes
    )
    response = post_signed(client, f"/e/lvyuan/inspections/{inspection.id}/notices", csrf, document, world["signers"]["supervisor"])
    assert response.status_code == 200, response.get_data(as_text=True)
    return db.session.scalar(select(RectificationNotice).order_by(RectificationNotice.id.desc()))


def ranking_by_inspections(world, admin, *, score_percent: int = 0):
    """A rule weighing inspections (alone, or beside the owners' score), and a ranking of this
    month under it, published now."""
    from webapp.core.db import utcnow
    from webapp.core.serverkey import signer
    from webapp.rankings import operations as rankings

    fields = rankings.RuleFields(
        code="with-inspections",
        title="检查考核为主的考评规则",
        score_percent=score_percent,
        satisfaction_percent=0,
        inspections_percent=100 - score_percent,
        satisfied_at=60,
        pass_mark=60,
        red_mark=85,
    )
    rule = rankings.publish_rule(fields, signer=signer(), actor=admin)
    today = world["today"]
    period = rankings.period_of("本月", today.replace(day=1), today + timedelta(days=1), "Asia/Shanghai")
    return rankings.publish_now(rule, period, actor=admin, server=signer(), base_url="http://x", now=utcnow())


@pytest.fixture
def world(app, estate, staff, make_estate, make_staff, db_session, client, login):
    """The estate (served by 绿苑物业) with its supervisors, each with a signing key; another estate
    served by another firm, with a supervisor of its own; the standard form; a login per firm."""
    firm = create_firm(name=FIRM[0], uscc=FIRM[1], actor="test")
    assign_estate(firm, estate, date(2025, 1, 1), actor="test")
    other_estate = make_estate("qiushi", "秋实苑")
    other_firm = create_firm(name=OTHER_FIRM[0], uscc=OTHER_FIRM[1], actor="test")
    assign_estate(other_firm, other_estate, date(2025, 1, 1), actor="test")
    other_supervisor = make_staff("sup-qiushi", estate=other_estate, role="supervisor")
    signers = {}
    for name, user in (("supervisor", staff["supervisor"]), ("supervisor2", staff["supervisor2"]), ("sup-qiushi", other_supervisor)):
        signers[name] = generate_ed25519()
        device_ops.add_device_key(jwk=signers[name].jwk, label=LINUX_UA, staff=user)
    form = ops.publish_form(dict(STANDARD_FORM), actor="test")
    create_account(firm, username="lvyuan-pm", display_name="绿苑物业 项目经理 孙志强", password="firm password 1", actor="test")
    create_account(other_firm, username="qiushi-pm", display_name="秋实物业 经理 赵丽华", password="firm password 2", actor="test")
    db_session.commit()
    return {
        "estate": estate,
        "other_estate": other_estate,
        "firm": firm,
        "other_firm": other_firm,
        "form": form,
        "signers": signers,
        "staff": staff,
        "today": ops.today_in(estate),
    }
