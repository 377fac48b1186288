"""The strict Content-Security-Policy holds only if no template carries inline code or style."""

import re
from pathlib import Path

import pytest

TEMPLATES = sorted((Path(__file__).resolve().parents[2] / "webapp").rglob("templates/**/*.html"))


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(p.parents[2])))
def test_templates_have_no_inline_script_style_or_handler(template):
    text = template.read_text()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), "inline <script>"
    assert "<style" not in text, "inline style"
    assert not re.search(r"\sstyle=", text), "inline style"
    assert not re.search(r"\son[a-z]+=", text), "inline event handler"
    assert "javascript:" not in text


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(p.parents[2])))
def test_a_translated_label_is_followed_by_the_readers_colon_not_an_ascii_one(template):
    # "统一社会信用代码: …" on a Chinese page: the label's colon comes from colon() (full width
    # in Chinese), as the phone walk of 2026-12-07 found it missing in a dozen places.
    assert not re.search(r"\}\}: (\{\{|<)", template.read_text()), "use {{ colon() }} after a translated label"
