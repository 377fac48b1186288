from __future__ import annotations

from webapp.core.forms import PageForm


class RetryForm(PageForm):
    """Retry a failed job: the button and its CSRF token."""
