from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

KIND_CHOICES = [
    ("committee", _l("Owners' committee (业主委员会)")),
    ("preparatory", _l("Preparatory group of the first assembly (筹备组)")),
    ("management", _l("Property management committee formed by the sub-district (物管会)")),
]


class BodyForm(FlaskForm):
    # The operation refuses an unknown kind with its reason (validate_choice would say only "not a valid choice").
    kind = SelectField(_l("Which body organises"), choices=KIND_CHOICES, validate_choice=False)
    title = StringField(_l("Its name as printed, if more than the kind (e.g. 第三届业主委员会)"), validators=[Optional(), Length(max=200)])
    members = TextAreaField(_l("Members, one a line: name, then post (e.g. 王建华 主任)"), validators=[Optional(), Length(max=4000)])
    term_start = DateField(_l("Term begins"), validators=[Optional()])
    term_end = DateField(
        _l("Term ends"),
        description=_l("Required for a committee (at most five years). The supervisors are reminded months before it."),
        validators=[Optional()],
    )
    basis = TextAreaField(
        _l("On what basis (the filing, or the sub-district's decision and its number)"), validators=[Optional(), Length(max=2000)]
    )
