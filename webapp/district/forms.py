from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import Length, Optional


class EstateAreaForm(FlaskForm):
    estate = SelectField(_l("Estate"), coerce=int)
    district = StringField(_l("District (区)"), validators=[Optional(), Length(max=100)])
    sub_district = StringField(_l("Sub-district (街道)"), validators=[Optional(), Length(max=100)])


class StaffAreaForm(FlaskForm):
    staff = SelectField(_l("Staff member"), coerce=int)
    district = StringField(_l("District overseen (empty: none)"), validators=[Optional(), Length(max=100)])
    sub_district = StringField(_l("Sub-district overseen (empty: the whole district)"), validators=[Optional(), Length(max=100)])
