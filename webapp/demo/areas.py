"""The demo district's areas: its estates in 西湖区, four in 翠湖街道 (among them the one a 物管会
organises and the one without a firm) and one in 文新街道; the sub-district's staff member (the
demo's second supervisor, of 翠湖街道办事处) oversees 翠湖街道, the platform admin sees all.  So the
district view (/district) shows something worth reading."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from webapp.auth.operations import find_staff
from webapp.core.db import db, utcnow
from webapp.district import operations as district
from webapp.estates.models import Estate
from webapp.estates.operations import get_estate

DISTRICT = "西湖区"
SUB_DISTRICT = "翠湖街道"
AREAS = {"demo": SUB_DISTRICT, "chunhui": SUB_DISTRICT, "xiahe": SUB_DISTRICT, "dongqing": SUB_DISTRICT, "qiushi": "文新街道"}
OVERSEER = "supervisor2"  # 翠湖街道办事处 陈立新
# The demo's estates joined the platform two years ago (their firms and committees go back that
# far), so that the figures month by month have a history to draw.
ON_PLATFORM_FOR = timedelta(days=730)


def build(admin) -> None:
    joined = utcnow() - ON_PLATFORM_FOR
    for slug, sub in AREAS.items():
        estate = get_estate(slug)
        if estate is None:
            continue
        district.set_estate_area(estate, DISTRICT, sub, actor=admin)
        db.session.execute(update(Estate).where(Estate.id == estate.id).values(created_at=joined))
    overseer = find_staff(OVERSEER)
    if overseer is not None:
        district.set_staff_area(overseer, DISTRICT, SUB_DISTRICT, actor=admin)
    db.session.flush()
