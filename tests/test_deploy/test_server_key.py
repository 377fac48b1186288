"""A server started with the wrong key refuses to start (issue 18, item 1, first half): one
mistyped environment file on one machine would otherwise sign tree heads, notices and audit
checkpoints under a key nobody's verifier accepts.  Real processes: ``ownersvote worker`` and
gunicorn with ``webapp.app:create_app()``, as docs/deployment.md runs them, each told which key
id the installation expects."""

from __future__ import annotations

import base64
import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from crypto.keys import ed25519_from_seed

ROOT = Path(__file__).resolve().parents[2]


def new_key(kid_starts: str = "") -> tuple[str, str]:
    """A new secret and its key id (one whose id begins with ``kid_starts``: one key in 64 has
    an id beginning with "-")."""
    while True:
        seed = secrets.token_bytes(32)
        kid = ed25519_from_seed(seed).kid
        if kid.startswith(kid_starts):
            return base64.urlsafe_b64encode(seed).decode(), kid


@pytest.fixture
def installation(tmp_path):
    """An installation whose objects are signed by its key: an estate created (its audit chain's
    first event gets a signed checkpoint)."""
    from webapp.core.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'keys.sqlite3'}"
    upgrade(url)
    secret, kid = new_key()
    env = {k: v for k, v in os.environ.items() if not k.startswith("OWNERSVOTE_")}
    env.update(OWNERSVOTE_DATABASE_URL=url, OWNERSVOTE_INSTANCE_PATH=str(tmp_path / "instance"), OWNERSVOTE_SERVER_KEY=secret)
    created = ownersvote(env, "estate", "create", "--slug", "keys", "--name", "钥匙小区")
    assert created.returncode == 0, created.stderr
    return env, kid


def ownersvote(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "webapp.cli", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def test_a_worker_with_another_key_refuses_to_start_and_names_the_expected_key(installation):
    env, kid = installation
    wrong, wrong_kid = new_key()
    result = ownersvote({**env, "OWNERSVOTE_SERVER_KEY": wrong, "OWNERSVOTE_REDIS_URL": "redis://127.0.0.1:1/0"}, "worker", "--burst")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "refusing to start" in result.stderr
    assert f"has key id {wrong_kid}, but this installation's key is {kid}" in result.stderr
    assert "Traceback" not in result.stderr
    # With the installation's key, the same command starts (here: the integrity check runs).
    right = ownersvote(env, "check", "keys")
    assert right.returncode == 0, right.stdout + right.stderr


def test_gunicorn_with_another_key_refuses_to_start(installation):
    env, kid = installation
    wrong, _ = new_key()
    gunicorn = Path(sys.executable).with_name("gunicorn")
    result = subprocess.run(
        [str(gunicorn), "--bind", "127.0.0.1:0", "--workers", "1", "webapp.app:create_app()"],
        cwd=ROOT,
        env={**env, "OWNERSVOTE_SERVER_KEY": wrong},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode != 0
    assert f"this installation's key is {kid}" in result.stdout + result.stderr


def test_check_with_another_key_refuses_at_once_naming_the_expected_key(installation):
    """``ownersvote check`` was a diagnostic: with the wrong key it reported every signature of
    the installation as failing (2,072 lines).  It refuses instead, in one sentence (exit 2)."""
    env, kid = installation
    wrong, wrong_kid = new_key()
    result = ownersvote({**env, "OWNERSVOTE_SERVER_KEY": wrong}, "check", "keys")
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stdout == ""
    assert "FAIL" not in result.stderr
    assert f"has key id {wrong_kid}, but this installation's key is {kid}" in result.stderr
    assert f"{wrong_kid} is not in the installation's key set" in result.stderr


def test_a_rotation_by_the_commands_the_deployment_guide_gives(installation):
    """docs/deployment.md, "Rotating the server key": generate, add, activate, move the machines
    over (both keys start meanwhile), retire the old key; then only the new key starts, and a
    machine left on the old one is refused, naming the new key."""
    env, old_kid = installation
    generated = ownersvote(env, "server-key", "--generate")
    assert generated.returncode == 0, generated.stderr
    secret = generated.stdout.strip().removeprefix("OWNERSVOTE_SERVER_KEY=")
    jwk = next(line.split(": ", 1)[1] for line in generated.stderr.splitlines() if line.startswith("# public key"))
    new_kid = ed25519_from_seed(base64.urlsafe_b64decode(secret + "=" * (-len(secret) % 4))).kid
    new_env = {**env, "OWNERSVOTE_SERVER_KEY": secret}

    added = ownersvote(env, "server-key", "add", jwk)
    assert added.returncode == 0, added.stderr
    assert f"added {new_kid}: not in use yet" in added.stdout
    early = ownersvote(new_env, "check", "keys")  # added, not active: a machine with it does not start
    assert early.returncode == 2
    assert f"{new_kid} was added but is not active yet: `ownersvote server-key activate {new_kid}`" in early.stderr

    activated = ownersvote(env, "server-key", "activate", new_kid)
    assert activated.returncode == 0, activated.stderr
    for machine in (env, new_env):  # both keys active while the machines move over
        assert ownersvote(machine, "check", "keys").returncode == 0
    listed = ownersvote(new_env, "server-key", "list")
    assert f"{old_kid}  active   from the start, in use" in listed.stdout
    assert f"{new_kid}  active   from " in listed.stdout
    assert "(configured here)" in listed.stdout.splitlines()[1]

    retired = ownersvote(new_env, "server-key", "retire", old_kid)
    assert retired.returncode == 0, retired.stderr
    assert f"{old_kid} retired at " in retired.stdout
    again = ownersvote(new_env, "server-key", "retire", new_kid)  # never the last active key
    assert again.returncode == 1
    assert "the only active key" in again.stderr
    published = json.loads(ownersvote(new_env, "server-key", "list", "--json").stdout)
    assert [(k["kid"], k["state"], k["not_before"] == 0, k["retired_at"] is None) for k in published] == [
        (old_kid, "retired", True, False),
        (new_kid, "active", False, True),
    ]

    left_behind = ownersvote({**env, "OWNERSVOTE_REDIS_URL": "redis://127.0.0.1:1/0"}, "worker", "--burst")
    assert left_behind.returncode == 2
    assert f"has key id {old_kid}, but this installation's key is {new_kid} ({old_kid} was retired at " in left_behind.stderr
    checked = ownersvote(new_env, "check", "keys")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "everything checked matches what was signed" in checked.stdout
    events = ownersvote(new_env, "audit-check", "keys")
    assert events.returncode == 0, events.stderr


def test_a_key_id_beginning_with_a_dash_is_activated_and_retired_by_the_commands_as_printed(installation):
    """CI found it: a key id is base64url, one in 64 begins with "-", and `server-key activate
    -O_15…` was refused as an unknown option "-O" although `add` had printed that very command."""
    env, _ = installation
    secret, kid = new_key(kid_starts="-")
    jwk = json.dumps(ed25519_from_seed(base64.urlsafe_b64decode(secret)).jwk)
    added = ownersvote(env, "server-key", "add", jwk)
    assert added.returncode == 0, added.stderr
    printed = added.stdout.split("`")[1].split()
    assert printed == ["ownersvote", "server-key", "activate", kid]
    activated = ownersvote(env, *printed[1:])
    assert activated.returncode == 0, activated.stderr
    assert activated.stdout.startswith(f"{kid} is in use from ")
    retired = ownersvote({**env, "OWNERSVOTE_SERVER_KEY": secret}, "server-key", "retire", kid)
    assert retired.returncode == 0, retired.stderr
    assert retired.stdout.startswith(f"{kid} retired at ")
