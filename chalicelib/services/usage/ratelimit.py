"""Per-key request rate limit: a fixed one-minute window counter per API key (TTL'd),
limit from the plan (``requests_per_minute``)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib import clock
from chalicelib.errors import RateLimited
from chalicelib.plans import plan_limits
from chalicelib.services.usage import headers, periods
from chalicelib.store import usage as store

WINDOW_SECONDS = 60
KEEP_SECONDS = 120  # the window item lives a little past its minute, then TTL removes it


def per_minute(plan: str) -> int:
    """Requests a key may make per minute on this plan."""
    return plan_limits(plan).requests_per_minute


def window_ttl(at: datetime | None = None) -> int:
    return int(periods.minute_end(at).timestamp()) + KEEP_SECONDS


def rate_entry(key_id: str, plan: str, at: datetime | None = None) -> dict[str, Any]:
    """A TransactWriteItems entry counting one request of ``key_id`` in the current window."""
    return store.rate_entry(key_id, periods.minute_of(at), per_minute(plan), window_ttl(at))


def hit(key_id: str, plan: str) -> int:
    """Count one request now (one conditional write); 429 rate_limited when the window is full."""
    now = clock.now()
    try:
        return store.rate_consume(key_id, periods.minute_of(now), per_minute(plan), window_ttl(now))
    except store.LimitReached:
        raise rate_error(key_id, plan, used=per_minute(plan), at=now) from None


def window_headers(plan: str, used: int, at: datetime | None = None) -> dict[str, str]:
    """Headers describing the current window after ``used`` requests."""
    now = at or clock.now()
    reset_at = periods.minute_end(now)
    return headers.limit_headers(per_minute(plan), used, reset_at, periods.seconds_until(reset_at, now), WINDOW_SECONDS)


def rate_error(key_id: str, plan: str, *, used: int | None = None, at: datetime | None = None) -> RateLimited:
    """The 429 ``rate_limited`` with Retry-After (to the next window) and the window's headers."""
    now = at or clock.now()
    limit = per_minute(plan)
    current = store.rate_used(key_id, periods.minute_of(now)) if used is None else used
    reset_at = periods.minute_end(now)
    seconds = periods.seconds_until(reset_at, now)
    return RateLimited(
        f"Rate limit of {limit} requests a minute for this API key reached; retry in {seconds} s.",
        details={"limit": limit, "windowSeconds": WINDOW_SECONDS, "keyId": key_id, "resetsAt": clock.iso(reset_at)},
        headers=headers.refusal_headers(limit, current, reset_at, seconds, WINDOW_SECONDS),
    )
