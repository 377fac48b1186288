"""Backup and restore as docs/deployment.md tells it: pg_dump in custom format and a tar of the file
store, taken while an estate is mid-way (registry imported, owners registered, rolls frozen and
signed by two supervisors, one assembly published with its audit bundle, one open with ballots
coming in, one announced), restored into a fresh database with pg_restore; ``ownersvote check``
then passes on the copy, run as a separate process with the same secrets, and says exactly what it
said about the original.  A copy with an edited audit row in the dump, a changed or missing file,
or another server key fails the check (another key is refused at start).

Needs PostgreSQL (OWNERSVOTE_TEST_PG_URL) and its client programs (pg_dump, pg_restore, psql);
without them the tests are skipped with a message, except in CI (CI=true), where that fails.
"""

from __future__ import annotations

import base64
import os
import secrets
import shutil
import subprocess
import sys
import tarfile
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.factories import IN_CI, PG_HOWTO, PG_URL

pytestmark = pytest.mark.postgres
ROOT = Path(__file__).resolve().parents[2]
SLUG = "backup"
CLIENTS_HOWTO = (
    "PostgreSQL's client programs ({missing}) are not installed; the backup and restore tests are skipped. "
    "Install them (apt-get install postgresql-client); CI runs them."
)


def _skip_or_fail(message: str):
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


