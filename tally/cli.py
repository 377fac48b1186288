"""``ownersvote tally INPUT.json [--format json|text]`` (also ``python -m tally``).

Exit status: 0 with the result on stdout; 2 with a message on stderr and nothing on stdout when
the input cannot be read or is not a valid tally document.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from decimal import Decimal
from typing import Any, NoReturn

from . import compute, load_document, result_to_document
from .model import TallyInputError
from .text import render_text

EXIT_INVALID = 2


class _DocumentError(Exception):
    pass


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # json keeps the last of repeated keys silently; on a ballot that would pick one of two
    # contradictory marks, so a repeated key is an error.
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DocumentError(f'the key "{key}" appears twice in one object')
            seen.add(key)
    return obj


def _no_constant(name: str) -> Any:
    raise _DocumentError(f"{name} is not a number JSON allows")


def parse_json(text: str) -> Any:
    """Strict JSON: no repeated keys, no NaN/Infinity; non-integer numbers become Decimal (never
    float) so that a numeric area is refused with its exact spelling.

    A hook on every object finds repeated keys, but it costs a third of the standard parser's
    time on a whole estate's document.  So the document is parsed without it first, and the
    hook's parse runs only when a count cannot rule repeats out: every member of an object has
    one colon of its own outside any string, so the text's colons are the objects' members plus
    the colons inside strings, and a parsed object has fewer members than its text only when a
    key was repeated.  If the members of the parsed objects counted (``_members_parsed``) are as
    many as the colons, no key was repeated (and no string holds a colon)."""
    doc = json.loads(text, parse_float=Decimal, parse_constant=_no_constant)
    if _members_parsed(doc) == text.count(":"):
        return doc
    return json.loads(
        text,
        object_pairs_hook=_no_duplicate_keys,
        parse_float=Decimal,
        parse_constant=_no_constant,
    )


def _members_parsed(doc: Any) -> int:
    """The members of the parsed objects in ``doc``: all of them, except inside a ballot's marks
    and a member's values (where a valid document has none).  An object not counted only makes
    the sum smaller, which parse_json takes as a possible repeat: never the other way."""
    total = 0
    stack = [doc]
    while stack:
        value = stack.pop()
        if type(value) is dict:
            total += len(value)
            for key, inner in value.items():
                if value is doc and type(inner) is list and key in ("members", "ballots"):
                    total += _entries_parsed(inner, key == "ballots")
                elif type(inner) is dict or type(inner) is list:
                    stack.append(inner)
        elif type(value) is list:
            stack.extend(inner for inner in value if type(inner) is dict or type(inner) is list)
    return total


def _entries_parsed(entries: list[Any], ballots: bool) -> int:
    """The members of a whole estate's members or ballots (and of each ballot's choices), counted
    without visiting their values one by one."""
    if not ballots:
        return sum(len(m) for m in entries if type(m) is dict)
    return sum(len(b) + (len(c) if type(c := b.get("choices")) is dict else 0) for b in entries if type(b) is dict)


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while a document is parsed and tallied.

    Parsing and validating a large document allocates millions of small acyclic objects, and
    each full collection rescans all of them: with the collector running, the cost grows faster
    than the ballots (see docs/performance.md).  Nothing here creates reference cycles, so
    reference counting frees everything; the collector's previous state is restored.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _read(path: str) -> str:
    if path == "-":
        data = sys.stdin.buffer.read()
        name = "standard input"
    else:
        name = path
        with open(path, "rb") as f:
            data = f.read()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise _DocumentError(f"{name}: not UTF-8 text (byte {e.start})") from None


def _write(text: str) -> None:
    out = sys.stdout
    if hasattr(out, "buffer"):
        out.flush()
        out.buffer.write(text.encode("utf-8"))
        out.buffer.flush()
    else:  # pragma: no cover - a text-only stdout, e.g. some embedders
        out.write(text)


def main(argv: list[str] | None = None, prog: str = "ownersvote tally", *, exit_at_end: bool = False) -> int:
    """The command; returns its exit status.  ``exit_at_end`` (the command lines: ``ownersvote
    tally``, ``python -m tally``) ends the process from here instead, once the output is out."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description=(
            "Tally an owners' assembly (业主大会) under Civil Code Art. 278: quorum of 2/3 of area and heads, "
            "approval among participants by category. The input format is described in docs/tally-format.md."
        ),
        epilog="Exit status: 0 on success; 2 if the input cannot be read or is not a valid tally document.",
    )
    parser.add_argument("input", metavar="INPUT.json", help='the tally document, or "-" for standard input')
    parser.add_argument(
        "--format",
        choices=("json", "text"),
        default="json",
        help="json (default): the output document; text: a bilingual table per item",
    )
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # argparse has already printed usage and the error
        return int(e.code or 0) if not isinstance(e.code, str) else EXIT_INVALID

    def fail(message: str) -> int:
        print(f"{prog}: error: {message}", file=sys.stderr)
        return EXIT_INVALID

    try:
        text = _read(args.input)
    except OSError as e:
        return fail(f"cannot read {args.input}: {e.strerror or e}")
    except _DocumentError as e:
        return fail(str(e))
    with paused_gc():
        try:
            doc = parse_json(text)
        except json.JSONDecodeError as e:
            return fail(f"{args.input}: invalid JSON at line {e.lineno}, column {e.colno}: {e.msg}")
        except _DocumentError as e:
            return fail(f"{args.input}: invalid JSON: {e}")
        except RecursionError:
            return fail(f"{args.input}: invalid JSON: nested too deeply")
        try:
            result = compute(load_document(doc), processes=2)
        except TallyInputError as e:
            return fail(f"invalid tally document: {e}")

        if args.format == "text":
            out = render_text(result)
        else:
            out = json.dumps(result_to_document(result), ensure_ascii=False, indent=2, sort_keys=True) + "\n"
        with suppress(BrokenPipeError):  # e.g. piped into head: the reader has what it wanted
            _write(out)
        if exit_at_end:
            _exit_now(0)
    return 0


def _exit_now(status: int) -> NoReturn:
    """End the process with ``status``, its output flushed, without the interpreter's teardown.
    Freeing a large document's millions of objects one by one, and the collector's passes over
    them once it runs again, took a fifth of the command's time at 100,000 members
    (docs/performance.md); the process holds nothing else to release (its only file written is
    standard output, flushed here)."""
    for stream in (sys.stdout, sys.stderr):
        with suppress(BrokenPipeError, ValueError):  # a reader gone, or a stream already closed
            stream.flush()
    os._exit(status)
