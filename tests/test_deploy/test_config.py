"""Deployment settings (docs/deployment.md): the proxy hops the app believes, the shared file store,
and a production server that refuses to start without its signing key."""

from __future__ import annotations

import base64
import secrets

import pytest

from webapp.core.config import ConfigError, Settings

STRONG = {
    "OWNERSVOTE_SECRET_KEY": "s" * 40,
    "OWNERSVOTE_PII_HMAC_KEY": "p" * 40,
    "OWNERSVOTE_DATABASE_URL": "sqlite:///x.sqlite3",
    "OWNERSVOTE_SMS_BACKEND": "http",
    "OWNERSVOTE_SMS_URL": "https://sms.example/send",
}


@pytest.fixture
def production(monkeypatch, instance_dir):
    monkeypatch.setenv("OWNERSVOTE_ENV", "production")
    for name, value in STRONG.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("OWNERSVOTE_SERVER_KEY", raising=False)
    return monkeypatch


def test_production_refuses_to_start_without_a_valid_server_key(production):
    with pytest.raises(ConfigError, match="OWNERSVOTE_SERVER_KEY"):
        Settings.from_env()
    production.setenv("OWNERSVOTE_SERVER_KEY", base64.urlsafe_b64encode(secrets.token_bytes(16)).decode())
    with pytest.raises(ConfigError, match="32 bytes"):
        Settings.from_env()
    production.setenv("OWNERSVOTE_SERVER_KEY", "not base64 at all!")
    with pytest.raises(ConfigError, match="OWNERSVOTE_SERVER_KEY"):
        Settings.from_env()
    production.setenv("OWNERSVOTE_SERVER_KEY", base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("="))
    assert Settings.from_env().production


def test_files_path_and_proxy_hops_come_from_the_environment(monkeypatch, instance_dir, tmp_path):
    monkeypatch.setenv("OWNERSVOTE_FILES_PATH", str(tmp_path / "files"))
    monkeypatch.setenv("OWNERSVOTE_PROXY_HOPS", "1")
    config = Settings.from_env().flask_config()
    assert config["OWNERSVOTE_FILES_PATH"] == str(tmp_path / "files")
    assert config["OWNERSVOTE_PROXY_HOPS"] == 1
    monkeypatch.delenv("OWNERSVOTE_PROXY_HOPS")
    assert Settings.from_env().flask_config()["OWNERSVOTE_PROXY_HOPS"] == 0
    for wrong in ("-1", "two", "9"):
        monkeypatch.setenv("OWNERSVOTE_PROXY_HOPS", wrong)
        with pytest.raises(ConfigError, match="OWNERSVOTE_PROXY_HOPS"):
            Settings.from_env()


@pytest.fixture(scope="module")
def migrated(tmp_path_factory, instance_dir):
    from webapp.core.migrate import upgrade

    url = f"sqlite:///{tmp_path_factory.mktemp('proxy') / 'proxy.sqlite3'}"
    upgrade(url)
    return url


def _scans(app, addresses: list[str], count: int) -> list[int]:
    client = app.test_client()
    token = secrets.token_urlsafe(32)
    return [
        client.get(f"/r/{token}", headers={"X-Forwarded-For": address, "X-Forwarded-Proto": "https"}).status_code
        for address in addresses
        for _ in range(count)
    ]


@pytest.mark.parametrize("hops", [0, 1])
def test_rate_limits_key_on_the_forwarded_client_address_only_behind_a_trusted_proxy(migrated, hops):
    """Behind nginx every request comes from the proxy's address; with OWNERSVOTE_PROXY_HOPS=1 the
    limit (30 scans a minute) holds per client, without it one client's scans block everybody."""
    from webapp import create_app
    from webapp.core.db import db
    from webapp.core.extensions import limiter

    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": migrated,
            "OWNERSVOTE_PROXY_HOPS": hops,
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_STORAGE_URI": "memory://",
        }
    )
    with app.app_context():
        limiter.reset()
    first = _scans(app, ["198.51.100.7"], 31)
    assert first[:30] == [303] * 30
    assert first[30] == 429
    other = _scans(app, ["198.51.100.8"], 1)
    assert other == ([303] if hops else [429])
    with app.app_context():
        limiter.reset()
        db.engine.dispose()


def test_production_refuses_the_console_sms_backend_that_logs_the_codes(production):
    production.setenv("OWNERSVOTE_SERVER_KEY", base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())
    production.delenv("OWNERSVOTE_SMS_BACKEND")
    with pytest.raises(ConfigError, match="OWNERSVOTE_SMS_BACKEND=http"):
        Settings.from_env()
    production.setenv("OWNERSVOTE_SMS_BACKEND", "http")
    production.delenv("OWNERSVOTE_SMS_URL")
    with pytest.raises(ConfigError, match="OWNERSVOTE_SMS_URL"):
        Settings.from_env()
