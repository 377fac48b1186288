"""The offline checkers take a pinned key id that begins with "-" (one key in 64 has one)."""

from __future__ import annotations

import pytest

from crypto import evaluation as ev
from crypto import petition as pt
from crypto import ranking as rk
from crypto.keys import generate_ed25519
from crypto.verify import main as verify_main


def dash_signer():
    while True:
        signer = generate_ed25519()
        if signer.kid.startswith("-"):
            return signer


@pytest.mark.parametrize(
    "main", [verify_main, ev.main, rk.main, pt.main], ids=["verify", "verify-evaluation", "verify-ranking", "verify-petition"]
)
def test_a_pinned_key_id_beginning_with_a_dash_is_read_as_the_key_not_as_an_option(main, tmp_path, capsys):
    missing = tmp_path / "missing.json"
    assert main([str(missing), "--server-key", dash_signer().kid]) == 2  # argparse would exit instead
    assert "cannot read" in capsys.readouterr().err


def test_ownersvote_verify_takes_any_published_document_and_hands_it_to_its_checker(tmp_path, capsys):
    """An evaluation result, a ranking, a petition export or a publication of the open accounts:
    `ownersvote verify FILE` checks each with its own checker (issue 20: verify recounts them)."""
    import json

    from tests.test_crypto.test_evaluation_format import ANSWERS, _world

    server, payload = _world(ANSWERS)
    path = tmp_path / "result.json"
    path.write_text(json.dumps(ev.sign_result(server, payload)))
    assert verify_main(["--server-key", server.kid, str(path)]) == 0
    assert "ownersvote verify-evaluation" in capsys.readouterr().out
    tampered = json.loads(path.read_text())
    tampered["issued"] += 1
    path.write_text(json.dumps(tampered))
    assert verify_main([str(path)]) == 1
    assert "FAILED" in capsys.readouterr().err
