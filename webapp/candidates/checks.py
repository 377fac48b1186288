"""The candidates' part of an assembly's legal checks (registered in webapp.assemblies.hooks):
an election's notice needs its vetted list, published as it stands; voting needs enough
approved candidates for the seats."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from webapp.assemblies.kinds import kind_of
from webapp.candidates.models import Candidate
from webapp.candidates.operations import approved_ids, list_problems, shortfall
from webapp.core.db import db


def notice_problems(item, now: datetime) -> list[tuple[str, str]]:
    if not kind_of(item.form).takes_nominations:
        return []
    problems = list_problems(item, now)
    if item.candidates_published and set(item.candidates_published) != set(approved_ids(item)):
        problems.append(
            (
                f"“{item.title}”：候选人名单在公示后有变化，请重新公示",
                f"'{item.title}': the approved candidates changed after the list was published; publish it again",
            )
        )
    return problems


def opening_blockers(assembly) -> list[tuple[str, str]]:
    return [missing for item in assembly.items if kind_of(item.form).takes_nominations and (missing := shortfall(item))]


def removal_problems(item) -> list[tuple[str, str]]:
    if db.session.scalar(select(func.count(Candidate.id)).where(Candidate.item_id == item.id)):
        return [("这个选举事项已有提名，不能删除", "this election already has nominations and cannot be removed")]
    return []
