from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length


class AnswerForm(FlaskForm):
    text = TextAreaField(
        _l("The firm's answer"),
        validators=[DataRequired(message=_l("Write the answer.")), Length(max=2000, message=_l("At most 2000 characters."))],
        render_kw={"rows": 5},
    )
