from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional


class DisclosureForm(FlaskForm):
    # The operation refuses an unknown kind with its reason.
    kind = HiddenField()
    title = StringField(_l("Title (empty: made from the kind and period)"), validators=[Optional(), Length(max=200)])
    period_from = DateField(_l("Period: first day"), validators=[Optional()])
    period_until = DateField(_l("Period: last day"), validators=[Optional()])
    text = TextAreaField(_l("Text (the service standard, or notes on the statement)"), validators=[Optional(), Length(max=20000)])
    lines = TextAreaField(_l("Lines, one a line"), validators=[Optional(), Length(max=20000)])
    income = TextAreaField(
        _l("Income, one a line: name, then the amount in yuan (e.g. 广告位出租 12000.00)"), validators=[Optional(), Length(max=20000)]
    )
    expense = TextAreaField(
        _l("Expense, one a line: name, then the amount in yuan, then an optional note"), validators=[Optional(), Length(max=20000)]
    )
    # Typed, not computed: the totals check what was typed line by line.
    total_income = StringField(_l("Total income (yuan)"), validators=[Optional(), Length(max=30)], render_kw={"inputmode": "decimal"})
    total_expense = StringField(_l("Total expense (yuan)"), validators=[Optional(), Length(max=30)], render_kw={"inputmode": "decimal"})


class AttachForm(FlaskForm):
    item = SelectField(_l("Agenda item that decides on it"), coerce=int, validate_choice=False)
