"""The inspection tests' world: an estate served by a firm, its supervisors with signing keys,
another estate served by another firm, the standard form, a login per firm."""

from __future__ import annotations

from datetime import date

import pytest

from crypto.keys import generate_ed25519
from tests.factories import LINUX_UA
from webapp.devices import operations as device_ops
from webapp.firms.operations import assign_estate, create_account, create_firm
from webapp.inspections import operations as ops
from webapp.inspections.standard import STANDARD_FORM

from .helpers import FIRM, OTHER_FIRM


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
