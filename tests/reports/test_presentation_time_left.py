"""How deadlines read in the triage queue."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from vigil.reports.presentation import time_left

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def test_time_left_and_overdue_read_plainly() -> None:
    assert time_left(NOW + timedelta(minutes=14, seconds=30), NOW) == "14 min left"
    assert time_left(NOW + timedelta(hours=3, minutes=5), NOW) == "3 h 05 min left"
    assert time_left(NOW + timedelta(days=2, hours=1), NOW) == "2 days 1 h left"
    assert time_left(NOW - timedelta(days=1, hours=2), NOW) == "1 day 2 h overdue"
    assert time_left(NOW - timedelta(minutes=5), NOW) == "5 min overdue"
