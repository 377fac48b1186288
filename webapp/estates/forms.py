from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length


class EstateForm(FlaskForm):
    slug = StringField(_l("Short name (for addresses)"), validators=[DataRequired(), Length(max=63)])
    name = StringField(_l("Estate name"), validators=[DataRequired(), Length(max=200)])
