"""Readiness: is the configured server key the installation's?  The newest signed tree head and
the newest published notice name the key that signed them; a server started with another key
would sign what nobody's verifier accepts (issue 18)."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from webapp.assemblies.models import NoticeVersion
from webapp.core.db import db
from webapp.core.serverkey import signer
from webapp.voting.models import TreeHead


def server_key(app: Flask) -> str | None:
    mine = signer().kid
    named = {}
    head = db.session.scalars(select(TreeHead).order_by(TreeHead.id.desc()).limit(1)).first()
    if head is not None:
        named["the newest tree head"] = head.document.get("kid")
    notice = db.session.scalars(select(NoticeVersion).order_by(NoticeVersion.id.desc()).limit(1)).first()
    if notice is not None:
        named["the newest notice"] = notice.document.get("kid")
    wrong = [f"{what} names {kid}" for what, kid in named.items() if kid and kid != mine]
    if wrong:
        return f"the configured server key is {mine}, but " + " and ".join(wrong)
    return None
