"""The audit bundle: one versioned JSON document holding everything needed to check a result.

See docs/bundle-format.md for the normative description.  This module holds the constants,
the strict loader, and the helpers that both the producers (the web app, ``make-test-bundle``)
and the verifier use, so that they cannot drift apart.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from .canonical import loads_document
from .errors import CanonicalJSONError, FormatError

FORMAT = "ownersvote-bundle"
#: What producers write: version 3 lists the server's keys with their periods (``log.server_keys``,
#: a key rotation); version 2, one server key (``log.server_key``), is still read and checked.
VERSION = 3
VERSIONS = (2, 3)
TOP_LEVEL = (
    "format",
    "version",
    "synthetic",
    "estate",
    "assembly",
    "notice",
    "tally_input",
    "supervisors",
    "roll",
    "log",
    "tally",
    "certification",
)
#: Members a bundle may carry (absent when there is nothing to say): the roll's certified
#: supplements (crypto.supplement), when a key was added to the frozen roll or revoked.
OPTIONAL = ("supplements",)


def parse_document(data: bytes) -> Any:
    """Parse a bundle's (or a published roll's) bytes strictly: no duplicate keys, no floats
    (crypto.canonical.loads_document)."""
    was_enabled = gc.isenabled()
    gc.disable()  # millions of new objects, no cycles: the collector would only slow the parse
    try:
        return loads_document(data)
    except CanonicalJSONError as exc:
        raise FormatError(f"bundle is not acceptable JSON: {exc}") from exc
    finally:
        if was_enabled:
            gc.enable()


def load_bundle(source: str | Path | bytes) -> dict[str, Any]:
    """Read a bundle file (or bytes) and check its header."""
    # check_header refuses anything but a JSON object.
    bundle: dict[str, Any] = parse_document(source if isinstance(source, bytes) else Path(source).read_bytes())
    check_header(bundle)
    return bundle


def check_header(bundle: Any) -> None:
    if not isinstance(bundle, dict):
        raise FormatError("a bundle is a JSON object")
    if bundle.get("format") != FORMAT:
        raise FormatError(f"not an OwnersVote audit bundle (format is {bundle.get('format')!r}, expected {FORMAT!r})")
    version = bundle.get("version")
    if isinstance(version, bool) or version not in VERSIONS:
        raise FormatError(f"bundle version {version!r} is not supported (this verifier reads versions {', '.join(map(str, VERSIONS))})")
    missing = [k for k in TOP_LEVEL if k not in bundle]
    if missing:
        raise FormatError(f"bundle lacks {', '.join(missing)}")
    unknown = sorted(k for k in bundle if k not in TOP_LEVEL and k not in OPTIONAL)
    if unknown:
        # Every member is bound by a signature or derived from one; an extra member is
        # something nobody signed, so the bundle is refused rather than its member ignored.
        raise FormatError(f"bundle has members no signature covers: {', '.join(unknown)}")


def log_members(version: int) -> set[str]:
    """The members of the ``log`` section: one server key in version 2, the key set in version 3."""
    return {"id", "server_key" if version == 2 else "server_keys", "entries", "tree_heads"}


def supervisor_record(jwk: Mapping[str, Any]) -> dict[str, Any]:
    """A supervisor key as the bundle lists it: key id and public key, no name (a name is not
    something a signature in the bundle covers; the estate publishes who holds which key)."""
    from .keys import jwk_thumbprint, public_jwk

    normal = public_jwk(jwk)
    return {"kid": jwk_thumbprint(normal), "jwk": normal}


def by_kid(records: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Supervisor keys and signatures in the one order a bundle lists them: by key id, in code-point
    order (docs/bundle-format.md §5, §7, §10), so a list has a single spelling."""
    return sorted((dict(r) for r in records), key=lambda r: str(r["kid"]))


def tree_head_record(sth: Mapping[str, Any], consistency_to_final: Sequence[bytes]) -> dict[str, Any]:
    """A tree head as the bundle stores it: the signed head and its proof against the final head."""
    return {"sth": dict(sth), "consistency_to_final": [h.hex() for h in consistency_to_final]}


def make_bundle(
    *,
    notice: Mapping[str, Any],
    supervisors: Iterable[Mapping[str, Any]],
    roll: Mapping[str, Any],
    log: Mapping[str, Any],
    tally: Mapping[str, Any],
    certification: Mapping[str, Any],
    supplements: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """Put the parts together in the documented order.  ``estate``, ``assembly``,
    ``tally_input`` and ``synthetic`` are derived from the signed notice (the verifier derives
    them again and refuses a difference)."""
    from .notice import assembly_summary, tally_input

    bundle = {
        "format": FORMAT,
        "version": VERSION,
        "synthetic": notice["synthetic"],
        "estate": dict(notice["estate"]),
        "assembly": assembly_summary(notice),
        "notice": dict(notice),
        "tally_input": tally_input(notice),
        "supervisors": [dict(s) for s in supervisors],
        "roll": dict(roll),
        "log": dict(log),
        "tally": dict(tally),
        "certification": dict(certification),
    }
    if supplements:
        bundle["supplements"] = [dict(s) for s in supplements]
    return bundle


def tally_document(bundle: Mapping[str, Any], counted: Iterable[tuple[str, Mapping[str, Any]]]) -> dict[str, Any]:
    """The tally engine's input, rebuilt from primary evidence only.

    Members come from the frozen roll (member id, area, heads), items and rules from the
    bundle's ``tally_input``, ballots from ``counted``: (member id, choices) of the ballots the
    verifier itself decided to count.  No stored tally input is trusted.
    """
    tally_input = bundle["tally_input"]
    doc: dict[str, Any] = {
        "members": [{"id": e["member"], "area": e["area"], "heads": e["heads"]} for e in bundle["roll"]["entries"]],
        "items": tally_input["items"],
        "ballots": [{"member": m, "choices": dict(c)} for m, c in counted],
    }
    if "rules" in tally_input:
        doc["rules"] = tally_input["rules"]
    return doc
