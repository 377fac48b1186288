from __future__ import annotations

from webapp.core.errors_base import UserError


class ResultsError(UserError):
    pass
