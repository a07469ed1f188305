"""The storage quota as the upload pipeline sees it: a check before any URL is handed out, and
the transaction entries that move the stored-bytes gauge together with the record they account."""
from __future__ import annotations

from typing import Any

from chalicelib.errors import TooManyRequests
from chalicelib.services.plans import Metric, plan_limits
from chalicelib.store import files as file_store


def storage_limit(plan: str) -> int | None:
    """The plan's storage limit in bytes (None: unlimited)."""
    return plan_limits(plan).limit(Metric.STORAGE_BYTES)


def used_bytes(org_id: str) -> int:
    """Bytes the organization stores through uploads and files."""
    return int(file_store.get_stats(org_id)["bytes"])


def quota_exceeded(limit: int, used: int, size: int) -> TooManyRequests:
    remaining = max(limit - used, 0)
    return TooManyRequests(
        f"Storing {size} more bytes would pass the plan's storage limit of {limit} bytes.",
        code="quota_exceeded",
        details={"metric": Metric.STORAGE_BYTES.value, "limit": limit, "used": used, "requested": size},
        headers={"X-Quota-Limit": str(limit), "X-Quota-Remaining": str(remaining)},
    )


def check_room(org_id: str, plan: str, size: int) -> None:
    """429 quota_exceeded when ``size`` more bytes would pass the plan's storage limit."""
    limit = storage_limit(plan)
    if limit is None:
        return
    used = used_bytes(org_id)
    if used + size > limit:
        raise quota_exceeded(limit, used, size)


def gauge_items(org_id: str, plan: str, content_type: str, delta_bytes: int, delta_count: int) -> list[dict[str, Any]]:
    """Transaction entries moving the storage gauge; a growth may not pass the plan's limit
    (the entry's condition fails, see ``GAUGE_ITEMS`` for its index in the list)."""
    limit = storage_limit(plan) if delta_bytes > 0 else None
    return [file_store.stats_item(org_id, content_type, delta_bytes, delta_count, limit)]
