"""When the demo's assemblies open and close: the short one (``ownersvote demo --closes-in``) on a
whole minute, since every page and the command show times to the minute; the others at whole
hours of the estate's day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from webapp.demo.assemblies import _local, closing_time

NOW = datetime(2026, 12, 7, 8, 32, 17, tzinfo=UTC)


def test_a_close_in_whole_minutes_falls_on_the_next_whole_minute_after_it():
    assert closing_time(NOW, timedelta(minutes=5)) == datetime(2026, 12, 7, 8, 38, tzinfo=UTC)


def test_a_close_in_whole_minutes_from_a_whole_minute_is_exact():
    assert closing_time(NOW.replace(second=0), timedelta(minutes=5)) == datetime(2026, 12, 7, 8, 37, tzinfo=UTC)


def test_a_close_in_seconds_is_kept_as_given():
    assert closing_time(NOW, timedelta(seconds=30)) == NOW + timedelta(seconds=30)


# --- the other demo assemblies: whole hours of the estate's day --------------------------------

SHANGHAI = ZoneInfo("Asia/Shanghai")
ANY_NOW = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC))


def test_a_demo_assembly_opens_at_nine_in_the_morning_in_the_estates_zone():
    # 08:32 UTC is 16:32 in Shanghai on 7 December: the day before, at nine there, is 01:00 UTC.
    assert _local(NOW, "Asia/Shanghai", -1, 9) == datetime(2026, 12, 6, 1, tzinfo=UTC)
    assert _local(NOW, "Asia/Shanghai", 14, 20) == datetime(2026, 12, 21, 12, tzinfo=UTC)


def test_after_midnight_there_the_estates_date_is_the_next_day():
    late = datetime(2026, 12, 7, 17, 36, tzinfo=UTC)  # 01:36 on 8 December in Shanghai
    assert _local(late, "Asia/Shanghai", 0, 9).astimezone(SHANGHAI) == datetime(2026, 12, 8, 9, tzinfo=SHANGHAI)


@given(ANY_NOW)
def test_the_open_demo_assembly_has_opened_before_its_ballots_whatever_the_hour(now):
    # The demo casts the open assembly's ballots twelve hours before its start.
    opens = _local(now, "Asia/Shanghai", -1, 9)
    assert opens <= now - timedelta(hours=12)
    assert opens.astimezone(SHANGHAI).hour == 9
