"""Is the configured server key a key the installation signs with now?

A server started with another key (one mistyped environment file) would sign ballots' tree heads,
notices and checkpoints that nobody's verifier accepts, and the damage would outlast the fix
(issue 18, item 1).  The installation's key set (webapp/core/serverkey.py) says which keys are
active; the configured key must be one of them.  At the installation's first start the set is
empty: the configured key is recorded as its first key, once the newest signed tree head, notice
and audit checkpoint are found to name it (or there are none).  Asked at start (``create_app``
refuses to build the app: web processes, ``ownersvote worker`` and the commands do not start)
and by ``/readyz``."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from webapp.assemblies.models import NoticeVersion
from webapp.audit.models import AuditCheckpoint
from webapp.core.db import db
from webapp.core.models import InstallationKey
from webapp.core.serverkey import active_keys, record_first_key, signer
from webapp.voting.models import TreeHead

SIGNED = (
    ("the newest tree head", TreeHead),
    ("the newest notice", NoticeVersion),
    ("the newest audit checkpoint", AuditCheckpoint),
)

HOW = "start with the installation's key; `ownersvote server-key` prints the configured key's id (docs/deployment.md, 'The server signing key')"


def named_keys() -> dict[str, str]:
    """What each newest signed object names as its key: description → key id."""
    named = {}
    for what, model in SIGNED:
        document = db.session.scalar(select(model.document).order_by(model.id.desc()).limit(1))
        kid = document.get("kid") if isinstance(document, dict) else None
        if kid:
            named[what] = kid
    return named


def first_key_problem(mine: str) -> str | None:
    """Before the installation has a key set: whether its newest signed objects name ``mine``."""
    wrong = {what: kid for what, kid in named_keys().items() if kid != mine}
    if not wrong:
        return None
    expected = sorted(set(wrong.values()))
    return (
        f"the configured server key (OWNERSVOTE_SERVER_KEY) has key id {mine}, but this installation's key is "
        f"{' or '.join(expected)} ({', '.join(f'{what} names {kid}' for what, kid in wrong.items())}): {HOW}"
    )


def server_key(app: Flask) -> str | None:
    """None when the configured key is an active key of the installation (recording it as the
    first key at the installation's first start); otherwise which key was expected, and why."""
    mine = signer().kid
    problem = record_first_key(signer())
    if problem:
        db.session.rollback()
        return problem
    db.session.commit()
    active = [k.kid for k in active_keys()]
    if mine in active:
        return None
    row = db.session.scalar(select(InstallationKey).where(InstallationKey.kid == mine))
    if row is None:
        why = f"{mine} is not in the installation's key set"
    elif row.retired_at is not None:
        why = f"{mine} was retired at {row.retired_at:%Y-%m-%d %H:%M:%S} UTC"
    elif row.not_before is None:
        why = f"{mine} was added but is not active yet: `ownersvote server-key activate {mine}` makes it active"
    else:
        why = f"{mine} is active only from {row.not_before:%Y-%m-%d %H:%M:%S} UTC"
    expected = (
        f"this installation's key is {active[0]}"
        if len(active) == 1
        else (f"this installation's active keys are {' and '.join(active)}" if active else "this installation has no active key")
    )
    return f"the configured server key (OWNERSVOTE_SERVER_KEY) has key id {mine}, but {expected} ({why}): {HOW}"
