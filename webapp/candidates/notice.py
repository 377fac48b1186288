"""The candidates of an election as its notice lists them (registered in webapp.assemblies.hooks)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from webapp.assemblies.files import attachments_of
from webapp.candidates.models import Candidate
from webapp.core.db import db


def election_options(item) -> list[dict]:
    """The published candidates of an election, in the list's published order."""
    ids = list(item.candidates_published or [])
    found = {c.id: c for c in db.session.scalars(select(Candidate).where(Candidate.id.in_(ids)))} if ids else {}
    options = []
    for cid in ids:
        candidate = found.get(cid)
        if candidate is None:
            continue
        option: dict[str, Any] = {"id": candidate.ballot_id, "name": f"{candidate.name}（{candidate.units}）"}
        if candidate.statement:
            option["statement"] = candidate.statement
        files = attachments_of("candidate", candidate.id)
        if candidate.photo is not None:
            files.insert(0, {"name": candidate.photo.filename, "sha256": candidate.photo.sha256})
        if files:
            option["attachments"] = files
        options.append(option)
    return options
