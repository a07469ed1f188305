"""Quota and rate-limit response headers: the X-Quota-* trio and the IETF draft
``RateLimit-Policy`` / ``RateLimit`` fields (draft-ietf-httpapi-ratelimit-headers)."""
from __future__ import annotations

from datetime import datetime


def limit_headers(limit: int, used: int, reset_at: datetime, reset_seconds: int, window_seconds: int) -> dict[str, str]:
    """Headers describing one limited window.

    ``X-Quota-Reset`` is the reset moment in epoch seconds; ``RateLimit``'s ``reset`` is seconds from now.
    """
    remaining = max(0, limit - used)
    return {
        "X-Quota-Limit": str(limit),
        "X-Quota-Remaining": str(remaining),
        "X-Quota-Reset": str(int(reset_at.timestamp())),
        "RateLimit-Policy": f"{limit};w={window_seconds}",
        "RateLimit": f"limit={limit}, remaining={remaining}, reset={reset_seconds}",
    }


def refusal_headers(limit: int, used: int, reset_at: datetime, reset_seconds: int, window_seconds: int) -> dict[str, str]:
    """Headers of a 429: the window's headers plus ``Retry-After`` (seconds until the reset)."""
    return {"Retry-After": str(reset_seconds), **limit_headers(limit, used, reset_at, reset_seconds, window_seconds)}
