from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=120)], render_kw={"autocomplete": "username"})
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)], render_kw={"autocomplete": "current-password"})


class StaffForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=120)])
    display_name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    password = PasswordField(_l("Initial password"), validators=[DataRequired(), Length(min=10, max=200)], render_kw={"autocomplete": "new-password"})
    platform_admin = BooleanField(_l("Platform administrator"))


class RoleForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=120)])
    role = SelectField(_l("Role"), choices=[SelectChoice("organiser", _l("Organiser")), SelectChoice("supervisor", _l("Supervisor"))])
