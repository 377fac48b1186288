"""Job kinds: what a job does and who may start it, see it and download its result.

Adding a kind is one function and one registration::

    from webapp.jobs.kinds import job_kind

    @job_kind("registry.apply", title=_l("Apply a registry"), start={Role.organiser}, view={Role.organiser})
    def apply_registry(ctx: JobContext, params: dict) -> None:
        plan = ...                                   # read what the job needs
        db.session.rollback()                        # end the reading transaction (SQLite: see below)
        ctx.progress(0, len(plan.units), "正在应用", "Applying")
        ctx.begin_writing()                          # then read what changes and change it,
        ...                                          # in db.session, not committed
        ctx.save_result("report.csv", data, "text/csv")   # optional

and, when the module is new, an import of it in its package's ``init_app`` (so that web processes
and workers, which both build the app, load it).  The runner calls the function in an application context; ``ctx.progress`` commits in a
transaction of its own, and the runner commits the function's database changes together with the
job's ``done`` state (or rolls them back if the function raises).  A
:class:`~webapp.core.errors_base.UserError` becomes the job's bilingual error as it is; any other
exception is logged and shown as an unexpected failure.

On SQLite (the demo, tests, small sites) a transaction that has read cannot write once another
connection has committed, and progress is written by another connection: so progress waits while
the function's session holds a transaction, and ``ctx.begin_writing()`` opens the writing
transaction with a write.  There the heartbeat comes with progress (or ``ctx.beat()``), so a
function reports something at least every minute; on PostgreSQL a thread beats on its own.  The
same code runs on both.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from webapp.core.roles import Role

# (job context, parameters) -> None; the context is a webapp.jobs.context.JobContext, named here
# only in words so that kinds, the runner and the context do not import each other.
JobFunction = Callable[[Any, dict], None]


@dataclass(frozen=True)
class JobKind:
    name: str
    title: Any  # a lazy string (_l), shown in the reader's language
    run: JobFunction
    start: frozenset[Role]  # roles that may start (and retry) it in their estate
    view: frozenset[Role]  # roles that may see it and download its result
    admin: bool = False  # platform admins may start and see it too
    timeout: timedelta = timedelta(minutes=30)
    # How long a result file is kept; None keeps it.  Files with secrets keep it short.
    result_ttl: timedelta | None = None
    delete_after_download: bool = False  # remove the file at its first complete download
    describe: Callable[[dict], str] | None = None  # a line about its parameters, for people
    back_endpoint: str | None = None  # the page it was started from (gets ``slug=``)
    back_args: Callable[[dict], dict] | None = None  # more of that page's address, from the params
    back_title: Any = None  # that page's name, when it is not the job's title
    notes: tuple = field(default=())  # lazy strings shown on the job page

    def may_start(self, role: Role | None, admin: bool) -> bool:
        return (role is not None and role in self.start) or (admin and self.admin)

    def may_view(self, role: Role | None, admin: bool) -> bool:
        return (role is not None and role in self.view) or (admin and self.admin)

    def back(self, slug: str, params: dict) -> tuple[str, Any] | None:
        """The address and name of the page the job was started from, or None."""
        from flask import url_for

        if not self.back_endpoint:
            return None
        try:
            extra = self.back_args(params) if self.back_args else {}
        except (KeyError, TypeError, ValueError):  # parameters of an older version of the job
            return None
        return url_for(self.back_endpoint, slug=slug, **extra), self.back_title or self.title

    def label(self, params: dict) -> str:
        return self.describe(params) if self.describe else ""


def assembly_page(params: dict) -> dict:
    """``back_args`` of a job about one assembly: its page takes the assembly's id."""
    return {"assembly_id": int(params["assembly_id"])}


KINDS: dict[str, JobKind] = {}


def register(kind: JobKind) -> JobKind:
    if kind.name in KINDS and KINDS[kind.name].run is not kind.run:
        raise ValueError(f"job kind {kind.name!r} is already registered")
    KINDS[kind.name] = kind
    return kind


def unregister(name: str) -> None:
    KINDS.pop(name, None)


def job_kind(name: str, *, title, start: Iterable[Role], view: Iterable[Role], **options) -> Callable[[JobFunction], JobFunction]:
    """Register the decorated function ``(job_context, params)`` as the job kind ``name``."""

    def decorator(func: JobFunction) -> JobFunction:
        register(JobKind(name=name, title=title, run=func, start=frozenset(start), view=frozenset(view), **options))
        return func

    return decorator


def get_kind(name: str) -> JobKind | None:
    return KINDS.get(name)


def visible_kinds(role: Role | None, admin: bool) -> list[str]:
    return [name for name, kind in KINDS.items() if kind.may_view(role, admin)]
