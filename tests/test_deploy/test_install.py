"""`pip install .` as docs/deployment.md says (not editable): the installed `ownersvote` runs its
migrations from inside the install, with no source tree beside it, and says which it ran."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_non_editable_install_creates_the_schema_and_names_each_migration(tmp_path):
    wheels = tmp_path / "wheels"
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(wheels), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = wheels.glob("ownersvote-*.whl")
    # A fresh environment: the wheel's files, and the test environment's dependencies (by a
    # path line, so that the test environment's editable install of this checkout is not seen).
    site = tmp_path / "site"
    installed = subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site), str(wheel)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert installed.returncode == 0, installed.stderr
    assert (site / "ownersvote_migrations" / "versions").is_dir()
    assert not (site / "migrations").exists()
    program = (
        "import sys, site; sys.path[:] = [p for p in sys.path if 'site-packages' not in p]; "
        f"sys.path.insert(0, {str(site)!r}); sys.path.append({sysconfig.get_paths()['purelib']!r}); "
        "import webapp; assert webapp.__file__.startswith(sys.path[0]), webapp.__file__; "
        "from webapp.cli import main; main(['init'])"
    )
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {"OWNERSVOTE_INSTANCE_PATH": str(work / "instance"), "PATH": "/usr/bin:/bin"}
    first = subprocess.run([sys.executable, "-I", "-c", program], cwd=work, env=env, capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "migrated: fe553b763962" in first.stdout
    assert "database ready" in first.stdout
    again = subprocess.run([sys.executable, "-I", "-c", program], cwd=work, env=env, capture_output=True, text=True, timeout=300)
    assert "no migration to run" in again.stdout, again.stdout + again.stderr


def test_the_version_is_the_packages():
    from importlib.metadata import version

    shown = subprocess.run([sys.executable, "-m", "webapp.cli", "--version"], capture_output=True, text=True, timeout=120)
    assert shown.stdout.strip() == f"ownersvote {version('ownersvote')}"
