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
