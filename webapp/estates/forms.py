from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional


class EstateForm(FlaskForm):
    slug = StringField(_l("Short name (for addresses)"), validators=[DataRequired(), Length(max=63)])
    name = StringField(_l("Estate name"), validators=[DataRequired(), Length(max=200)])


class EstateSettingsForm(FlaskForm):
    name = StringField(_l("Estate name"), validators=[DataRequired(), Length(max=200)])
    roll_signatures_required = IntegerField(_l("Supervisor signatures a roll or tally needs"), validators=[DataRequired(), NumberRange(min=1, max=9)])
    sms_required = BooleanField(_l("Also check the registry's mobile number with a text message at registration"))
    letter_valid_days = IntegerField(_l("Days a QR letter stays valid"), validators=[DataRequired(), NumberRange(min=1, max=365)])
    organiser_label = StringField(_l("Who sends the letters (e.g. the preparatory group)"), validators=[Optional(), Length(max=200)])
    help_text = StringField(_l("Where owners get help (printed on letters)"), validators=[Optional(), Length(max=300)])
    counting_rule = TextAreaField(_l("The estate's own counting rule, if its rules of procedure set one"), validators=[Optional(), Length(max=2000)])
