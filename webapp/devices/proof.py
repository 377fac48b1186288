"""A key is stored only with its proof of possession: the browser signs a one-time challenge
(webapp.core.challenges) with the new private key, and the server checks it before storing."""

from __future__ import annotations

from flask import request

from webapp.core import challenges
from webapp.core.db import db
from webapp.core.errors import json_error
from webapp.core.views import posted_json
from webapp.devices import operations as device_ops


def origin() -> str:
    """The origin a browser's proof names: this site's own."""
    return request.host_url.rstrip("/")


def register_posted_key(purpose: str, **holder):
    """Verify the posted proof of possession and store the key for ``holder`` (a registration
    or a staff member).  Returns an error response, or None when the key was added."""
    data = posted_json()
    jwk, signature, label = data.get("jwk"), data.get("signature"), data.get("label")
    if not isinstance(jwk, dict) or not isinstance(signature, str) or not isinstance(label, (str, type(None))):
        return json_error(challenges.ProofError("请求格式不正确", "malformed request: jwk (object), signature and label (text) expected"))
    try:
        challenges.verify_proof(purpose, jwk, signature, origin(), data.get("challenge"))
        device_ops.add_device_key(jwk=jwk, label=(label or "").strip()[:200] or None, **holder)
    except (challenges.ProofError, device_ops.DeviceKeyError) as exc:
        db.session.rollback()
        return json_error(exc)
    db.session.commit()
    return None
