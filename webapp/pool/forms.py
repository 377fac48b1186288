from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from webapp.core.forms import PageForm


class ProfileForm(PageForm):
    contact_name = StringField(_l("Contact person"), validators=[Optional(), Length(max=100)])
    contact_phone = StringField(
        _l("Contact phone"),
        description=_l("A mobile number, a landline with its area code (0571-87654321) or a 400/800 number."),
        validators=[Optional(), Length(max=40)],
    )
    address = StringField(_l("Address"), validators=[Optional(), Length(max=300)])
    qualifications = TextAreaField(_l("Qualifications"), validators=[Optional(), Length(max=4000)])
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=4000)])


class TermForm(PageForm):
    """The day the firm enters (or leaves) the pool, and why."""

    on = DateField(_l("Date"), validators=[Optional()])
    reason = StringField(_l("Reason"), validators=[Optional(), Length(max=500)])


class FirmInterestForm(PageForm):
    """A platform admin records, for the firm, an estate without a firm it would serve.  The
    operation, not the list, decides whether the estate may be chosen (and says why not)."""

    estate = SelectField(_l("Estate without a firm"), coerce=int, validate_choice=False)
