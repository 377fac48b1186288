"""The owner's ballot page as the server renders it: what each choice offers and the way to the
notice."""

from __future__ import annotations

import re

from tests.factories import TITLES


def ballot_page(s) -> str:
    return s.client.get(f"/me/a/{s.assembly_id}/ballot").get_data(as_text=True)


def test_the_ballot_gives_each_candidates_statement_and_each_firms_terms_under_the_choice(voting):
    s = voting
    s.sign_in("1-101")
    page = ballot_page(s)
    for words in ("张三的竞选陈述", "李四的竞选陈述", "24小时保安，电梯维保。"):
        assert re.search(r'<div class="proposal option-about">\s*<p class="pre">' + re.escape(words) + "</p>", page), words
    # Beside the label, never inside it: reading what a choice offers ticks nothing.
    for label in re.findall(r"<label\b.*?</label>", page, re.S):
        assert "竞选陈述" not in label
        assert "电梯维保" not in label
    election = page.index(f'data-title="{TITLES["election"]}"')
    firm = page.index(f'data-title="{TITLES["firm"]}"')
    assert election < page.index("张三的竞选陈述") < firm < page.index("24小时保安，电梯维保。")


def test_the_ballot_links_the_meeting_notice(voting):
    s = voting
    s.sign_in("1-101")
    page = ballot_page(s)
    link = re.search(r'<a class="button" id="notice-link" data-keeps-draft href="([^"]+)">([^<]+)</a>', page)
    assert link, page
    assert link.group(1) == f"/p/{s.estate.slug}/a/{s.assembly_id}"
    assert link.group(2) == "阅读会议公告"
