from pathlib import Path

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

CATALOG = Path(__file__).resolve().parents[2] / "webapp/translations/zh/LC_MESSAGES/messages.po"


def test_every_message_has_a_chinese_translation():
    catalog = read_po(CATALOG.open("rb"))
    missing = [m.id for m in catalog if m.id and not m.string]
    assert missing == [], "add them to tools/zh_CN.json and run tools/translations.py"


def test_the_compiled_catalog_matches_its_source():
    source = {m.id: m.string for m in read_po(CATALOG.open("rb")) if m.id}
    compiled = {m.id: m.string for m in read_mo(CATALOG.with_suffix(".mo").open("rb")) if m.id}
    assert compiled == source, "run tools/translations.py"


# The voting roll has one Chinese name, 表决名册, as the staff's tab, the roll's page and the
# audit log call it: two names for one document read as two documents (and 选民名册 is the
# electorate of a people's congress election, not the owners of an estate).
ROLL_ZH, RETIRED_ROLL_ZH = "表决名册", "选民名册"


def test_the_chinese_calls_the_voting_roll_by_one_name_only():
    catalog = [m for m in read_po(CATALOG.open("rb")) if m.id]
    assert any(ROLL_ZH in m.string for m in catalog)
    assert [m.id for m in catalog if RETIRED_ROLL_ZH in m.string] == []
    # Chinese said outside the catalogue: refusals and labels kept in both languages in the code.
    webapp = CATALOG.parents[3]
    sources = [p for p in webapp.rglob("*") if p.suffix in {".py", ".html", ".js"}]
    assert [str(p.relative_to(webapp)) for p in sources if RETIRED_ROLL_ZH in p.read_text(encoding="utf-8")] == []


def test_a_chinese_link_to_a_file_says_data_file_not_json():
    # "JSON" is a word an owner does not read: a download is 数据文件 in Chinese.  Left as it is
    # where the sentence is for the technical (an ownersvote command, or a form staff write in JSON).
    catalog = [m for m in read_po(CATALOG.open("rb")) if m.id]
    labels = [m.string for m in catalog if "（JSON）" in m.string and "ownersvote" not in m.string]
    assert labels == []
