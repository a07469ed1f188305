"""UTC month periods and rate windows, with an injected clock."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from chalicelib import clock
from chalicelib.services.usage import periods

UTC = timezone.utc


def test_last_second_of_november_and_first_of_december_are_different_periods():
    with clock.frozen(datetime(2026, 11, 30, 23, 59, 59, tzinfo=UTC)):
        before = periods.period_of()
        assert periods.seconds_until(periods.next_reset()) == 1
    with clock.frozen(datetime(2026, 12, 1, 0, 0, 0, tzinfo=UTC)):
        after = periods.period_of()
    assert (before, after) == ("2026-11", "2026-12")


def test_period_is_utc_whatever_the_offset():
    tokyo = timezone(timedelta(hours=9))
    assert periods.period_of(datetime(2026, 12, 1, 8, 59, tzinfo=tokyo)) == "2026-11"


@pytest.mark.parametrize("period,nxt,prev", [("2026-12", "2027-01", "2026-11"), ("2026-01", "2026-02", "2025-12")])
def test_neighbours_across_year_ends(period, nxt, prev):
    assert periods.next_period(period) == nxt
    assert periods.previous_period(period) == prev


def test_period_lengths_and_recent_periods():
    assert periods.period_seconds("2026-11") == 30 * 86400
    assert periods.period_seconds("2028-02") == 29 * 86400
    assert periods.recent_periods(3, datetime(2026, 1, 5, tzinfo=UTC)) == ["2026-01", "2025-12", "2025-11"]


@pytest.mark.parametrize("value,ok", [("2026-11", True), ("2026-13", False), ("2026-1", False), ("nope", False)])
def test_is_period(value, ok):
    assert periods.is_period(value) is ok


def test_minute_windows():
    at = datetime(2026, 11, 30, 23, 59, 59, 500000, tzinfo=UTC)
    assert periods.minute_of(at) == "202611302359"
    assert periods.minute_end(at) == datetime(2026, 12, 1, tzinfo=UTC)
    assert periods.seconds_until(periods.minute_end(at), at) == 1
