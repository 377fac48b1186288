"""The ``ownersvote`` command.

The tally and the verifier live in the pure ``tally`` and ``crypto`` packages and parse their
own arguments (so they also run as ``python -m tally`` / ``python -m crypto.verify`` without
Flask); this group only forwards to them.  Commands that touch the database build the Flask app
lazily, so ``ownersvote tally`` never needs a configured database.
"""
from __future__ import annotations

import sys

import click


def _passthrough(name: str, help_text: str):
    """Forward every argument untouched to a pure package's own ``main(argv, prog)``."""

    def decorator(func):
        @main.command(
            name,
            help=help_text,
            add_help_option=False,
            context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
        )
        @click.argument("args", nargs=-1, type=click.UNPROCESSED)
        def command(args: tuple[str, ...]) -> None:
            sys.exit(func()(list(args), prog=f"ownersvote {name}"))

        return command

    return decorator


@click.group()
def main() -> None:
    """OwnersVote: owners' assemblies (业主大会) run end to end."""


@_passthrough("tally", "Tally an assembly from a JSON document (see docs/tally-format.md).")
def _tally():
    from tally.cli import main as tally_main

    return tally_main


@_passthrough("verify", "Verify an audit bundle offline (see docs/bundle-format.md).")
def _verify():
    from crypto.verify import main as verify_main

    return verify_main


@_passthrough("make-test-bundle", "Build a synthetic, fully valid audit bundle for tests and benchmarks.")
def _make_test_bundle():
    from crypto.testbundle import main as bundle_main

    return bundle_main


if __name__ == "__main__":  # pragma: no cover
    main()
