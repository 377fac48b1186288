from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional


class EstateForm(FlaskForm):
    slug = StringField(_l("Short name (for addresses)"), validators=[DataRequired(), Length(max=63)])
    name = StringField(_l("Estate name"), validators=[DataRequired(), Length(max=200)])


class EstateSettingsForm(FlaskForm):
    name = StringField(
        _l("Estate name"),
        validators=[DataRequired(message=_l("Enter the estate's name.")), Length(max=200, message=_l("The estate's name can have at most 200 characters."))],
    )
    # InputRequired, not DataRequired: 0 is an answer, and out of range (say so, not "required").
    roll_signatures_required = IntegerField(
        _l("Supervisor signatures a roll or tally needs"),
        validators=[InputRequired(message=_l("Enter a number from 1 to 9.")), NumberRange(min=1, max=9, message=_l("Enter a number from 1 to 9."))],
        render_kw={"inputmode": "numeric"},
    )
    sms_required = BooleanField(_l("Also check the registry's mobile number with a text message at registration"))
    letter_valid_days = IntegerField(
        _l("Days a QR letter stays valid"),
        validators=[InputRequired(message=_l("Enter a number of days from 1 to 365.")), NumberRange(min=1, max=365, message=_l("Enter a number of days from 1 to 365."))],
        render_kw={"inputmode": "numeric"},
    )
    organiser_label = StringField(_l("Who sends the letters (e.g. the preparatory group)"), validators=[Optional(), Length(max=200)])
    help_text = StringField(_l("Where owners get help (printed on letters)"), validators=[Optional(), Length(max=300)])
    counting_rule = TextAreaField(_l("The estate's own counting rule, if its rules of procedure set one"), validators=[Optional(), Length(max=2000)])
