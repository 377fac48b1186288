from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from crypto.petition import MAX_SUBJECT, MAX_TEXT


class StartForm(FlaskForm):
    """An owner's petition for an extraordinary meeting: what it is to decide, and why."""

    subject = StringField(
        _l("What the extraordinary meeting is to decide"),
        validators=[DataRequired(message=_l("Say what the meeting is to decide.")), Length(max=MAX_SUBJECT)],
    )
    text = TextAreaField(_l("Why (optional): the reasons and the proposal owners sign"), validators=[Optional(), Length(max=MAX_TEXT)])
    category = SelectField(_l("Kind of matter (Civil Code Art. 278)"), coerce=int, default=9)
