"""``ownersvote tally`` and ``python -m tally``: output, exit status 2 and silence on bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tally import tally_document
from tally.cli import main

from .helpers import doc, election, members, resolution, selection

OWNERSVOTE = Path(sys.executable).with_name("ownersvote")
COMMANDS = {
    "ownersvote": [str(OWNERSVOTE), "tally"],
    "python -m tally": [sys.executable, "-m", "tally"],
}

GOOD = doc(
    members("100.00", "120.50", "80.25", ("3000.00", 1)),
    [resolution(2, "q1"), election(["c1", "c2"], 1, item_id="q2"), selection(["f1", "f2"], item_id="q3")],
    {
        "m0": {"q1": "agree", "q2": ["c1"], "q3": ["f1"]},
        "m1": {"q1": "agree", "q2": ["c1"], "q3": ["f1"]},
        "m3": {"q1": "agree", "q2": ["c1"], "q3": ["f1"]},
    },
)


def run(cmd: str, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*COMMANDS[cmd], *args], input=stdin, capture_output=True, timeout=60)


@pytest.fixture
def good_file(tmp_path):
    p = tmp_path / "in.json"
    p.write_text(json.dumps(GOOD), encoding="utf-8")
    return p


@pytest.mark.parametrize("cmd", COMMANDS)
def test_json_output_is_the_output_document(cmd, good_file):
    r = run(cmd, str(good_file))
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out == tally_document(GOOD)
    assert out["items"]["q1"]["passed"] is True
    assert out["items"]["q2"]["elected"] == ["c1"]
    assert out["items"]["q3"]["winner"] == "f1"
    assert r.stderr == b""


@pytest.mark.parametrize("cmd", COMMANDS)
def test_malformed_document_exits_2_with_nothing_on_stdout(cmd, tmp_path):
    bad = json.loads(json.dumps(GOOD))
    bad["members"][2]["area"] = "12.345"
    p = tmp_path / "bad.json"
    p.write_text(json.dumps(bad))
    r = run(cmd, str(p))
    assert r.returncode == 2
    assert r.stdout == b""
    assert 'members[2].area: "12.345" has more than two decimals' in r.stderr.decode()


def test_text_format_is_a_bilingual_table(good_file):
    r = run("ownersvote", str(good_file), "--format", "text")
    assert r.returncode == 0
    text = r.stdout.decode("utf-8")
    assert "通过 PASSED" in text
    assert "同意 Agree" in text
    assert "当选 elected 1" in text
    assert "选定 WINNER" in text


def test_reads_standard_input():
    r = run("python -m tally", "-", stdin=json.dumps(GOOD).encode())
    assert r.returncode == 0
    assert json.loads(r.stdout) == tally_document(GOOD)


def test_output_is_byte_identical_across_runs(good_file):
    assert run("python -m tally", str(good_file)).stdout == run("python -m tally", str(good_file)).stdout


BAD_TEXTS = {
    "invalid JSON": (b'{"members": [', "invalid JSON at line 1"),
    "repeated key": (b'{"members": [], "items": [], "ballots": [], "items": []}', 'the key "items" appears twice'),
    "NaN": (b'{"members": [{"id": "a", "area": NaN}], "items": [], "ballots": []}', "NaN"),
    "numeric area": (b'{"members": [{"id": "a", "area": 89.50}], "items": [], "ballots": []}', "members[0].area"),
    "not UTF-8": ('{"members": [{"id": "业主"}]}'.encode("gbk"), "not UTF-8"),
    "not an object": (b"[]", "document: must be an object"),
    "second ballot": (
        json.dumps(doc(members("1", "2"), [], [{"member": "m1", "choices": {}}, {"member": "m1", "choices": {}}])).encode(),
        "ballots[1]: second ballot for member m1",
    ),
    "looser rule": (
        json.dumps(doc(members("1"), [], {}, {"thresholds": {"6": {"approval": {"at_least": "2/3"}}}})).encode(),
        "rules.thresholds.6.approval: looser than the statute (at least 3/4)",
    ),
}


@pytest.mark.parametrize("name", BAD_TEXTS)
def test_unusable_input_exits_2_with_a_message(name, tmp_path, capsys):
    data, message = BAD_TEXTS[name]
    p = tmp_path / "in.json"
    p.write_bytes(data)
    assert main([str(p)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert message in captured.err
    assert captured.err.startswith("ownersvote tally: error: ")


def test_missing_file_exits_2(tmp_path, capsys):
    assert main([str(tmp_path / "nope.json")]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "cannot read" in captured.err


def test_bad_format_option_exits_2(good_file, capsys):
    assert main([str(good_file), "--format", "xml"]) == 2
    assert capsys.readouterr().out == ""


def test_help_exits_0(capsys):
    assert main(["--help"]) == 0
    assert "INPUT.json" in capsys.readouterr().out


@pytest.mark.parametrize("cmd", COMMANDS)
def test_an_output_larger_than_a_pipe_reaches_the_reader_whole(cmd, tmp_path):
    # The command ends its process itself once the output is written (tally.cli._exit_now):
    # every byte must be flushed first, well past a pipe's 64 KiB.
    many = doc(
        members("100.00", "120.50", "80.25", ("3000.00", 1)),
        [resolution(2, f"q{i}") for i in range(300)],
        {"m0": {"q0": "agree"}, "m1": {"q1": "disagree"}, "m3": {}},
    )
    p = tmp_path / "many.json"
    p.write_text(json.dumps(many), encoding="utf-8")
    r = run(cmd, str(p))
    assert r.returncode == 0, r.stderr
    assert len(r.stdout) > 64 * 1024
    assert json.loads(r.stdout) == tally_document(many)
