"""OwnersVote web application."""

from __future__ import annotations


def create_app(config: dict | None = None):
    # Imported lazily so that ``ownersvote tally`` and ``verify`` never load Flask.
    from webapp.app import create_app as factory

    return factory(config)


__all__ = ["create_app"]
