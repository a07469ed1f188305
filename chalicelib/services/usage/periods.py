"""UTC calendar-month periods. Counters are keyed by period, so a new month starts at
zero by construction — the roll-over job only archives, it never resets."""
from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone

from chalicelib import clock

MINUTE = 60


def period_of(at: datetime | None = None) -> str:
    """The period key (``2026-11``) of a moment, UTC."""
    at = (at or clock.now()).astimezone(timezone.utc)
    return f"{at.year:04d}-{at.month:02d}"


def period_start(period: str) -> datetime:
    """First instant of a period."""
    year, month = (int(part) for part in period.split("-"))
    return datetime(year, month, 1, tzinfo=timezone.utc)


def next_period(period: str) -> str:
    """The period after ``period``."""
    start = period_start(period)
    return f"{start.year + start.month // 12:04d}-{start.month % 12 + 1:02d}"


def previous_period(period: str) -> str:
    """The period before ``period``."""
    start = period_start(period)
    return period_of(start - timedelta(days=1))


def period_end(period: str) -> datetime:
    """First instant of the next period (exclusive end)."""
    return period_start(next_period(period))


def recent_periods(count: int, at: datetime | None = None) -> list[str]:
    """The ``count`` most recent periods, newest (the current one) first."""
    periods = [period_of(at)]
    while len(periods) < count:
        periods.append(previous_period(periods[-1]))
    return periods


def is_period(value: str) -> bool:
    """Whether ``value`` is a well-formed period key."""
    try:
        return period_of(period_start(value)) == value and len(value) == 7
    except (ValueError, TypeError):
        return False


def next_reset(at: datetime | None = None) -> datetime:
    """When the current period's quotas reset."""
    return period_end(period_of(at))


def seconds_until(moment: datetime, at: datetime | None = None) -> int:
    """Whole seconds from now (or ``at``) until ``moment``; at least 1 (a Retry-After of 0 invites a storm)."""
    delta = (moment - (at or clock.now())).total_seconds()
    return max(1, math.ceil(delta))


def period_seconds(period: str) -> int:
    """Length of a period in seconds (the window of its RateLimit-Policy)."""
    return int((period_end(period) - period_start(period)).total_seconds())


def minute_of(at: datetime | None = None) -> str:
    """The fixed rate-limit window key (``202611302359``), UTC."""
    return (at or clock.now()).astimezone(timezone.utc).strftime("%Y%m%d%H%M")


def minute_end(at: datetime | None = None) -> datetime:
    """First instant of the next rate-limit window."""
    at = (at or clock.now()).astimezone(timezone.utc)
    return at.replace(second=0, microsecond=0) + timedelta(minutes=1)
