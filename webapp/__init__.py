"""OwnersVote web application."""

from __future__ import annotations


def create_app(config: dict | None = None):
    from webapp.app import create_app as factory  # late: importing webapp must not load Flask (tally, verify)

    return factory(config)


__all__ = ["create_app"]
