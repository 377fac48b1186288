"""What the pool's pages ask of packages above it.

The pool list shows each firm's latest ranking score and band (红黑榜), which only
`webapp.rankings` (above the pool) knows: it registers its answer here from its ``init_app``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class StandingLine:
    """One estate's line of a ranking: its name, the score as shown (or None: not scored), the band."""

    estate: str
    shown: str | None
    band: str | None


@dataclass(frozen=True)
class Standing:
    """A firm's lines in the latest published ranking that names it."""

    ranking_id: int
    period_title: str
    lines: list[StandingLine] = field(default_factory=list)


Standings = Callable[[list], dict[int, Standing]]
_standings: list[Standings] = []


def answer_standings(answer: Standings) -> None:
    """``answer(firms)`` returns {firm id: Standing} for the firms a published ranking names."""
    _standings[:] = [answer]


def standings(firms: list) -> dict[int, Standing]:
    if not _standings:
        raise RuntimeError("no package answers the firms' standings (webapp.rankings.init_app)")
    return _standings[0](firms)
