"""The estate's rules of procedure in its settings: stricter thresholds only, ranges with the
reason, bilingual eligibility conditions kept when saved in the other language."""

from __future__ import annotations

import pytest

from webapp.estates import rules_text
from webapp.estates.operations import DEFAULT_ELIGIBILITY, EstateError, update_settings

RULES = {
    "r-alternates": "2",
    "r-tally_signatures_required": "2",
    "r-notice_period_days": "15",
    "r-candidate_publication_days": "7",
    "r-results_publication_days": "30",
    "r-proxy_cap": "3",
    "r-objection_cap": "3",
}


def test_a_new_estate_starts_with_the_national_conditions_for_candidates(people):
    assert people["estate"].eligibility_rules == [dict(rule) for rule in DEFAULT_ELIGIBILITY]


def test_stricter_thresholds_typed_in_chinese_are_saved_in_lowest_terms(client, login, post, people, db_session):
    login("root")
    response = post("/e/lvyuan/settings", {**RULES, "r-thresholds_text": "6 通过 以上 8/10\n3 参与 超过 3/4"}, follow_redirects=True)
    assert "已保存" in response.get_data(as_text=True)
    db_session.refresh(people["estate"])
    assert people["estate"].thresholds == {"3": {"quorum": {"more_than": "3/4"}}, "6": {"approval": {"at_least": "4/5"}}}
    assert people["estate"].tally_signatures_required == 2
    assert people["estate"].proxy_cap == 3


def test_a_threshold_looser_than_the_statute_is_refused_with_the_reason(client, login, post, people, db_session):
    login("root")
    page = post("/e/lvyuan/settings", {**RULES, "r-thresholds_text": "6 通过 以上 1/2"}, follow_redirects=True).get_data(as_text=True)
    assert "比法律规定宽松" in page
    assert "第二百七十八条" in page
    db_session.refresh(people["estate"])
    assert people["estate"].thresholds in ({}, None)
    assert people["estate"].alternates != 2


def test_an_unreadable_threshold_line_is_named_with_an_example(client, login, post, people):
    login("root")
    page = post("/e/lvyuan/settings", {**RULES, "r-thresholds_text": "\n六 通过 以上 4/5"}, follow_redirects=True).get_data(as_text=True)
    assert "第 2 行" in page
    assert "6 通过 以上 4/5" in page


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("r-alternates", "12", "请填写 0 到 11 之间的数字"),
        ("r-tally_signatures_required", "0", "请填写 1 到 9 之间的数字"),
        ("r-notice_period_days", "", "请填写 0 到 90 之间的天数"),
        ("r-proxy_cap", "21", "请填写 1 到 20 之间的数字"),
        ("r-objection_cap", "0", "请填写 1 到 20 之间的数字"),
    ],
)
def test_a_rule_out_of_range_names_the_allowed_range(client, login, post, people, field, value, message):
    login("root")
    page = post("/e/lvyuan/settings", {**RULES, field: value}).get_data(as_text=True)
    assert message in page


def test_ranges_hold_for_direct_calls_too(people, db_session):
    with pytest.raises(EstateError) as refused:
        update_settings(people["estate"], actor=people["admin"], proxy_cap=0)
    assert "1 到 20" in refused.value.zh
    db_session.rollback()


def test_an_unchanged_condition_saved_in_english_keeps_its_chinese_text(people, db_session):
    estate = people["estate"]
    first = DEFAULT_ELIGIBILITY[0]
    update_settings(estate, actor=people["admin"], eligibility_rules=[first["en"], "Lives in the estate"])
    assert estate.eligibility_rules == [dict(first), {"zh": "Lives in the estate", "en": "Lives in the estate"}]


def test_the_rules_text_round_trips_in_both_languages():
    rules = {"6": {"approval": {"at_least": "4/5"}, "quorum": {"more_than": "3/4"}}}
    assert rules_text.parse(rules_text.show(rules, zh=True)) == rules
    assert rules_text.parse(rules_text.show(rules, zh=False)) == rules


def test_a_supervisor_cannot_change_the_rules(client, login, post, people):
    login("sup")
    assert post("/e/lvyuan/settings", {**RULES, "r-thresholds_text": ""}).status_code == 403


def test_the_help_line_is_a_phone_number_set_in_the_estates_settings(client, login, post, two_estates, db_session):
    a, _b = two_estates
    login("root")
    fields = {"name": "甲小区", "roll_signatures_required": "1", "letter_valid_days": "30"}
    refused = post("/e/estate-a/settings", {**fields, "help_phone": "call the office"})
    assert refused.status_code == 200
    assert "请输入电话号码" in refused.get_data(as_text=True)
    assert post("/e/estate-a/settings", {**fields, "help_phone": "0571-8888 6666"}).status_code == 302
    db_session.expire_all()
    assert a.help_phone == "0571-8888 6666"
