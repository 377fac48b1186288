"""Who votes for whom: the member a registration votes for on an assembly's roll, and the
household's ballot once it has voted (the ballot page and the owner's page ask)."""

from __future__ import annotations

from sqlalchemy import select

from webapp.assemblies.models import Assembly
from webapp.core.db import db
from webapp.proxies.models import Proxy
from webapp.rolls.models import RollEntry
from webapp.voting.models import Ballot


def voter_member(assembly: Assembly, registration) -> tuple[str | None, str, str | None]:
    """(the member this registration votes for on the assembly's roll, as 'owner' or 'proxy',
    or None with the reason in English as a key for the page)."""
    if assembly.roll_id is None:
        return None, "owner", "no-roll"
    if registration.proxy_id is not None:
        proxy = db.session.get(Proxy, registration.proxy_id)
        if proxy is None or proxy.assembly_id != assembly.id or proxy.state != "approved":
            return None, "proxy", "not-this-assembly"
        ref, role = proxy.member_ref, "proxy"
    else:
        if not registration.can_vote or not registration.member_ref:
            return None, "owner", "not-representative"
        ref, role = registration.member_ref, "owner"
    member = db.session.scalar(select(RollEntry.member).where(RollEntry.roll_id == assembly.roll_id, RollEntry.member_ref == ref))
    return (member, role, None) if member else (None, role, "not-on-roll")


def household_ballot(assembly: Assembly, registration) -> Ballot | None:
    """The ballot that counts for the member this registration votes for (the owner's, their
    proxy's or a paper one: one ballot per household), or None before it has voted."""
    if assembly.roll_id is None:
        return None
    member, _role, _why = voter_member(assembly, registration)
    if member is None and registration.member_ref:
        # A co-owner, or an owner whose proxy votes: the household's member all the same.
        member = db.session.scalar(
            select(RollEntry.member).where(RollEntry.roll_id == assembly.roll_id, RollEntry.member_ref == registration.member_ref)
        )
    if member is None:
        return None
    return db.session.scalar(
        select(Ballot).where(Ballot.assembly_id == assembly.id, Ballot.member == member).order_by(Ballot.version.desc()).limit(1)
    )
