from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import StringField


class UploadForm(FlaskForm):
    file = FileField(
        _l("Registry file (CSV or XLSX)"),
        validators=[FileRequired(), FileAllowed(["csv", "xlsx", "txt"], _l("Only CSV or XLSX files are accepted."))],
    )


class ConfirmForm(FlaskForm):
    pass


class ApplyForm(ConfirmForm):
    # Typed only when the import removes many units (webapp.registry.importing.Removal).
    removal_confirmation = StringField(_l("Number of units to be removed"), render_kw={"inputmode": "numeric", "autocomplete": "off"})

    def typed_removal(self) -> int | None:
        text = "".join((self.removal_confirmation.data or "").split()).replace(",", "").replace("，", "")
        return int(text) if text.isdigit() else None
