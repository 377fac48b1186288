"""The ``ownersvote`` command.

The tally and the verifier live in the pure ``tally`` and ``crypto`` packages and parse their
own arguments (so they also run as ``python -m tally`` / ``python -m crypto.verify`` without
Flask); this group only forwards to them.  Commands that touch the database live in
webapp.commands, loaded only when one of them runs, so ``ownersvote tally`` never loads Flask.
"""

from __future__ import annotations

import functools
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


class _Commands(click.Group):
    """The pure commands are defined here; the others, which need Flask and the database, come
    from webapp.commands, loaded only when one of them is asked for."""

    def _app_commands(self) -> dict[str, click.Command]:
        import webapp.commands  # late: loads Flask and the whole app, which `tally` and `verify` must run without

        return webapp.commands.commands.commands

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(self._app_commands()))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return super().get_command(ctx, cmd_name) or self._app_commands().get(cmd_name)


@click.group(cls=_Commands)
@click.version_option(package_name="ownersvote", prog_name="ownersvote", message="%(prog)s %(version)s")
def main() -> None:
    """OwnersVote: owners' assemblies (业主大会) run end to end."""


@_passthrough("tally", "Tally an assembly from a JSON document (see docs/tally-format.md).")
def _tally():
    from tally.cli import main  # late: each pure command loads only its own package (start-up is part of its time)

    return functools.partial(main, exit_at_end=True)  # (its output written, the process ends at once)


@_passthrough("verify", "Verify an audit bundle offline (see docs/bundle-format.md).")
def _verify():
    from crypto.verify import main  # late: each pure command loads only its own package (start-up is part of its time)

    return main


@_passthrough("verify-evaluation", "Recount a published owners' evaluation offline (see docs/evaluation-format.md).")
def _verify_evaluation():
    from crypto.evaluation import main  # late: each pure command loads only its own package (start-up is part of its time)

    return main


@_passthrough("verify-ranking", "Check a published ranking of firms, and the evaluation results it names (docs/evaluation-format.md).")
def _verify_ranking():
    from crypto.ranking import main  # late: each pure command loads only its own package (start-up is part of its time)

    return main


@_passthrough("verify-petition", "Check an exported owners' petition for an extraordinary meeting (docs/petition-format.md).")
def _verify_petition():
    from crypto.petition import main  # late: each pure command loads only its own package (start-up is part of its time)

    return main


@_passthrough(
    "verify-disclosure", "Check an estate's signed publication: fees, complaint channels, a statement (docs/disclosure-format.md)."
)
def _verify_disclosure():
    from crypto.disclosure import main  # late: each pure command loads only its own package (start-up is part of its time)

    return main


@_passthrough("make-test-bundle", "Build a synthetic, fully valid audit bundle for tests and benchmarks.")
def _make_test_bundle():
    from crypto.testbundle import main  # late: each pure command loads only its own package (start-up is part of its time)

    return main


if __name__ == "__main__":  # pragma: no cover
    main()
