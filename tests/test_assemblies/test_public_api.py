"""The public read API: what the public notice shows, to anyone, without login."""

from __future__ import annotations

from datetime import timedelta

from tests.factories import TITLES


def test_the_estates_assemblies_are_listed_with_their_state_and_window_without_login(voting):
    s = voting
    s.post("/logout")
    answer = s.client.get(f"/api/v1/e/{s.estate.slug}/assemblies").get_json()
    assert answer["estate"] == {"slug": s.estate.slug, "name": s.estate.name}
    (listed,) = answer["assemblies"]
    assert listed["id"] == s.assembly_id
    assert listed["state"] == "voting"
    assert listed["title"] == "2026年第一次业主大会"
    assert listed["opens"] == s.assembly.opens_at.isoformat()
    assert listed["closes"] == s.assembly.closes_at.isoformat()
    assert listed["url"].endswith(f"/api/v1/e/{s.estate.slug}/assemblies/{s.assembly_id}")


def test_one_assembly_shows_its_items_candidates_bidders_rules_and_notice_versions(voting):
    s = voting
    s.post("/logout")
    doc = s.client.get(f"/api/v1/e/{s.estate.slug}/assemblies/{s.assembly_id}").get_json()
    items = {item["title"]: item for item in doc["items"]}
    assert items[TITLES["statute"]]["category"] == 2
    assert items[TITLES["statute"]]["kind"] == "resolution"
    election = items[TITLES["election"]]
    assert election["seats"] == 1
    assert sorted(c["name"].split("（")[0] for c in election["candidates"]) == ["张三", "李四"]
    firm = items[TITLES["firm"]]
    assert [b["fee_per_m2_month"] for b in firm["bidders"]] == ["2.30", "2.80"]
    assert all(len(b["uscc"]) == 18 for b in firm["bidders"])
    assert doc["window"]["time_zone"] == s.estate.timezone
    assert doc["rules"]["required_signatures"] >= 1
    assert "thresholds" in doc["rules"]
    (version,) = doc["notice_versions"]
    assert version["version"] == 1
    assert version["sha256"] == s.assembly.current_notice.sha256 == doc["notice"]["sha256"]
    notice = s.client.get(doc["notice"]["url"].replace("http://ownersvote.test", "")).get_json()
    assert notice["title"] == doc["title"]


def test_every_attachment_listed_has_its_hash_and_a_download_with_the_same_hash(voting):
    import hashlib

    s = voting
    s.post("/logout")
    doc = s.client.get(f"/api/v1/e/{s.estate.slug}/assemblies/{s.assembly_id}").get_json()
    files = [a for item in doc["items"] for a in item["attachments"]]
    files += [a for item in doc["items"] for o in item.get("candidates", []) + item.get("bidders", []) for a in o["attachments"]]
    for attachment in files:
        response = s.client.get(attachment["url"].replace("http://ownersvote.test", ""))
        assert response.status_code == 200
        assert hashlib.sha256(response.data).hexdigest() == attachment["sha256"] == response.headers["X-Content-SHA256"]


def test_a_draft_is_neither_listed_nor_served(scenario):
    s = scenario
    s.create(opens=s.start + timedelta(days=30), closes=s.start + timedelta(days=37))
    s.post("/logout")
    assert s.client.get(f"/api/v1/e/{s.estate.slug}/assemblies").get_json()["assemblies"] == []
    assert s.client.get(f"/api/v1/e/{s.estate.slug}/assemblies/{s.assembly_id}").status_code == 404


def test_an_unknown_estate_or_another_estates_assembly_is_not_found(voting, make_estate):
    s = voting
    make_estate("other", "别的小区")
    s.db.commit()
    assert s.client.get("/api/v1/e/nowhere/assemblies").status_code == 404
    assert s.client.get(f"/api/v1/e/other/assemblies/{s.assembly_id}").status_code == 404


def test_the_api_shows_no_nomination_scan_and_no_vetting_reason(voting):
    s = voting
    s.post("/logout")
    text = s.client.get(f"/api/v1/e/{s.estate.slug}/assemblies/{s.assembly_id}").get_data(as_text=True)
    assert "提名表.pdf" not in text
    assert "符合候选人条件" not in text
