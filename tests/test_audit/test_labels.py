"""The audit log in plain words: every action recorded today has a label, details read as
values, times are the estate's, and the actor is a person's name."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from webapp.audit.operations import record

WEBAPP = Path(__file__).resolve().parents[2] / "webapp"
RECORDED = re.compile(r"""\brecord\(\s*["']([a-z_]+(?:\.[a-z_]+)+)["']""")


def recorded_actions() -> set[str]:
    found = set()
    for path in WEBAPP.rglob("*.py"):
        found |= set(RECORDED.findall(path.read_text()))
    return found


def test_every_action_the_application_records_has_a_label(labels):
    actions = recorded_actions()
    assert len(actions) >= 20, actions  # the search itself works
    missing = sorted(actions - set(labels.ACTIONS))
    assert missing == [], f"add one line per action to AUDIT_ACTIONS in the package that records it: {missing}"


@pytest.fixture
def labels(app):
    """The labels, once every package has registered its actions (building the app does)."""
    from webapp.audit import labels

    return labels


@pytest.fixture
def zh(app, labels):
    with app.test_request_context("/"):
        yield labels


@pytest.fixture
def en(app, labels):
    with app.test_request_context("/", headers={"Cookie": "lang=en"}):
        yield labels


def test_an_action_added_later_reads_as_its_family_and_its_code(zh):
    labels = zh
    assert labels.action_label("roll.sign") == "签署表决名册"
    assert labels.action_label("ballot.cast") == "表决票：ballot.cast"
    assert labels.action_label("assembly.notice.publish") == "业主大会：assembly.notice.publish"
    assert labels.action_label("whatever.new") == "whatever.new"


def test_action_labels_speak_english_when_chosen(en):
    labels = en
    assert labels.action_label("roll.sign") == "Signed the electoral roll"
    assert labels.action_label("tally.recount") == "Tally: tally.recount"


class Event:
    def __init__(self, details, actor="sup", actor_id=None):
        self.details, self.actor, self.actor_id = details, actor, actor_id


def test_details_read_as_labelled_values_never_raw(zh):
    def shown(details) -> list[tuple[str, str]]:
        return [(d.label, d.value) for d in zh.details(Event(details))]

    assert shown({"kid": "VIFPZBd8sjocile_Z4LgMfbPngPpDRHZui2xyz", "signatures": 1, "certified": False}) == [
        ("密钥", "VIFPZBd8sjocile_…"),
        ("已有签名数", "1"),
        ("名册已生效", "否"),
    ]
    assert shown(
        {
            "changes": {
                "roll_signatures_required": {"from": 1, "to": 2},
                "sms_required": {"from": False, "to": True},
                "help_text": {"from": None, "to": "物业"},
            }
        }
    ) == [
        ("所需监督员签名数", "1 → 2"),
        ("短信核验", "否 → 是"),
        ("业主求助渠道", "— → 物业"),
    ]
    units = [f"4-{n}" for n in range(101, 131)]
    assert shown({"count": 30, "units": units, "reason": None}) == [
        ("数量", "30"),
        ("房屋", "、".join(units[:12]) + "……（共 30 项）"),
    ]
    assert shown({"role": "supervisor", "reason": "reissued", "state": "active", "registration": None}) == [
        ("角色", "监督员"),
        ("理由", "重新打印"),
        ("状态", "有效"),
    ]
    # a key nobody has labelled yet still reads as words
    assert shown({"ballot_count": 3}) == [("Ballot count", "3")]


def test_the_actor_is_a_name_or_a_word_for_who_acted(zh):
    labels = zh

    class User:
        display_name, username = "居委会 王敏", "sup"

    assert labels.actor_label(Event({}, actor="sup", actor_id=7), {7: User()}) == ("居委会 王敏", "sup")
    assert labels.actor_label(Event({}, actor="automatic check")) == ("系统自动核验", None)
    assert labels.actor_label(Event({}, actor="owner")) == ("业主本人", None)


def test_a_broken_chain_is_explained_in_the_readers_language(zh):
    labels = zh
    from webapp.audit.chain import ChainProblem

    assert labels.chain_problem(ChainProblem(3, "sequence gap: expected 3, found 4")) == "记录缺失：应为第 3 条，实为第 4 条"
    assert labels.chain_problem(ChainProblem(2, "event content does not match its hash")) == "记录写入后被改动过"


@pytest.fixture
def audited(make_estate, make_staff, db_session):
    from webapp.estates.operations import update_settings

    estate = make_estate("lvyuan", "绿苑小区")
    admin = make_staff("root", name="区住建局 周建国", admin=True)
    make_staff("sup", name="居委会 王敏", estate=estate, role="supervisor")
    update_settings(estate, actor=admin, roll_signatures_required=2, sms_required=True)
    event = record("roll.sign", actor=admin, estate_id=estate.id, kid="VIFPZBd8sjocile_Z4LgMfbPngPpDRHZui2", signatures=1, certified=False)
    db_session.commit()
    return estate, event


def test_the_audit_page_speaks_chinese_with_local_times_and_names(client, login, audited):
    from webapp.core.timefmt import local

    estate, event = audited
    login("sup")
    page = client.get("/e/lvyuan/audit").get_data(as_text=True)
    assert "签署表决名册" in page
    assert "修改小区设置" in page
    assert "授予本小区的角色" in page
    assert "所需监督员签名数" in page
    assert "1 → 2" in page
    assert "名册已生效" in page
    assert "区住建局 周建国" in page
    assert "操作人" in page
    assert "对应成员" not in page
    assert local(event.at, estate, "%Y-%m-%d %H:%M:%S") in page
    assert "北京时间" in page
    assert "UTC" not in page
    for raw in ("roll.sign", "estate.settings", "certified:", "True", "False", "{&#34;"):
        assert raw not in page, raw


def test_the_audit_page_speaks_english_when_chosen(client, login, post, audited):
    login("sup")
    post("/lang", {"lang": "en"})
    page = client.get("/e/lvyuan/audit").get_data(as_text=True)
    assert "Signed the electoral roll" in page
    assert "Changed the estate&#39;s settings" in page
    assert "Beijing time" in page
    assert "roll.sign" not in page
    assert "False" not in page


def test_every_detail_the_application_records_has_a_label_in_both_languages(zh, labels):
    """No English field name on a Chinese audit page: every keyword passed to record() has a label."""
    import ast

    keys: set[str] = set()
    for path in WEBAPP.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            called = getattr(node, "func", None)
            if isinstance(node, ast.Call) and (getattr(called, "id", None) == "record" or getattr(called, "attr", None) == "record"):
                keys |= {k.arg for k in node.keywords if k.arg and k.arg not in ("actor", "estate_id", "obj", "changes")}
    assert len(keys) >= 40, keys  # the search itself works
    unlabelled = sorted(k for k in keys if k not in labels.DETAILS)
    assert unlabelled == [], f"add a line per key to DETAILS in webapp/audit/labels.py: {unlabelled}"
    assert zh.detail_label("size", "attachment.add") == "文件大小（字节）"
    assert zh.detail_label("size", "roll.freeze") == "成员数"


def test_who_acted_and_what_they_touched_read_as_words_not_ids(zh):
    """A phone walk read 'clock', 'firm:firm', 'owner:248', a member 'owner:293', English totals
    and whole 64-character digests in an estate's log."""
    from types import SimpleNamespace

    def event(actor, **details):
        return SimpleNamespace(actor=actor, actor_id=None, action="accounts.publish", details=details)

    assert zh.actor_label(event("clock")) == ("系统时钟（到时自动）", None)
    assert zh.actor_label(event("firm:greenfield")) == ("物业企业", "greenfield")
    assert zh.actor_label(event("owner:248")) == ("业主本人", "业主编号 248")
    shown = {
        d.label: d.value
        for d in zh.details(
            event(
                "system",
                member="owner:293",
                digest="b1d7d4affb0c1281f0b78ef11262071ca3783ada6f6ff72d57733e8e199e1c96",
                totals={"income": 13115050, "expense": 3076580, "net": 10038470},
            )
        )
    }
    assert shown["表决权人"] == "业主编号 293"
    assert shown["摘要"] == "b1d7d4affb0c1281…"
    totals = shown["合计（分）"]
    assert "Income" not in totals
    assert "收入" in totals
    assert "结余" in totals
    assert zh.details(event("system", member="developer"))[0].value == "开发建设单位（未售及未交付房屋）"
