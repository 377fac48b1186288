from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length

from webapp.core.forms import PageForm


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=120)], render_kw={"autocomplete": "username"})
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)], render_kw={"autocomplete": "current-password"})


class StaffForm(FlaskForm):
    username = StringField(
        _l("Username"),
        validators=[
            DataRequired(message=_l("Enter a username.")),
            Length(max=120, message=_l("The username can have at most 120 characters.")),
        ],
        render_kw={"autocomplete": "off"},
    )
    display_name = StringField(
        _l("Real name (owners see it on the roll)"),
        validators=[
            DataRequired(message=_l("Enter the person's real name: owners read it on the public roll.")),
            Length(max=200, message=_l("The name can have at most 200 characters.")),
        ],
        render_kw={"autocomplete": "off"},
    )
    password = PasswordField(
        _l("Initial password"),
        validators=[
            DataRequired(message=_l("Enter an initial password.")),
            Length(min=10, max=200, message=_l("The initial password needs 10 to 200 characters.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    platform_admin = BooleanField(_l("Platform administrator"))


class RoleForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=120)])
    role = SelectField(_l("Role"), choices=[SelectChoice("organiser", _l("Organiser")), SelectChoice("supervisor", _l("Supervisor"))])


class ReasonForm(PageForm):
    """One action with a written reason; the page gives each such form its own prefix."""

    reason = StringField(
        _l("Written reason"),
        validators=[
            DataRequired(message=_l("A written reason is required.")),
            Length(max=500, message=_l("The reason can have at most 500 characters.")),
        ],
    )


class PasswordForm(FlaskForm):
    current = PasswordField(
        _l("Current password"),
        validators=[DataRequired(message=_l("Enter your current password.")), Length(max=200)],
        render_kw={"autocomplete": "current-password"},
    )
    new = PasswordField(
        _l("New password (at least 10 characters)"),
        validators=[
            DataRequired(message=_l("Enter a new password.")),
            Length(min=10, max=200, message=_l("The new password needs 10 to 200 characters.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    again = PasswordField(
        _l("New password again"),
        validators=[DataRequired(message=_l("Enter the new password again.")), EqualTo("new", message=_l("The two new passwords differ."))],
        render_kw={"autocomplete": "new-password"},
    )


class IdentityForm(FlaskForm):
    id_number = StringField(
        _l("Resident ID number (kept only as a keyed hash, to know whether a supervisor voted as an owner)"),
        validators=[DataRequired(message=_l("Enter the 18-character resident ID number.")), Length(max=40)],
        render_kw={"autocomplete": "off", "inputmode": "text"},
    )
