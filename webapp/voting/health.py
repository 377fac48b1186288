"""Is the configured server key the installation's?  The newest signed tree head, the newest
published notice and the newest audit checkpoint name the key that signed them; a server started
with another key (one mistyped environment file) would sign ballots' tree heads, notices and
checkpoints that nobody's verifier accepts, and the damage would outlast the fix (issue 18,
item 1).  Asked at start (``create_app`` refuses to build the app: web processes and ``ownersvote
worker`` do not start) and by ``/readyz``."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from webapp.assemblies.models import NoticeVersion
from webapp.audit.models import AuditCheckpoint
from webapp.core.db import db
from webapp.core.serverkey import signer
from webapp.voting.models import TreeHead

SIGNED = (
    ("the newest tree head", TreeHead),
    ("the newest notice", NoticeVersion),
    ("the newest audit checkpoint", AuditCheckpoint),
)


def named_keys() -> dict[str, str]:
    """What each newest signed object names as its key: description → key id."""
    named = {}
    for what, model in SIGNED:
        document = db.session.scalar(select(model.document).order_by(model.id.desc()).limit(1))
        kid = document.get("kid") if isinstance(document, dict) else None
        if kid:
            named[what] = kid
    return named


def server_key(app: Flask) -> str | None:
    """None when the configured key is the one the installation's newest signed objects name;
    otherwise which key id was expected, and by what."""
    mine = signer().kid
    wrong = {what: kid for what, kid in named_keys().items() if kid != mine}
    if not wrong:
        return None
    expected = sorted(set(wrong.values()))
    return (
        f"the configured server key (OWNERSVOTE_SERVER_KEY) has key id {mine}, but this installation's key is "
        f"{' or '.join(expected)} ({', '.join(f'{what} names {kid}' for what, kid in wrong.items())}): start with the "
        "installation's key; `ownersvote server-key` prints the configured key's id (docs/deployment.md, 'The server key')"
    )
