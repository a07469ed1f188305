"""Closing a period: write each organization's history record and put a TTL on the old counters.

Counters are keyed by period, so quotas reset at 00:00 UTC on the 1st whether or not this runs;
closing only archives. Both writes are conditional, so running it twice changes nothing.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from chalicelib import clock
from chalicelib.logs import logger
from chalicelib.plans import Metric, plan_limits
from chalicelib.services.usage import periods
from chalicelib.store import orgs
from chalicelib.store import usage as store

COUNTER_KEEP = timedelta(days=90)  # closed counters stay readable this long after their period
MONTHLY = [m.value for m in Metric if m is not Metric.STORAGE_BYTES]


class PeriodOpen(ValueError):
    """The period has not ended yet."""


def default_period() -> str:
    """The period a run on the 1st closes: the previous month."""
    return periods.previous_period(periods.period_of())


def close_period(period: str | None = None) -> dict[str, Any]:
    """Close ``period`` (default: the previous month) for every organization; a summary of what changed."""
    period = period or default_period()
    if not periods.is_period(period):
        raise ValueError(f"not a period (YYYY-MM): {period!r}")
    if periods.period_end(period) > clock.now():
        raise PeriodOpen(f"period {period} has not ended yet")
    summary = {"period": period, "organizations": 0, "historyWritten": 0, "countersExpired": 0}
    for org in orgs.list_orgs():
        written, expired = close_org(str(org["orgId"]), str(org.get("plan", "FREE")), period)
        summary["organizations"] += 1
        summary["historyWritten"] += int(written)
        summary["countersExpired"] += expired
    logger.info("usage period closed", extra=summary)
    return summary


def close_org(org_id: str, plan: str, period: str) -> tuple[bool, int]:
    """Write one organization's history record (once) and expire its counters; (written, expired)."""
    counts = store.counters(org_id, period)
    limits = plan_limits(plan)
    record = {
        "plan": plan.upper(),
        "metrics": {name: counts.get(name, 0) for name in MONTHLY},
        "limits": {name: limits.limit(Metric(name)) for name in MONTHLY},
        "storageBytes": store.gauge(org_id),
        "closedAt": clock.iso(),
    }
    written = store.put_history(org_id, period, record)
    ttl = int((periods.period_end(period) + COUNTER_KEEP).timestamp())
    return written, store.expire_counters(org_id, period, ttl)
