"""The pure packages type-check under ``mypy --strict`` (configuration: [tool.mypy] in pyproject.toml).

tally and crypto are what the offline verifier runs, with no web app around them to catch a
wrong type at run time; a lapse fails the suite here rather than in an auditor's hands.
"""

import importlib.util
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("tally", "crypto")


def test_the_pure_packages_type_check_strictly(tmp_path):
    assert importlib.util.find_spec("mypy"), "mypy is in the test extra: pip install -e '.[test]'"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--config-file",
            str(ROOT / "pyproject.toml"),
            "--cache-dir",
            str(tmp_path / "mypy-cache"),  # leave no cache in the tree
            *PACKAGES,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, (
        f"mypy --strict found type errors in {', '.join(PACKAGES)} (exit {result.returncode}); "
        f"run `python -m mypy` at the repository root to see them:\n{result.stdout}{result.stderr}"
    )
