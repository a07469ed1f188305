"""Storage accounting, the one home of stored bytes: the room check before any URL is handed out, and
the transaction entries that move the storage gauge (the usage service's, which the plan limit
applies to, and the per-content-type stats) together with the record they account. Blobs, files,
runs and cleanups depend on this module; it depends on none of them."""
from __future__ import annotations

from typing import Any

from chalicelib.errors import QuotaExceeded
from chalicelib.services import usage
from chalicelib.plans import Metric, plan_limits
from chalicelib.store import files as file_store
from chalicelib.store import transact


def storage_limit(plan: str) -> int | None:
    """The plan's storage limit in bytes (None: unlimited)."""
    return plan_limits(plan).limit(Metric.STORAGE_BYTES)


def used_bytes(org_id: str) -> int:
    """Bytes counted on the organization's storage gauge (everything the plan limit applies to)."""
    return usage.storage_used(org_id)


def check_room(org_id: str, plan: str, size: int) -> None:
    """429 quota_exceeded when ``size`` more bytes would pass the plan's storage limit."""
    usage.check_storage(org_id, plan, size)


def quota_exceeded(org_id: str, plan: str, size: int) -> QuotaExceeded:
    return usage.quota_error(org_id, plan, Metric.STORAGE_BYTES, amount=size)


def gauge_items(org_id: str, plan: str | None, area: str, content_type: str, delta_bytes: int,
                delta_count: int) -> list[dict[str, Any]]:
    """Transaction entries moving the gauges by ``delta_bytes``; a growth may not pass the plan's limit
    (``plan=None``: no check). Any of these entries failing means: over quota (growth) or already
    released (shrink)."""
    return [file_store.stats_item(org_id, area, content_type, delta_bytes, delta_count),
            *usage.gauge_entries(org_id, plan if delta_bytes > 0 else None, delta_bytes)]


def write_release(items: list[dict[str, Any]], org_id: str, area: str, content_type: str, size: int,
                  extra: list[dict[str, Any]] | None = None) -> bool:
    """Write a deletion (``items``, each conditioned on the record existing) with the gauges down by ``size``
    and ``extra`` unconditional entries (cleanup markers). False when the record was already gone
    (nothing subtracted, nothing written). A usage gauge that would go below zero (bytes counted
    before it existed) is lowered clamped instead, outside the transaction."""
    gauge = gauge_items(org_id, None, area, content_type, -size, -1)
    items = [*items, *(extra or [])]
    try:
        transact.write([*items, *gauge])
        return True
    except transact.TransactionCancelled as exc:
        if any(exc.failed(i) for i in range(len(items))):
            return False
    try:
        transact.write([*items, gauge[0]])
    except transact.TransactionCancelled:
        return False
    usage.release_storage(org_id, size)
    return True
