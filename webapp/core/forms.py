from __future__ import annotations

from flask import request
from flask_wtf import FlaskForm


class PageForm(FlaskForm):
    """A form that may share its page with others (each with its own prefix)."""

    def submit_ok(self) -> bool:
        """This form was the one posted, and it is valid."""
        if not self.is_submitted():
            return False
        names = [field.name for field in self if field.type != "CSRFTokenField"]
        return any(name in request.form for name in names) and self.validate()
