"""Is the shared file store mounted here?  (issue 18, item 7)

The file store (``OWNERSVOTE_FILES_PATH``: attachments and audit bundles) and the job files folder
(``OWNERSVOTE_JOB_FILES``: job results) are shared by every app machine, usually over NFS.  A
machine whose share is not mounted sees an empty local folder: alone, it must not decide that a
file is missing for everyone, nor write files nobody else will see.

So each store carries a marker at its root, ``.ownersvote-store``, written when the installation
is initialised (``ownersvote init``).  A machine that does not find it takes the store for not
mounted: ``/readyz`` answers 503 with the reason, uploads and job results are refused with a
clear message, and nothing is recorded as missing or deleted.  A folder the installation owns
locally (inside the instance folder, or any folder outside production mode) is marked at the
first start instead: there is nothing to mount there.
"""

from __future__ import annotations

import logging
from pathlib import Path

from webapp.core.instance import instance_path

log = logging.getLogger(__name__)

STORE_MARKER = ".ownersvote-store"
_TEXT = "OwnersVote {what}: this folder is the installation's shared store (see docs/deployment.md)\n"


def mark(root: Path, what: str = "file store") -> None:
    """Write the marker (and the folder) if it is not there yet."""
    marker = root / STORE_MARKER
    if not marker.is_file():
        root.mkdir(parents=True, exist_ok=True, mode=0o700)
        marker.write_text(_TEXT.format(what=what), encoding="utf-8")


def mounted(root: Path) -> bool:
    return (root / STORE_MARKER).is_file()


def not_mounted(root: Path) -> str:
    """The reason, for /readyz and the log."""
    return (
        f"{root} is not the shared store: its marker {STORE_MARKER} is missing (not mounted on this machine, or "
        "`ownersvote init` was never run)"
    )


def local(root: Path, production: bool) -> bool:
    """Whether the installation owns this folder on this machine: nothing to mount there."""
    if not production:
        return True
    try:
        return root.resolve().is_relative_to(instance_path())
    except OSError:
        return False


def mark_if_local(root: Path, *, production: bool, what: str) -> None:
    """At start: mark a local store; say so in the log when a shared one is not mounted."""
    if mounted(root):
        return
    if local(root, production):
        try:
            mark(root, what)
        except OSError as exc:
            log.warning("could not mark the %s %s: %s", what, root, exc)
        return
    log.error("the %s is not reachable from this machine: %s", what, not_mounted(root))
