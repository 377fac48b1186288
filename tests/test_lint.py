"""Lint findings and unformatted code fail the suite (ruff; rules and exceptions in pyproject.toml)."""

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _ruff() -> str:
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    assert ruff, "ruff is in the test extra: pip install -e '.[test]'"
    return ruff


def test_the_code_has_no_undefined_names_unused_imports_or_syntax_errors():
    result = subprocess.run([_ruff(), "check", "--no-cache", str(ROOT)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_code_is_laid_out_as_ruff_format_lays_it_out():
    result = subprocess.run([_ruff(), "format", "--check", "--no-cache", str(ROOT)], capture_output=True, text=True)
    assert result.returncode == 0, "run `ruff format .` to fix:\n" + result.stdout + result.stderr
