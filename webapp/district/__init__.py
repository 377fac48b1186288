"""The district view (区域总览): every estate of a district or sub-district with its firm and
latest score, its assemblies and their turnout so far, its last result; the figures the districts
report upward over time, as a chart and an Excel workbook.  District and sub-district staff see
their own area; platform admins see all."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from webapp.audit import labels as audit_labels
from webapp.core.roles import is_staff
from webapp.district import operations
from webapp.district.routes import bp

AUDIT_ACTIONS = {
    "district.estate_area": _l("Recorded an estate's district and sub-district"),
    "district.staff_area": _l("Recorded the area a staff member oversees"),
}


def can_see_district() -> bool:
    return is_staff() and operations.can_see(current_user)


def init_app(app: Flask) -> None:
    audit_labels.register_actions(AUDIT_ACTIONS)
    app.config.setdefault("OWNERSVOTE_DISTRICT_TIMEZONE", "Asia/Shanghai")
    app.jinja_env.globals["can_see_district"] = can_see_district
    app.register_blueprint(bp)
