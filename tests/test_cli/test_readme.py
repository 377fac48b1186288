import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    setup = text.split("## Set up", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.+?)\n```", setup)


def test_the_readme_starts_with_exactly_two_set_up_commands():
    commands = readme_commands()
    assert len(commands) == 2
    assert "ownersvote demo" in commands[0]
    assert "pytest" in commands[1]


def test_ci_runs_the_readmes_test_command_unchanged():
    assert readme_commands()[1] in (ROOT / ".ci/run").read_text().splitlines()
