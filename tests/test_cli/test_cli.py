"""The ownersvote command, run as a user runs it: a subprocess on its own SQLite file."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.factories import GOOD, ZHANG, csv_bytes

OWNERSVOTE = [sys.executable, "-m", "webapp.cli"]


@pytest.fixture
def run(tmp_path):
    env = {
        **os.environ,
        "OWNERSVOTE_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}",
        "OWNERSVOTE_INSTANCE_PATH": str(tmp_path / "instance"),
    }

    def do(*args: str, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run([*OWNERSVOTE, *args], env=env, capture_output=True, text=True, timeout=120)
        if check and result.returncode != 0:
            raise AssertionError(f"exit {result.returncode}: {result.stderr}")
        return result

    do("init")
    do("estate", "create", "--slug", "lvyuan", "--name", "绿苑小区")
    return do


def test_import_then_members_json_gives_totals_and_members(run, tmp_path):
    registry = tmp_path / "registry.csv"
    registry.write_bytes(GOOD)
    out = run("import-registry", "lvyuan", str(registry))
    assert "applied: 6 units added" in out.stdout
    doc = json.loads(run("members", "lvyuan", "--json").stdout)
    assert doc["total_area"] == "549.75"
    assert doc["total_heads"] == 4
    zhang = next(m for m in doc["members"] if "1-101" in m["units"])
    assert zhang == {"id": zhang["id"], "kind": "person", "units": ["1-101", "2-201"], "area": "189.75", "heads": 1}
    developer = next(m for m in doc["members"] if m["kind"] == "developer")
    assert developer["units"] == ["3-301", "3-302"]
    assert developer["area"] == "190.00"


def test_a_rejected_import_exits_non_zero_with_the_full_report_and_changes_nothing(run, tmp_path):
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_bytes(GOOD)
    run("import-registry", "lvyuan", str(good))
    bad.write_bytes(csv_bytes(f"1,101,0,,张三,{ZHANG},,", "1,102,80,,李四,123,,"))
    result = run("import-registry", "lvyuan", str(bad), check=False)
    assert result.returncode == 1
    assert "row 2 [面积]" in result.stderr
    assert "row 3 [证件号]" in result.stderr
    assert "nothing was changed" in result.stderr
    assert "identity number '1*3'" in result.stderr
    assert "证件号“1*3”无效" in result.stderr
    assert json.loads(run("members", "lvyuan", "--json").stdout)["total_heads"] == 4


def test_an_import_removing_most_units_needs_confirm_removal(run, tmp_path):
    from tests.factories import registry_of

    full, partial = tmp_path / "full.csv", tmp_path / "partial.csv"
    full.write_bytes(registry_of(40))
    partial.write_bytes(registry_of(3))
    run("import-registry", "lvyuan", str(full))
    assert "needs --confirm-removal 37" in run("import-registry", "lvyuan", str(partial), "--dry-run").stdout
    refused = run("import-registry", "lvyuan", str(partial), check=False)
    assert refused.returncode == 1
    assert "remove 37 of the 40 current units" in refused.stderr
    assert "--confirm-removal 37" in refused.stderr
    assert json.loads(run("members", "lvyuan", "--json").stdout)["total_heads"] == 40
    assert "37 removed" in run("import-registry", "lvyuan", str(partial), "--confirm-removal", "37").stdout


def test_an_unknown_estate_is_an_error(run, tmp_path):
    result = run("members", "nowhere", "--json", check=False)
    assert result.returncode == 2
    assert "no estate" in result.stderr


def test_a_duplicate_estate_slug_is_refused(run):
    result = run("estate", "create", "--slug", "lvyuan", "--name", "again", check=False)
    assert result.returncode == 1
    assert "already taken" in result.stderr


def test_init_is_safe_to_run_twice(run):
    assert "database ready" in run("init").stdout


def test_init_marks_the_file_store_and_the_job_files_folder(run, tmp_path):
    """The marker a server looks for before it trusts a store to be the shared one (issue 18,
    item 7; webapp/core/filestore.py)."""
    out = run("init").stdout
    for what, name in (("file store", "files"), ("job files", "jobs")):
        assert f"{what}: {tmp_path / 'instance' / name} (marked with .ownersvote-store)" in out
        assert (tmp_path / "instance" / name / ".ownersvote-store").is_file()


def test_the_demo_creates_a_realistic_estate_once(run):
    first = run("demo", "--no-serve")
    assert "created" in first.stdout
    assert "admin" in first.stdout
    # the command names the estate as its pages do, and the staff by their real names
    assert "demo estate 绿苑小区（演示）" in first.stdout
    assert "演示小区:" not in first.stdout
    assert "绿苑社区居委会 王敏" in first.stdout
    assert "owners' evaluation '2026年第三季度物业服务满意度测评': result published at" in first.stdout
    assert "owners' evaluation '2026年第四季度物业服务满意度测评': open" in first.stdout
    assert first.stdout.count("ranking of firms '") == 2
    assert "the district's pool of firms: " in first.stdout
    assert "冬青苑（演示） has no firm and one match: " in first.stdout
    assert "the district view (区域总览): " in first.stdout
    # An owner following the guide lands on pages owners can open (/e/ is the staff's).
    assert "owners and the public: /p/demo/assemblies," in first.stdout
    assert "/p/demo/inspections (staff: /e/demo/inspections)" in first.stdout
    second = run("demo", "--no-serve")
    assert "already there" in second.stdout
    doc = json.loads(run("members", "demo", "--json").stdout)
    units = sum(len(m["units"]) for m in doc["members"])
    kinds = {m["kind"] for m in doc["members"]}
    assert units == 1200
    assert kinds == {"person", "co_owners", "organisation", "developer"}
    assert any(len(m["units"]) > 1 for m in doc["members"] if m["kind"] == "person")
    assert doc["total_heads"] < 1200


def test_the_demo_short_assembly_is_open_for_voting_when_it_closes_in_hours(run):
    out = run("demo", "--no-serve", "--closes-in", "120").stdout
    assert "演示：即将截止的业主大会会议' closes at" in out
    assert "state now: voting" in out


def test_production_mode_refuses_default_secrets(tmp_path):
    env = {
        **os.environ,
        "OWNERSVOTE_ENV": "production",
        "OWNERSVOTE_DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}",
        "OWNERSVOTE_SECRET_KEY": "dev",
    }
    result = subprocess.run([sys.executable, "-c", "from webapp import create_app; create_app()"], env=env, capture_output=True, text=True)
    assert result.returncode != 0
    assert "OWNERSVOTE_SECRET_KEY" in result.stderr
    assert "OWNERSVOTE_PII_HMAC_KEY" in result.stderr


def test_audit_check_reports_an_intact_chain(run, tmp_path):
    registry = tmp_path / "registry.csv"
    registry.write_bytes(GOOD)
    run("import-registry", "lvyuan", str(registry))
    out = run("audit-check", "lvyuan").stdout
    assert "intact" in out
    assert "2 events" in out


def test_audit_check_exits_non_zero_on_a_tampered_chain(run, tmp_path):
    import sqlite3

    db = sqlite3.connect(tmp_path / "cli.sqlite3")
    db.execute("UPDATE audit_events SET actor = 'someone' WHERE seq = 1")
    db.commit()
    db.close()
    result = run("audit-check", "lvyuan", check=False)
    assert result.returncode == 1
    assert "BROKEN" in result.stderr


def test_check_passes_on_an_untouched_estate_and_names_a_registry_edit_made_outside_the_app(run, tmp_path):
    import sqlite3

    registry = tmp_path / "registry.csv"
    registry.write_bytes(GOOD)
    run("import-registry", "lvyuan", str(registry))
    assert "everything checked matches" in run("check", "lvyuan").stdout
    db = sqlite3.connect(tmp_path / "cli.sqlite3")
    db.execute("UPDATE units SET area_centi = area_centi + 1000 WHERE number = '101'")
    db.commit()
    db.close()
    result = run("check", "lvyuan", check=False)
    assert result.returncode == 1
    assert "[registry]" in result.stdout
    assert "changed outside the app" in result.stdout


def test_audit_check_names_the_events_deleted_after_a_signed_anchor(run, tmp_path):
    import sqlite3

    registry = tmp_path / "registry.csv"
    registry.write_bytes(GOOD)
    run("import-registry", "lvyuan", str(registry))  # event 2; event 1 (the estate) has a signed checkpoint
    db = sqlite3.connect(tmp_path / "cli.sqlite3")
    db.execute("DELETE FROM audit_events")
    db.commit()
    db.close()
    result = run("audit-check", "lvyuan", check=False)
    assert result.returncode == 1
    assert "events #1–#1 are missing" in result.stderr


@pytest.fixture
def no_redis(monkeypatch):
    monkeypatch.delenv("OWNERSVOTE_REDIS_URL", raising=False)


def test_the_worker_without_redis_says_jobs_run_in_the_web_process(no_redis, run):
    result = run("worker", "--burst", check=False)
    assert result.returncode == 1
    assert "OWNERSVOTE_REDIS_URL" in result.stderr
    assert "web process" in result.stderr


def test_jobs_sweep_deletes_nothing_when_nothing_expired(run):
    assert "0 expired result file(s) deleted" in run("jobs", "sweep").stdout


def test_a_command_on_a_database_without_tables_says_to_run_init(tmp_path):
    env = {
        **os.environ,
        "OWNERSVOTE_DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}",
        "OWNERSVOTE_INSTANCE_PATH": str(tmp_path / "instance"),
    }
    result = subprocess.run([*OWNERSVOTE, "assemblies", "lvyuan"], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert "ownersvote init" in result.stderr
    assert "Traceback" not in result.stderr
