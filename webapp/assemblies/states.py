"""The states of an assembly and what each allows: read by every package that acts on an
assembly, without the lifecycle's transitions (webapp.assemblies.lifecycle)."""

from __future__ import annotations

from webapp.assemblies.models import Assembly
from webapp.core.errors_base import UserError


class LifecycleError(UserError):
    pass


ORDER = ("draft", "notice", "voting", "closed", "tallied", "certified", "published", "archived")
STATE_LABELS = {
    "draft": ("草稿", "draft"),
    "notice": ("已发布公告", "notice published"),
    "voting": ("投票中", "voting open"),
    "closed": ("投票已结束", "voting closed"),
    "tallied": ("已计票", "tallied"),
    "certified": ("已核证", "certified"),
    "published": ("结果公示中", "results published"),
    "archived": ("已归档", "archived"),
}


def editable(assembly: Assembly) -> bool:
    """The agenda can change only before voting opens; after a notice, a change needs a new one."""
    return assembly.state in ("draft", "notice")


def touch(assembly: Assembly) -> None:
    """An edit of the working copy: once a notice is out, it makes the notice stale."""
    if assembly.state == "notice":
        assembly.notice_dirty = True


def state_label(state: str, zh: bool) -> str:
    label = STATE_LABELS.get(state, (state, state))
    return label[0] if zh else label[1]
