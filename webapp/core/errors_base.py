"""The one kind of error a person is shown: it carries its message in Chinese and in English,
so the view picks the reader's language (``webapp.core.i18n.pick``) and the CLI prints both."""

from __future__ import annotations


class UserError(ValueError):
    def __init__(self, zh: str, en: str):
        super().__init__(en)
        self.zh, self.en = zh, en
