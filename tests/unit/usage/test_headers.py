"""Quota header formats (X-Quota-* and the IETF draft RateLimit fields)."""
from __future__ import annotations

from datetime import datetime, timezone

from chalicelib.services.usage import headers

RESET = datetime(2026, 12, 1, tzinfo=timezone.utc)


def test_refusal_headers():
    assert headers.refusal_headers(10, 10, RESET, 3600, 2592000) == {
        "Retry-After": "3600",
        "X-Quota-Limit": "10",
        "X-Quota-Remaining": "0",
        "X-Quota-Reset": str(int(RESET.timestamp())),
        "RateLimit-Policy": "10;w=2592000",
        "RateLimit": "limit=10, remaining=0, reset=3600",
    }


def test_remaining_never_negative():
    assert headers.limit_headers(10, 12, RESET, 5, 60)["X-Quota-Remaining"] == "0"
