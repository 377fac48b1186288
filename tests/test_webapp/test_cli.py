"""The ownersvote command, run as a user runs it: a subprocess on its own SQLite file."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.test_registry.test_import import GOOD, ZHANG, csv_bytes

OWNERSVOTE = [sys.executable, "-m", "webapp.cli"]


@pytest.fixture
def run(tmp_path):
    env = {**os.environ, "OWNERSVOTE_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}", "OWNERSVOTE_INSTANCE_PATH": str(tmp_path / "instance")}

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
    assert doc["total_area"] == "549.75" and doc["total_heads"] == 4
    zhang = next(m for m in doc["members"] if "1-101" in m["units"])
    assert zhang == {"id": zhang["id"], "kind": "person", "units": ["1-101", "2-201"], "area": "189.75", "heads": 1}
    developer = next(m for m in doc["members"] if m["kind"] == "developer")
    assert developer["units"] == ["3-301", "3-302"] and developer["area"] == "190.00"


def test_a_rejected_import_exits_non_zero_with_the_full_report_and_changes_nothing(run, tmp_path):
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_bytes(GOOD)
    run("import-registry", "lvyuan", str(good))
    bad.write_bytes(csv_bytes(f"1,101,0,,张三,{ZHANG},,", "1,102,80,,李四,123,,"))
    result = run("import-registry", "lvyuan", str(bad), check=False)
    assert result.returncode == 1
    assert "row 2 [area]" in result.stderr and "row 3 [id_number]" in result.stderr and "nothing was changed" in result.stderr
    assert json.loads(run("members", "lvyuan", "--json").stdout)["total_heads"] == 4


def test_an_unknown_estate_is_an_error(run, tmp_path):
    result = run("members", "nowhere", "--json", check=False)
    assert result.returncode == 2 and "no estate" in result.stderr


def test_a_duplicate_estate_slug_is_refused(run):
    result = run("estate", "create", "--slug", "lvyuan", "--name", "again", check=False)
    assert result.returncode == 1 and "already taken" in result.stderr


def test_init_is_safe_to_run_twice(run):
    assert "database ready" in run("init").stdout


def test_the_demo_creates_a_realistic_estate_once(run):
    first = run("demo", "--no-serve")
    assert "created" in first.stdout and "admin" in first.stdout
    second = run("demo", "--no-serve")
    assert "already there" in second.stdout
    doc = json.loads(run("members", "demo", "--json").stdout)
    units = sum(len(m["units"]) for m in doc["members"])
    kinds = {m["kind"] for m in doc["members"]}
    assert units == 1200
    assert kinds == {"person", "co_owners", "organisation", "developer"}
    assert any(len(m["units"]) > 1 for m in doc["members"] if m["kind"] == "person")
    assert doc["total_heads"] < 1200


def test_production_mode_refuses_default_secrets(tmp_path):
    env = {**os.environ, "OWNERSVOTE_ENV": "production", "OWNERSVOTE_DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}", "OWNERSVOTE_SECRET_KEY": "dev"}
    result = subprocess.run([sys.executable, "-c", "from webapp import create_app; create_app()"], env=env, capture_output=True, text=True)
    assert result.returncode != 0 and "OWNERSVOTE_SECRET_KEY" in result.stderr and "OWNERSVOTE_PII_HMAC_KEY" in result.stderr


def test_audit_check_reports_an_intact_chain(run, tmp_path):
    registry = tmp_path / "registry.csv"
    registry.write_bytes(GOOD)
    run("import-registry", "lvyuan", str(registry))
    out = run("audit-check", "lvyuan").stdout
    assert "intact" in out and "2 events" in out


def test_audit_check_exits_non_zero_on_a_tampered_chain(run, tmp_path):
    import sqlite3

    db = sqlite3.connect(tmp_path / "cli.sqlite3")
    db.execute("UPDATE audit_events SET actor = 'someone' WHERE seq = 1")
    db.commit()
    db.close()
    result = run("audit-check", "lvyuan", check=False)
    assert result.returncode == 1 and "BROKEN" in result.stderr


@pytest.fixture
def no_redis(monkeypatch):
    monkeypatch.delenv("OWNERSVOTE_REDIS_URL", raising=False)


def test_the_worker_without_redis_says_jobs_run_in_the_web_process(no_redis, run):
    result = run("worker", "--burst", check=False)
    assert result.returncode == 1
    assert "OWNERSVOTE_REDIS_URL" in result.stderr and "web process" in result.stderr


def test_jobs_sweep_deletes_nothing_when_nothing_expired(run):
    assert "0 expired result file(s) deleted" in run("jobs", "sweep").stdout
