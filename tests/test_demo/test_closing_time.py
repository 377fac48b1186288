"""When the demo's short assembly closes (``ownersvote demo --closes-in``): every page and the
command show times to the minute, so a close given in minutes falls on a whole minute."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from webapp.demo.assemblies import closing_time

NOW = datetime(2026, 12, 7, 8, 32, 17, tzinfo=UTC)


def test_a_close_in_whole_minutes_falls_on_the_next_whole_minute_after_it():
    assert closing_time(NOW, timedelta(minutes=5)) == datetime(2026, 12, 7, 8, 38, tzinfo=UTC)


def test_a_close_in_whole_minutes_from_a_whole_minute_is_exact():
    assert closing_time(NOW.replace(second=0), timedelta(minutes=5)) == datetime(2026, 12, 7, 8, 37, tzinfo=UTC)


def test_a_close_in_seconds_is_kept_as_given():
    assert closing_time(NOW, timedelta(seconds=30)) == NOW + timedelta(seconds=30)
