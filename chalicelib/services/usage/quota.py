"""Monthly plan quotas: consume with one conditional write, or compose the same write into
a caller's transaction (run record + counter), and the 429 that a refusal becomes."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib import clock
from chalicelib.errors import QuotaExceeded
from chalicelib.plans import Metric, plan_limits
from chalicelib.services.usage import headers, periods
from chalicelib.store import usage as store
from chalicelib.store.transact import TransactionCancelled


@dataclass(frozen=True)
class QuotaState:
    """A metric's standing in the current period after a consume."""

    metric: str
    used: int
    limit: int | None
    period: str
    reset_at: datetime

    @property
    def remaining(self) -> int | None:
        return None if self.limit is None else max(0, self.limit - self.used)

    def headers(self) -> dict[str, str]:
        """X-Quota-* / RateLimit headers for a successful answer (none for an unlimited metric)."""
        if self.limit is None:
            return {}
        return headers.limit_headers(self.limit, self.used, self.reset_at, periods.seconds_until(self.reset_at),
                                     periods.period_seconds(self.period))


def metric_name(metric: str | Metric) -> str:
    return metric.value if isinstance(metric, Metric) else str(Metric(str(metric)).value)


def limit_for(plan: str, metric: str | Metric) -> int | None:
    """The plan's limit for a metric (None: unlimited)."""
    return plan_limits(plan).limit(Metric(metric_name(metric)))


def quota_entries(org_id: str, plan: str, metric: str | Metric, amount: int = 1,
                  at: datetime | None = None) -> list[dict[str, Any]]:
    """TransactWriteItems entries that count ``amount`` of a monthly metric, refused past the plan's limit.

    Put them in the same transaction as the record they pay for; if the transaction is cancelled and
    ``refused(exc, items, entries)`` says it was these entries, raise ``quota_error(org_id, plan, metric)``.
    """
    name = metric_name(metric)
    return [store.counter_entry(org_id, name, amount, limit_for(plan, name), periods.period_of(at))]


def refused(exc: TransactionCancelled, items: list[dict[str, Any]], entries: list[dict[str, Any]]) -> bool:
    """Whether the cancelled transaction ``items`` failed on one of ``entries`` (usage entries)."""
    return any(exc.failed(i) for i, item in enumerate(items) if any(item is e for e in entries))


def consume(org_id: str, plan: str, metric: str | Metric, amount: int = 1) -> QuotaState:
    """Count ``amount`` now (one conditional UpdateItem); 429 quota_exceeded when it would pass the limit."""
    name = metric_name(metric)
    limit = limit_for(plan, name)
    period = periods.period_of()
    try:
        used = store.consume(org_id, name, amount, limit, period)
    except store.LimitReached:
        raise quota_error(org_id, plan, name, amount=amount) from None
    return QuotaState(name, used, limit, period, periods.period_end(period))


def state(org_id: str, plan: str, metric: str | Metric) -> QuotaState:
    """Current standing of a monthly metric (a read)."""
    name = metric_name(metric)
    period = periods.period_of()
    used = store.counters(org_id, period).get(name, 0)
    return QuotaState(name, used, limit_for(plan, name), period, periods.period_end(period))


def quota_error(org_id: str, plan: str, metric: str | Metric, *, amount: int = 1, used: int | None = None) -> QuotaExceeded:
    """The 429 ``quota_exceeded`` for a refused metric, with Retry-After (to the next period) and quota headers.

    Reads the current value unless ``used`` is given (a refusal is rare; the extra read is fine).
    """
    name = metric_name(metric)
    limit = limit_for(plan, name) or 0
    now = clock.now()
    if name == Metric.STORAGE_BYTES.value:
        current = store.gauge(org_id) if used is None else used
        reset_at = periods.next_reset(now)
        message = f"Storage quota of {limit} bytes for plan {plan.upper()} is used up; delete files or upgrade the plan."
        period = periods.period_of(now)
    else:
        period = periods.period_of(now)
        current = store.counters(org_id, period).get(name, 0) if used is None else used
        reset_at = periods.period_end(period)
        message = f"Monthly quota for {name} ({limit}) on plan {plan.upper()} is used up; it resets at {clock.iso(reset_at)}."
    seconds = periods.seconds_until(reset_at, now)
    return QuotaExceeded(
        message,
        details={"metric": name, "limit": limit, "used": current, "requested": amount, "plan": plan.upper(),
                 "period": period, "resetsAt": clock.iso(reset_at)},
        headers=headers.refusal_headers(limit, current, reset_at, seconds, periods.period_seconds(period)),
    )
