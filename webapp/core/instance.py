"""The instance folder: a local run's SQLite file and development secrets live in it
(``OWNERSVOTE_INSTANCE_PATH``, by default ``./instance``)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

PREFIX = "OWNERSVOTE_"


def instance_path() -> Path:
    return Path(os.environ.get(PREFIX + "INSTANCE_PATH", Path.cwd() / "instance")).resolve()


def default_database_url() -> str:
    return f"sqlite:///{instance_path() / 'ownersvote.sqlite3'}"


def local_secret(name: str, make=lambda: secrets.token_hex(32)) -> str:
    """A secret kept in ``instance/NAME`` and generated on first use by ``make`` (development only)."""
    folder = instance_path()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    if not path.exists():
        # O_EXCL so that two processes starting at once cannot write different keys.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as fh:
                fh.write(make())
    return path.read_text().strip()
