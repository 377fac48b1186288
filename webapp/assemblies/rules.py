"""The calendar and the seats of an assembly: a voting window that makes sense, the notice period
before it, and the size of a committee.  Pure: no database, no request.
"""

from __future__ import annotations

from datetime import datetime, timedelta

MIN_WINDOW = timedelta(hours=1)
# No assembly is announced more than a year ahead or votes for more than three months: beyond
# those, the date is a typing slip (2062 for 2026), caught before a notice names it.
MAX_LEAD = timedelta(days=366)
MAX_WINDOW = timedelta(days=92)


def window_problems(opens: datetime, closes: datetime, now: datetime) -> list[tuple[str, str]]:
    """What is wrong with a voting window (none if it is fine)."""
    problems = []
    if closes <= opens:
        problems.append(("投票截止时间必须晚于开始时间", "voting must close after it opens"))
    elif closes - opens < MIN_WINDOW:
        problems.append(("投票时间至少需要一小时", "the voting window must be at least one hour long"))
    elif closes - opens > MAX_WINDOW:
        problems.append(
            ("投票时间不能超过三个月：请检查截止日期", "the voting window may last at most three months: check the closing date")
        )
    if opens <= now:
        problems.append(("投票开始时间已经过去", "the voting window opens in the past"))
    elif opens - now > MAX_LEAD:
        problems.append(("投票开始时间在一年以后：请检查年份", "voting would open more than a year from now: check the year"))
    return problems


def first_allowed_opening(published_at: datetime, notice_days: int) -> datetime:
    """The earliest voting may open after a notice (version) is published."""
    return published_at + timedelta(days=notice_days)


def seats_problem(seats: int | None, by_election: bool) -> tuple[str, str] | None:
    """A whole committee has 5 to 11 members, an odd number; a by-election fills any number."""
    if seats is None or seats < 1:
        return ("请填写席位数", "give the number of seats")
    if by_election:
        return None if seats <= 11 else ("补选席位不能超过 11 个", "a by-election fills at most 11 seats")
    if not 5 <= seats <= 11 or seats % 2 == 0:
        return ("业主委员会由 5 至 11 名委员组成，且须为单数", "a whole committee has 5 to 11 members, an odd number")
    return None
