"""The identity check at registration: who, among the unit's holders, is this person?  Pure."""

from __future__ import annotations

import hmac
import unicodedata
from dataclasses import dataclass

from webapp.core.identity import keyed_hash, normalize_id


def normalize_name(name: str) -> str:
    # Full-width letters and spaces typed on Chinese keyboards should not fail an honest owner.
    return "".join(unicodedata.normalize("NFKC", name).split()).replace("·", "").replace("•", "")


@dataclass(frozen=True)
class HolderFacts:
    holder_id: int
    name: str
    id_tail_hash: str


def match_holder(holders: list[HolderFacts], name: str, id_tail: str, pii_key: str) -> HolderFacts | None:
    """The holder whose name and last six identity characters both match, compared through the
    keyed hash (the registry keeps no identity number in clear)."""
    tail = normalize_id(id_tail)
    if len(tail) != 6:
        return None
    tail_hash = keyed_hash(pii_key, tail, purpose="id-tail")
    wanted = normalize_name(name)
    found = None
    for holder in holders:
        # compare_digest on every holder so that timing does not reveal which part matched
        tail_ok = hmac.compare_digest(holder.id_tail_hash, tail_hash)
        if tail_ok and normalize_name(holder.name) == wanted and found is None:
            found = holder
    return found
