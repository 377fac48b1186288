"""The notice document: built from the organisers' working copy, compared with the version before.

``build_payload`` turns an assembly's rows into the notice of crypto.notice (what owners read,
what their ballots will hash); ``changes`` says in plain words what a new version changed.
Pure apart from reading the rows it is handed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from webapp.assemblies.files import attachments_of
from webapp.assemblies.kinds import kind_of
from webapp.core.timefmt import local


def ms(value: datetime) -> int:
    return int(value.timestamp() * 1000)


def build_payload(assembly, *, version: int, published_at: datetime, rules: dict, synthetic: bool = False) -> dict:
    """The notice as crypto.notice specifies it (without type, v, kid and sig)."""
    estate = assembly.estate
    items = []
    for item in assembly.items:
        entry: dict[str, Any] = {"id": item.ballot_id, "category": item.category, "kind": item.form, "title": item.title}
        if item.text:
            entry["text"] = item.text
        files = attachments_of("item", item.id)
        if files:
            entry["attachments"] = files
        entry.update(kind_of(item.form).notice_fields(item))
        items.append(entry)
    return {
        "estate": {"id": str(estate.id), "name": estate.name},
        "assembly": assembly.log_id,
        "title": assembly.title,
        "kind": assembly.kind,
        "version": version,
        "published_at": ms(published_at),
        "opens": ms(assembly.opens_at),
        "closes": ms(assembly.closes_at),
        "replace_allowed": assembly.replace_allowed,
        "synthetic": synthetic,
        "rules": rules,
        "items": items,
    }


def _by_id(items: list[dict]) -> dict[str, dict]:
    return {item["id"]: item for item in items}


def changes(before: dict | None, after: dict, tz: object = None) -> list[dict]:
    """What a new notice version changed from the one before, in both languages (times in the
    zone ``tz``: the estate's)."""
    if before is None:
        return []
    out: list[dict] = []

    def note(zh: str, en: str) -> None:
        out.append({"zh": zh, "en": en})

    if (before["opens"], before["closes"]) != (after["opens"], after["closes"]):

        def span(doc: dict) -> str:
            return " – ".join(local(datetime.fromtimestamp(doc[key] / 1000, UTC), tz) for key in ("opens", "closes"))

        note(f"投票时间由 {span(before)} 改为 {span(after)}", f"the voting window changed from {span(before)} to {span(after)}")
    for name, zh in (("title", "会议名称"), ("kind", "会议类型"), ("replace_allowed", "是否允许改票")):
        if before.get(name) != after.get(name):
            note(f"{zh}改变", f"the {name.replace('_', ' ')} changed")
    old, new = _by_id(before["items"]), _by_id(after["items"])
    for item_id, item in new.items():
        if item_id not in old:
            note(f"新增事项：{item['title']}", f"item added: {item['title']}")
            continue
        was = old[item_id]
        for name, zh in (("title", "标题"), ("text", "说明"), ("category", "类别"), ("seats", "席位数")):
            if was.get(name) != item.get(name):
                note(f"事项“{item['title']}”的{zh}改变", f"item '{item['title']}': {name} changed")
        if was.get("attachments", []) != item.get("attachments", []):
            note(f"事项“{item['title']}”的附件改变", f"item '{item['title']}': attachments changed")
        old_options, new_options = _by_id(was.get("options", [])), _by_id(item.get("options", []))
        for option_id, option in new_options.items():
            if option_id not in old_options:
                note(f"事项“{item['title']}”新增：{option['name']}", f"item '{item['title']}': added {option['name']}")
            elif old_options[option_id] != option:
                note(f"事项“{item['title']}”中“{option['name']}”的内容改变", f"item '{item['title']}': {option['name']} changed")
        for option_id, option in old_options.items():
            if option_id not in new_options:
                note(f"事项“{item['title']}”删除：{option['name']}", f"item '{item['title']}': removed {option['name']}")
    for item_id, item in old.items():
        if item_id not in new:
            note(f"删除事项：{item['title']}", f"item removed: {item['title']}")
    if [i["id"] for i in before["items"]] != [i["id"] for i in after["items"]] and set(old) == set(new):
        note("事项顺序改变", "the order of the items changed")
    return out
