"""The public read API's view of an assembly: exactly what its published notice shows."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import url_for


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat()


def _files(entries: list[dict], files: dict[str, int]) -> list[dict]:
    out = []
    for att in entries:
        url = url_for("assemblies.download", file_id=files[att["sha256"]], _external=True) if att["sha256"] in files else None
        out.append({"name": att["name"], "sha256": att["sha256"], "url": url})
    return out


def assembly_document(estate, assembly, files: dict[str, int]) -> dict:
    notice = assembly.current_notice
    doc = notice.document
    items = []
    for item in doc["items"]:
        entry = {
            "id": item["id"],
            "title": item["title"],
            "category": item["category"],
            "kind": item["kind"],
            "text": item.get("text"),
            "attachments": _files(item.get("attachments", []), files),
        }
        options = [
            {
                "id": o["id"],
                "name": o["name"],
                "statement": o.get("statement") or o.get("text"),
                "attachments": _files(o.get("attachments", []), files),
                **({"uscc": o["uscc"], "fee_per_m2_month": o["fee"]} if "uscc" in o else {}),
            }
            for o in item.get("options", [])
        ]
        if item["kind"] == "election":
            entry.update(seats=item["seats"], candidates=options)
        elif item["kind"] == "selection":
            entry.update(bidders=options)
        elif item["kind"] == "plan":
            entry.update(plans=options)
        items.append(entry)
    return {
        "id": assembly.id,
        "log_id": doc["assembly"],
        "title": doc["title"],
        "kind": doc["kind"],
        "state": assembly.state,
        "estate": {"slug": estate.slug, "name": doc["estate"]["name"]},
        "window": {"opens": _iso(doc["opens"]), "closes": _iso(doc["closes"]), "time_zone": estate.timezone},
        "replace_allowed": doc["replace_allowed"],
        "rules": doc["rules"],
        "items": items,
        "notice": {
            "version": notice.version,
            "sha256": notice.sha256,
            "signed_by": doc["kid"],
            "url": url_for("assemblies.notice_json", slug=estate.slug, assembly_id=assembly.id, _external=True),
        },
        "notice_versions": [
            {"version": v.version, "published_at": v.published_at.isoformat(), "sha256": v.sha256, "changes": v.changes}
            for v in assembly.notices
        ],
    }
