from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional


class FirmForm(FlaskForm):
    name = StringField(_l("Firm name"), validators=[DataRequired(), Length(max=200)])
    uscc = StringField(_l("Unified social credit code"), validators=[DataRequired(), Length(min=18, max=18)])
    contact_name = StringField(_l("Contact person"), validators=[Optional(), Length(max=100)])
    contact_phone = StringField(_l("Contact phone"), validators=[Optional(), Length(max=40)])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=300)])


class AssignForm(FlaskForm):
    estate = SelectField(_l("Estate"), coerce=int)
    since = DateField(_l("Serves from"), validators=[DataRequired()])


class AccountForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=120)], render_kw={"autocomplete": "off"})
    display_name = StringField(
        _l("Real name (the estate's staff read it with the firm's answers)"),
        validators=[DataRequired(), Length(max=200)],
        render_kw={"autocomplete": "off"},
    )
    password = PasswordField(
        _l("Initial password"), validators=[DataRequired(), Length(min=10, max=200)], render_kw={"autocomplete": "new-password"}
    )


class ReasonForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=500)])
