"""What waits for a member of an estate's staff: a roll or a supplement to sign, a tally to
certify, candidates to vet.  Those live in packages above `estates` (rolls, results, candidates):
each registers here, from its ``init_app`` and by name, a function saying what of its own waits
for a given user, and the start page and the estate's home page show the list (the template
global ``staff_tasks``).  A supervisor signing in sees what needs them without searching."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask_login import current_user

from webapp.core.roles import Role, is_staff
from webapp.estates.models import Estate


@dataclass(frozen=True)
class Task:
    text: str  # what waits, in the reader's language
    url: str  # the page where it is done


# (estate, staff user, their role in the estate) -> the tasks of one package
Provider = Callable[[Estate, Any, Role], list[Task]]
_PROVIDERS: dict[str, Provider] = {}


def register(name: str, provider: Provider) -> None:
    # By name: building the app again (tests build many) replaces the answer, never doubles it.
    _PROVIDERS[name] = provider


def tasks_for(estate: Estate, user, role: Role | None) -> list[Task]:
    if role is None:
        return []
    return [task for provider in _PROVIDERS.values() for task in provider(estate, user, role)]


def staff_tasks(estate: Estate) -> list[Task]:
    """The signed-in staff member's tasks in ``estate`` (none for anyone else)."""
    if not is_staff():
        return []
    return tasks_for(estate, current_user, current_user.role_in(estate.id))
