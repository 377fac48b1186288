"""Fixtures shared by the web application's tests."""

from __future__ import annotations

import pytest

from crypto.keys import generate_ed25519
from webapp.devices import operations as device_ops

UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chromium/126.0.0.0 Chrome/126.0.0.0 Safari/537.36"


@pytest.fixture
def people(make_estate, make_staff, db_session):
    estate = make_estate("lvyuan", "绿苑小区")
    admin = make_staff("root", name="区住建局 周建国", admin=True)
    supervisor = make_staff("sup", name="居委会 王敏", estate=estate, role="supervisor")
    organiser = make_staff("org", name="筹备组 林晓燕", estate=estate, role="organiser")
    keys = [device_ops.add_device_key(jwk=generate_ed25519().jwk, label=UA, staff=supervisor) for _ in range(2)]
    db_session.commit()
    return {"estate": estate, "admin": admin, "supervisor": supervisor, "organiser": organiser, "keys": keys}
