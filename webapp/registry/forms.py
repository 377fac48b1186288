from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired


class UploadForm(FlaskForm):
    file = FileField(
        _l("Registry file (CSV or XLSX)"),
        validators=[FileRequired(), FileAllowed(["csv", "xlsx", "txt"], _l("Only CSV or XLSX files are accepted."))],
    )


class ConfirmForm(FlaskForm):
    pass
