"""What ``GET /v1/usage`` and ``/v1/usage/history`` show, and internal metering by event id."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from chalicelib import clock
from chalicelib.errors import IdempotencyConflict, InvalidInput
from chalicelib.plans import Metric, plan_limits
from chalicelib.services.usage import periods
from chalicelib.services.usage.quota import limit_for, quota_error
from chalicelib.services.usage.rollover import MONTHLY
from chalicelib.store import transact
from chalicelib.store import usage as store

WARNINGS = (100, 90, 80)
EVENT_KEEP = timedelta(days=400)  # an event id is remembered past any sensible retry


def metric_view(used: int, limit: int | None) -> dict[str, Any]:
    """used / limit / remaining / percent / warning of one metric."""
    if limit is None:
        return {"used": used, "limit": None, "remaining": None, "percent": None, "warning": None}
    percent = round(used * 100 / limit, 1) if limit else 100.0
    warning = next((w for w in WARNINGS if used * 100 >= w * limit), None)
    return {"used": used, "limit": limit, "remaining": max(0, limit - used), "percent": percent, "warning": warning}


def current(org_id: str, plan: str) -> dict[str, Any]:
    """The current period of an organization, every metric."""
    period = periods.period_of()
    counts = store.counters(org_id, period)
    limits = plan_limits(plan)
    metrics = {name: metric_view(counts.get(name, 0), limits.limit(Metric(name))) for name in MONTHLY}
    metrics[Metric.STORAGE_BYTES.value] = metric_view(store.gauge(org_id), limits.limit(Metric.STORAGE_BYTES))
    return {
        "organization_id": org_id,
        "plan": plan.upper(),
        "period": period,
        "period_start": clock.iso(periods.period_start(period)),
        "resets_at": clock.iso(periods.period_end(period)),
        "metrics": metrics,
    }


def history(org_id: str, plan: str, months: int) -> dict[str, Any]:
    """The ``months`` most recent periods, newest first: the current one computed, closed ones from their
    history record, and ended-but-not-yet-closed ones computed from their counters while those exist."""
    wanted = periods.recent_periods(months)
    oldest, newest = wanted[-1], wanted[0]
    closed = {item["period"]: item for item in store.history(org_id, oldest, newest)}
    counted = store.counters_between(org_id, oldest, newest)
    limits = plan_limits(plan)
    items = []
    for period in wanted:
        record = closed.get(period)
        if record is not None:
            items.append({
                "period": period, "current": period == newest, "closed": True, "plan": record.get("plan"),
                "metrics": record.get("metrics", {}), "limits": record.get("limits", {}),
                "storage_bytes": record.get("storageBytes"), "closed_at": record.get("closedAt"),
            })
            continue
        counts = counted.get(period, {})
        if not counts and period != newest:
            continue
        items.append({
            "period": period, "current": period == newest, "closed": False, "plan": plan.upper(),
            "metrics": {name: counts.get(name, 0) for name in MONTHLY},
            "limits": {name: limits.limit(Metric(name)) for name in MONTHLY},
            "storage_bytes": store.gauge(org_id) if period == newest else None,
        })
    return {"organization_id": org_id, "months": months, "items": items}


def increment(org_id: str, plan: str, metric: str, amount: int, event_id: str) -> dict[str, Any]:
    """Count ``amount`` of a monthly metric once per ``event_id``: the event marker and the counter
    go in one transaction, so a retried event changes nothing."""
    if metric == Metric.STORAGE_BYTES.value:
        raise InvalidInput("storage_bytes is a gauge; it moves with uploads and deletes, not by events.",
                           code="validation_failed", details={"metric": metric})
    now = clock.now()
    period = periods.period_of(now)
    limit = limit_for(plan, metric)
    ttl = int((now + EVENT_KEEP).timestamp())
    items = [
        store.event_entry(org_id, event_id, metric, amount, clock.iso(now), ttl),
        store.counter_entry(org_id, metric, amount, limit, period),
    ]
    counted = True
    try:
        transact.write(items)
    except transact.TransactionCancelled as exc:
        if exc.failed(0):
            _same_event(org_id, event_id, metric, amount)
            counted = False
        elif exc.failed(1):
            raise quota_error(org_id, plan, metric, amount=amount) from None
        else:
            raise
    used = store.counters(org_id, period).get(metric, 0)
    return {
        "event_id": event_id, "metric": metric, "amount": amount, "counted": counted, "used": used,
        "limit": limit, "remaining": None if limit is None else max(0, limit - used), "period": period,
    }


def _same_event(org_id: str, event_id: str, metric: str, amount: int) -> None:
    """409 when an event id is reused for a different metric or amount (a client bug, not a retry)."""
    seen = store.get_event(org_id, event_id) or {}
    if seen.get("metric") != metric or int(seen.get("amount", 0)) != amount:
        raise IdempotencyConflict(
            "This event id was already counted with a different metric or amount.",
            details={"eventId": event_id, "metric": seen.get("metric"), "amount": int(seen.get("amount", 0))},
        )
