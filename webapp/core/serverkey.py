"""The server's Ed25519 signing key: it signs notices, tree heads of the ballot logs, paper
ballots it records, tallies and audit checkpoints.  Its key id is published (every notice and
bundle names it) so that anyone can pin it when verifying.

Production reads the 32-byte secret from ``OWNERSVOTE_SERVER_KEY`` (base64url); development
generates one into ``instance/server_key`` on first use.  The key never reaches a browser.
"""

from __future__ import annotations

import base64
import os
import secrets

from flask import current_app

from crypto.keys import Signer, ed25519_from_seed
from webapp.core.instance import local_secret


class ServerKeyError(RuntimeError):
    pass


def _decode(text: str) -> bytes:
    raw = base64.urlsafe_b64decode(text.strip() + "=" * (-len(text.strip()) % 4))
    if len(raw) != 32:
        raise ServerKeyError(
            'OWNERSVOTE_SERVER_KEY must be 32 bytes, base64url (python -c "import secrets,base64; '
            'print(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())")'
        )
    return raw


def load_seed(production: bool) -> bytes:
    configured = os.environ.get("OWNERSVOTE_SERVER_KEY")
    if configured:
        return _decode(configured)
    if production:
        raise ServerKeyError("production mode needs OWNERSVOTE_SERVER_KEY (the server's Ed25519 signing key)")
    return _decode(local_secret("server_key", lambda: base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()))


def signer() -> Signer:
    """The app's server key (loaded once per app)."""
    app = current_app
    found = app.extensions.get("ownersvote_server_key")
    if found is None:
        found = ed25519_from_seed(load_seed(app.config.get("OWNERSVOTE_ENV") == "production"))
        app.extensions["ownersvote_server_key"] = found
    return found
