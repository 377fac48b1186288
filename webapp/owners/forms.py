from __future__ import annotations

import unicodedata

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from webapp.core.forms import PageForm as FlaskForm


class CodeForm(FlaskForm):
    code = StringField(
        _l("Code on the letter"),
        validators=[DataRequired(), Length(max=40)],
        render_kw={"autocomplete": "off", "autocapitalize": "characters", "inputmode": "text"},
    )


def halfwidth(value):
    """Full-width letters and digits (１２００２Ｘ, typed by Chinese input methods) as the
    half-width ones they are, before any check looks at them."""
    return unicodedata.normalize("NFKC", value) if isinstance(value, str) else value


class IdentityForm(FlaskForm):
    name = StringField(
        _l("Your name, as on your ID card"), validators=[DataRequired(), Length(max=100)], render_kw={"autocomplete": "name"}
    )
    id_tail = StringField(
        _l("Last six characters of your ID number"),
        filters=[halfwidth],
        validators=[DataRequired(), Regexp(r"^\s*[0-9A-Za-z]{6}\s*$", message=_l("Enter exactly six characters, e.g. 12002X."))],
        render_kw={"autocomplete": "off", "maxlength": 6, "inputmode": "text"},
    )


class ReviewForm(FlaskForm):
    name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=100)])
    note = TextAreaField(
        _l("Tell the supervisors why your details differ (e.g. you bought the flat recently, or you act for the company that owns it)"),
        validators=[DataRequired(), Length(max=2000)],
    )


class PhoneForm(FlaskForm):
    phone = StringField(
        _l("Your mobile number in the registry"),
        filters=[halfwidth],
        validators=[DataRequired(), Regexp(r"^[\s\d+\-]{11,20}$", message=_l("Enter an 11-digit mobile number."))],
        render_kw={"autocomplete": "tel", "inputmode": "tel"},
    )


class NoticePhoneForm(FlaskForm):
    phone = StringField(
        _l("Mobile number for notice texts (leave empty for none)"),
        validators=[Optional(), Regexp(r"^[\s\d+\-]{11,20}$", message=_l("Enter an 11-digit mobile number."))],
        render_kw={"autocomplete": "tel", "inputmode": "tel"},
    )


class SmsCodeForm(FlaskForm):
    sms_code = StringField(
        _l("Code from the text message"),
        validators=[DataRequired(), Regexp(r"^\s*\d{6}\s*$", message=_l("Enter the six digits."))],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )


class IssueLettersForm(FlaskForm):
    building = SelectField(_l("Building"), validators=[Optional()], choices=[])
    units = StringField(_l("Or these units only (e.g. 3-1201, 3-1202)"), validators=[Optional(), Length(max=5000)])


class ReissueForm(FlaskForm):
    unit = StringField(_l("Unit (e.g. 3-1201)"), validators=[DataRequired(), Length(max=80)])
    reason = StringField(_l("Reason (e.g. lost phone, letter lost)"), validators=[DataRequired(), Length(max=500)])


class DecisionForm(FlaskForm):
    holder = SelectField(_l("Who is this person?"), choices=[], validators=[Optional()])
    as_developer = BooleanField(_l("Approve as the developer's representative (unsold or undelivered unit)"))
    reason = StringField(_l("Written reason (the owner will see it)"), validators=[DataRequired(), Length(max=1000)])


class RepresentativeForm(FlaskForm):
    holder = SelectField(_l("Who votes for the co-owners"), choices=[], validators=[DataRequired()])
    reason = StringField(_l("Reason (e.g. the co-owners' written choice)"), validators=[DataRequired(), Length(max=500)])
