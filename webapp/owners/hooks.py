"""What the owners' pages ask of packages above them.

A letter may be issued to a proxy (委托代理人) rather than to the unit's owners: whose identity the
letter's holder must prove is then known to `webapp.proxies`, which stands above `owners` and
registers its check here from its ``init_app``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

ProxyIdentity = Callable[..., Any]
_proxy_identity: list[ProxyIdentity] = []


def answer_proxy_identity(check: ProxyIdentity) -> None:
    """``check(invitation, name, id_tail, *, pii_key)`` returns the approved proxy the letter
    was issued to when the name and ID tail match, else None."""
    _proxy_identity[:] = [check]


def proxy_identity(invitation, name: str, id_tail: str, *, pii_key: str):
    if not _proxy_identity:
        raise RuntimeError("no package checks the identity of proxies (webapp.proxies.init_app)")
    return _proxy_identity[0](invitation, name, id_tail, pii_key=pii_key)
