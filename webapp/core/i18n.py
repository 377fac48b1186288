from __future__ import annotations

from flask_babel import get_locale


def is_chinese() -> bool:
    locale = get_locale()
    return locale is None or locale.language == "zh"


def colon() -> str:
    """The colon after a label: full-width in Chinese (联系人：), a colon and a space in English."""
    return "：" if is_chinese() else ": "


def pick(obj) -> str:
    """The message of an error that carries both languages (``zh`` and ``en``), in the reader's."""
    return obj.zh if is_chinese() else obj.en


class Bilingual:
    """Words given in both languages at once (as errors carry them); ``str()`` is the reader's."""

    __slots__ = ("zh", "en")

    def __init__(self, zh: str, en: str):
        self.zh, self.en = zh, en

    def __str__(self) -> str:
        return pick(self)
