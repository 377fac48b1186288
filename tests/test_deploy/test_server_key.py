"""A server started with the wrong key refuses to start (issue 18, item 1, first half): one
mistyped environment file on one machine would otherwise sign tree heads, notices and audit
checkpoints under a key nobody's verifier accepts.  Real processes: ``ownersvote worker`` and
gunicorn with ``webapp.app:create_app()``, as docs/deployment.md runs them, each told which key
id the installation expects."""

from __future__ import annotations

import base64
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from crypto.keys import ed25519_from_seed

ROOT = Path(__file__).resolve().parents[2]


def new_key() -> tuple[str, str]:
    seed = secrets.token_bytes(32)
    return base64.urlsafe_b64encode(seed).decode(), ed25519_from_seed(seed).kid


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