def libpq(url: str) -> str:
    """The SQLAlchemy URL as pg_dump, pg_restore and psql take it."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(scope="module")
def new_database():
    """Make empty databases on the test server (``createdb``); drop them all afterwards."""
    admin_url = make_url(PG_URL)
    try:
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        _skip_or_fail(PG_HOWTO.format(url=admin_url.render_as_string(hide_password=True), error=type(exc).__name__))
    missing = [name for name in ("pg_dump", "pg_restore", "psql") if shutil.which(name) is None]
    if missing:
        _skip_or_fail(CLIENTS_HOWTO.format(missing=", ".join(missing)))
    made: list[str] = []

    def make() -> str:
        name = f"ownersvote_backup_{uuid.uuid4().hex[:12]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        made.append(name)
        return admin_url.set(database=name).render_as_string(hide_password=False)

    yield make
    with admin.connect() as conn:
        for name in made:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="module")
def secrets_env(instance_dir, tmp_path_factory):
    """The three secrets a backup keeps apart from the database (production mode insists on them)."""
    return {
        "OWNERSVOTE_ENV": "production",
        "OWNERSVOTE_SECRET_KEY": secrets.token_hex(32),
        "OWNERSVOTE_PII_HMAC_KEY": secrets.token_hex(32),
        "OWNERSVOTE_SERVER_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "OWNERSVOTE_INSTANCE_PATH": str(tmp_path_factory.mktemp("backup-instance")),
        "OWNERSVOTE_SMS_BACKEND": "http",
        "OWNERSVOTE_SMS_URL": "http://127.0.0.1:9/unused",
    }


def ownersvote(env: dict, database_url: str, files: Path, *args: str) -> subprocess.CompletedProcess:
    """The command line, in a process of its own, against one database and file store."""
    full = {k: v for k, v in os.environ.items() if not k.startswith("OWNERSVOTE_")}
    full.update(env, OWNERSVOTE_DATABASE_URL=database_url, OWNERSVOTE_FILES_PATH=str(files))
    return subprocess.run([sys.executable, "-m", "webapp.cli", *args], cwd=ROOT, env=full, capture_output=True, text=True, timeout=300)


def build_midway_estate(database_url: str, files: Path, env: dict, instance: Path) -> None:
    """Two buildings of the demo registry (200 units) and the demo's three assemblies, built
    through the operations people use (webapp/demo/assemblies.py), committed for real."""
    import csv
    import io

    from webapp import create_app
    from webapp.auth.operations import assign_role, create_staff
    from webapp.core.db import db
    from webapp.core.roles import Role
    from webapp.demo.assemblies import build
    from webapp.demo.registry import demo_rows
    from webapp.estates.operations import create_estate
    from webapp.registry.importing import import_file

    rows = [r for r in demo_rows() if r["楼栋"] in ("2", "3")]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    with pytest.MonkeyPatch.context() as mp:
        for name, value in env.items():
            mp.setenv(name, value)
        mp.setenv("OWNERSVOTE_DATABASE_URL", database_url)
        mp.setenv("OWNERSVOTE_FILES_PATH", str(files))
        app = create_app({"OWNERSVOTE_JOB_RUNNER": "thread"})
        with app.app_context():
            estate = create_estate(SLUG, "备份测试小区", actor="test")
            staff = {}
            for key, name in (
                ("organiser", "筹备组 林晓燕"),
                ("organiser2", "筹备组 赵德明"),
                ("supervisor", "社区居委会 王敏"),
                ("supervisor2", "街道办事处 陈立新"),
            ):
                staff[key] = create_staff(f"bk-{key}", name, "correct horse battery", actor="test")
                assign_role(staff[key], estate, Role(key.rstrip("2")), actor="test")
            import_file(estate, out.getvalue().encode("utf-8"), "registry.csv", actor="test")
            db.session.commit()
            build(estate, staff, app.config["OWNERSVOTE_PII_HMAC_KEY"], instance)
            db.session.commit()
            db.engine.dispose()


@pytest.fixture(scope="module")
def backup(new_database, secrets_env, tmp_path_factory):
    """The estate mid-way, then its backup: ``pg_dump -Fc`` and a tar of the file store."""

    live = tmp_path_factory.mktemp("live")
    source = new_database()
    init = ownersvote(secrets_env, source, live / "files", "init")  # the tables, and the shared store's marker
    assert init.returncode == 0, init.stderr
    build_midway_estate(source, live / "files", secrets_env, live)
    original = ownersvote(secrets_env, source, live / "files", "check", SLUG)
    assert original.returncode == 0, original.stdout + original.stderr

    folder = tmp_path_factory.mktemp("backup")
    dumped = subprocess.run(
        ["pg_dump", "--format=custom", f"--file={folder / 'ownersvote.pgdump'}", libpq(source)], capture_output=True, text=True
    )
    assert dumped.returncode == 0, dumped.stderr
    with tarfile.open(folder / "files.tar.gz", "w:gz") as tar:
        tar.add(live / "files", arcname="files")
    return {"folder": folder, "check": original.stdout}


def restore_files(backup: dict, into: Path) -> Path:
    with tarfile.open(backup["folder"] / "files.tar.gz") as tar:
        tar.extractall(into, **({"filter": "data"} if hasattr(tarfile, "data_filter") else {}))  # Python < 3.11.4 has no filters
    return into / "files"


@pytest.fixture(scope="module")
def restored(backup, new_database, tmp_path_factory):
    """The backup restored as docs/deployment.md says: an empty database, pg_restore, the files."""
    target = new_database()
    result = subprocess.run(
        [
            "pg_restore",
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            f"--dbname={libpq(target)}",
            str(backup["folder"] / "ownersvote.pgdump"),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    return target, restore_files(backup, tmp_path_factory.mktemp("restored"))


def test_a_restored_copy_passes_ownersvote_check_exactly_as_the_original_did(backup, restored, secrets_env):
    target, files = restored
    init = ownersvote(secrets_env, target, files, "init")  # after a restore, as after an upgrade: nothing to do here
    assert init.returncode == 0, init.stderr
    check = ownersvote(secrets_env, target, files, "check", SLUG)
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout == backup["check"]
    for what in ("unbroken chain", "roll no. 1 matches", "roll no. 2 matches", "ballots", "files (attachments, audit bundles)"):
        assert what in check.stdout, check.stdout
    assert "everything checked matches what was signed" in check.stdout
    audit = ownersvote(secrets_env, target, files, "audit-check", SLUG)
    assert audit.returncode == 0, audit.stdout + audit.stderr
    assert "intact" in audit.stdout, audit.stdout + audit.stderr


def test_a_restore_from_a_dump_with_an_edited_audit_row_fails_the_check(backup, new_database, secrets_env, tmp_path):
    """The append-only triggers stop an UPDATE on the live database, not an edited dump: the check
    after the restore is what finds it."""
    plain = tmp_path / "ownersvote.sql"
    result = subprocess.run(["pg_restore", f"--file={plain}", str(backup["folder"] / "ownersvote.pgdump")], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    lines = plain.read_text(encoding="utf-8").split("\n")
    start = next(i for i, line in enumerate(lines) if line.startswith("COPY public.audit_events "))
    columns = [c.strip() for c in lines[start].split("(", 1)[1].split(")", 1)[0].split(",")]
    edited = False
    for i in range(start + 1, len(lines)):
        if lines[i] == "\\.":
            break
        fields = lines[i].split("\t")
        if fields[columns.index("action")] == "roll.freeze":
            fields[columns.index("actor")] = "某人"  # who froze the roll, rewritten
            lines[i] = "\t".join(fields)
            edited = True
            break
    assert edited
    plain.write_text("\n".join(lines), encoding="utf-8")
    target = new_database()
    loaded = subprocess.run(
        ["psql", "--quiet", "--no-psqlrc", "-v", "ON_ERROR_STOP=1", f"--dbname={libpq(target)}", f"--file={plain}"],
        capture_output=True,
        text=True,
    )
    assert loaded.returncode == 0, loaded.stderr

    check = ownersvote(secrets_env, target, restore_files(backup, tmp_path), "check", SLUG)
    assert check.returncode == 1, check.stdout
    assert "FAIL  [audit]" in check.stdout, check.stdout
    assert "does not match its hash" in check.stdout, check.stdout
    assert "problem(s) found" in check.stderr


def test_a_restore_with_a_changed_or_missing_file_fails_the_check(backup, restored, secrets_env, tmp_path):
    target, _files = restored
    files = restore_files(backup, tmp_path)
    stored = sorted(p for p in files.rglob("*") if p.is_file())
    scans = [p for p in stored if p.read_bytes().startswith(b"%PDF")]
    bundles = [p for p in stored if p.read_bytes().startswith(b"{")]
    assert scans
    assert bundles
    scans[0].write_bytes(scans[0].read_bytes().replace(b"%%EOF", b"%%EOF\n% changed"))
    bundles[0].unlink()
    check = ownersvote(secrets_env, target, files, "check", SLUG)
    assert check.returncode == 1, check.stdout
    assert "FAIL  [files]" in check.stdout
    assert "does not match its SHA-256" in check.stdout
    assert "the audit bundle of assembly" in check.stdout
    assert "is missing" in check.stdout
    assert "[audit]" not in check.stdout
    assert "[log]" not in check.stdout


def test_a_restore_without_the_servers_own_key_is_refused_at_start(restored, secrets_env):
    """The server key is part of the backup: with another one nothing the server signed would
    verify, so nothing starts on the copy (issue 18, item 1), naming the key it expected."""
    from crypto.keys import ed25519_from_seed

    target, files = restored
    other = {**secrets_env, "OWNERSVOTE_SERVER_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()}
    check = ownersvote(other, target, files, "check", SLUG)
    assert check.returncode == 2, check.stdout + check.stderr
    seed = base64.urlsafe_b64decode(secrets_env["OWNERSVOTE_SERVER_KEY"] + "=" * (-len(secrets_env["OWNERSVOTE_SERVER_KEY"]) % 4))
    assert f"this installation's key is {ed25519_from_seed(seed).kid}" in check.stderr
