from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, Regexp


class RuleForm(FlaskForm):
    code = StringField(
        _l("Code (a-z, 0-9, - and _; a new version when it exists)"),
        validators=[DataRequired(), Length(max=40), Regexp(r"^[a-z0-9_-]+$", message=_l("Use a-z, 0-9, - and _ only."))],
    )
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    score_percent = IntegerField(_l("Weight of the owners' evaluation score (%)"), default=70, validators=[InputRequired()])
    satisfaction_percent = IntegerField(_l("Weight of the owners' satisfaction rate (%)"), default=30, validators=[InputRequired()])
    inspections_percent = IntegerField(_l("Weight of the supervisors' inspections score (%)"), default=0, validators=[Optional()])
    satisfied_at = IntegerField(_l("Answers worth at least this many points count as satisfied"), default=60, validators=[InputRequired()])
    pass_mark = IntegerField(_l("Pass mark (of 100)"), default=60, validators=[InputRequired()])
    red_mark = IntegerField(_l("Red-list mark (of 100)"), default=85, validators=[InputRequired()])
    fail_periods = IntegerField(_l("Consecutive failing periods before the owners re-select"), default=2, validators=[InputRequired()])


class RankingForm(FlaskForm):
    rule = SelectField(_l("Rule"), coerce=int)
    title = StringField(_l("Period"), validators=[DataRequired(), Length(max=200)])
    start = DateField(_l("From"), validators=[DataRequired()])
    until = DateField(_l("Until (not included)"), validators=[DataRequired()])
