"""The storage gauge: bytes an organization keeps. Up when an upload is verified, down when a
file or run is deleted — in the same transaction as the record, never below zero."""
from __future__ import annotations

from typing import Any

from chalicelib.plans import Metric
from chalicelib.services.usage.quota import limit_for, quota_error
from chalicelib.store import usage as store


def gauge_entries(org_id: str, plan: str | None, delta: int) -> list[dict[str, Any]]:
    """TransactWriteItems entries moving the gauge by ``delta`` bytes.

    ``delta > 0`` is refused past the plan's storage limit (``plan=None``: no limit);
    ``delta < 0`` is refused below zero. Pass the size recorded in the item you delete in the same
    transaction, with a condition that it exists, so deleting twice subtracts once.
    """
    limit = limit_for(plan, Metric.STORAGE_BYTES) if (plan is not None and delta > 0) else None
    return [store.gauge_entry(org_id, delta, limit)]


def storage_used(org_id: str) -> int:
    """Bytes currently counted on the gauge."""
    return store.gauge(org_id)


def check_storage(org_id: str, plan: str, extra_bytes: int) -> None:
    """429 quota_exceeded when ``extra_bytes`` more would pass the plan's storage limit.

    A read, to refuse before handing out an upload URL; the transactional gauge entry decides later.
    """
    limit = limit_for(plan, Metric.STORAGE_BYTES)
    if limit is None:
        return
    used = store.gauge(org_id)
    if used + max(0, extra_bytes) > limit:
        raise quota_error(org_id, plan, Metric.STORAGE_BYTES, amount=extra_bytes, used=used)


def add_storage(org_id: str, plan: str | None, delta: int) -> int:
    """Raise the gauge outside a transaction (one conditional write); 429 past the limit."""
    limit = limit_for(plan, Metric.STORAGE_BYTES) if plan is not None else None
    try:
        return store.gauge_add(org_id, delta, limit)
    except store.LimitReached:
        raise quota_error(org_id, plan or "FREE", Metric.STORAGE_BYTES, amount=delta) from None


def release_storage(org_id: str, size: int) -> int:
    """Lower the gauge outside a transaction, clamped at zero (retention clean-up)."""
    return store.gauge_decrement(org_id, size) if size > 0 else store.gauge(org_id)
