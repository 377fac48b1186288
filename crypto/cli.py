"""What the offline checkers' command lines share."""

from __future__ import annotations

from collections.abc import Sequence

KEY_OPTIONS = ("--server-key", "--supervisor-key")


def key_values_joined(argv: Sequence[str]) -> list[str]:
    """``--server-key KID`` as ``--server-key=KID``: a key id is base64url and begins with "-" once
    in 64, which argparse would otherwise take for an option (and exit 2, "expected one argument")."""
    out: list[str] = []
    i = 0
    while i < len(argv):
        if argv[i] in KEY_OPTIONS and i + 1 < len(argv):
            out.append(f"{argv[i]}={argv[i + 1]}")
            i += 2
        else:
            out.append(argv[i])
            i += 1
    return out
