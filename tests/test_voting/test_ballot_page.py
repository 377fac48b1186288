"""The owner's ballot page as the server renders it: what each choice offers, the way to the
notice, and what comes next once voting has closed."""

from __future__ import annotations

import re
from datetime import timedelta

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


def test_a_ballot_refused_after_the_close_says_closed_in_a_word_the_phone_can_act_on(voting):
    s = voting
    body = s.ballot("1-101", {s.item_ids()[TITLES["statute"]]: "agree"})
    s.at(s.assembly.closes_at + timedelta(minutes=1))
    response = s.client.post(f"/api/v1/a/{s.assembly_id}/ballots", json=body)
    answer = response.get_json()
    assert response.status_code == 409, answer
    assert answer["reason"] == "closed"
    assert "截止" in answer["error"]


def test_the_closed_ballot_page_says_where_and_when_the_result_appears_with_the_links(voting):
    s = voting
    s.sign_in("1-101")
    assert 'data-action="ballot"' in ballot_page(s)  # voting opens
    s.at(s.assembly.closes_at + timedelta(minutes=1))
    s.sign_in("1-101")
    page = ballot_page(s)
    assert s.assembly.state == "closed"
    assert 'data-action="ballot"' not in page
    assert re.search(r"投票已于 [^<]+ 截止，不再接收选票。", page), page
    assert "组织者统计选票、监督员核证计票结果后，表决结果将在本次会议的页面上公布。" in page
    notice = f'href="/p/{s.estate.slug}/a/{s.assembly_id}">会议页面（表决结果将在这里公布）</a>'
    assert notice in page
    assert 'href="/me">我的页面</a>' in page


def test_my_page_names_the_assembly_the_frozen_roll_is_for(voting):
    """A phone walk read 「第 3 号表决名册已于……冻结」 on My page: a number that tells an owner
    nothing.  It names the assembly whose roll it is."""
    import html
    import re

    s = voting
    s.sign_in("1-101")
    page = html.unescape(re.sub(r"<[^>]+>", " ", s.client.get("/me").get_data(as_text=True)))
    assert f"第 {s.assembly.roll.seq} 号表决名册（用于“{s.assembly.title}”）已于" in page
