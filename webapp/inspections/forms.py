from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import MultipleFileField, TextAreaField
from wtforms.validators import DataRequired, Length


class AnswerForm(FlaskForm):
    text = TextAreaField(
        _l("The firm's answer"),
        validators=[DataRequired(message=_l("Write the answer.")), Length(max=2000, message=_l("At most 2000 characters."))],
        render_kw={"rows": 5},
    )
    # Checked by the operation as the inspector's photos are (webapp.inspections.operations.answer);
    # the page's script re-draws each without its camera metadata before it is sent.
    photo = MultipleFileField(render_kw={"accept": "image/jpeg,image/png"})

    def _chosen(self) -> list:
        """The files chosen (a form sent without one has an empty part, which is no photo)."""
        return [f for f in self.photo.data or [] if getattr(f, "filename", "")]

    def chose_photos(self) -> bool:
        return bool(self._chosen())

    def photos(self) -> list[tuple[bytes, str]]:
        return [(f.read(), f.filename) for f in self._chosen()]
