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


#: A supervisor's certification page is about checking the bundle: its command line is its content.
_CHECKING_PAGES = {"results/certify.html"}


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(p.parents[2])))
def test_a_verifiers_command_line_on_a_page_is_folded_for_technical_readers(template):
    # An owner on a phone met "ownersvote verify-petition" and digests in the middle of a petition,
    # a result and the open accounts (the walk of 2026-12-07): they sit in a fold that says whom
    # it is for.
    if str(template.relative_to(template.parents[1])) in _CHECKING_PAGES:
        return
    text = template.read_text()
    text = re.sub(r"\{% call for_technical_readers\(\) %\}.*?\{% endcall %\}", "", text, flags=re.S)
    text = re.sub(r"<details\b.*?</details>", "", text, flags=re.S)
    assert "ownersvote verify" not in text, "put the command line in {% call for_technical_readers() %}"
