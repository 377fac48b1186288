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
