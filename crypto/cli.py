"""What the offline checkers' command lines share."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .errors import CryptoError, FormatError
from .keys import jwk_thumbprint

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


def check_signed_file(
    argv: Sequence[str] | None,
    *,
    prog: str,
    description: str,
    what: str,
    check: Callable[[Any], str],
) -> int:
    """The command line of an offline checker of one server-signed document (an evaluation result,
    an estate's publication): read FILE, hold it to ``--server-key KID`` when given (the key the
    platform published), run ``check`` (which raises :class:`CryptoError` at the first fault and
    returns what to say after "OK — ").  Exit 0 when it holds, 1 when it fails, 2 when it cannot
    be read."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("document", metavar="FILE", help=f"the {what} as published (JSON)")
    parser.add_argument(
        "--server-key", metavar="KID", help=f"require the {what} to be signed by this key id (as the platform published it)"
    )
    args = parser.parse_args(key_values_joined(sys.argv[1:] if argv is None else argv))
    try:
        document = json.loads(Path(args.document).read_bytes())
    except (OSError, ValueError) as exc:
        print(f"{prog}: cannot read {args.document}: {exc}", file=sys.stderr)
        return 2
    try:
        if args.server_key and (not isinstance(document, dict) or jwk_thumbprint(document.get("server") or {}) != args.server_key):
            raise FormatError(f"the {what} is not signed by the pinned server key {args.server_key}")
        said = check(document)
    except CryptoError as exc:
        print(f"{prog}: {args.document}: FAILED — {exc}", file=sys.stderr)
        return 1
    except (KeyError, TypeError, AttributeError) as exc:
        print(f"{prog}: {args.document}: FAILED — malformed: {exc!r}", file=sys.stderr)
        return 1
    print(f"{prog}: {args.document}: OK — {said}")
    return 0
