"""Usage metering: monthly quotas (atomic conditional counters), the storage gauge, per-key
rate limits, the request-metering hook and the monthly roll-over. Callers use these names."""
from chalicelib.services.usage.gauge import (
    add_storage, check_storage, gauge_entries, release_storage, storage_used,
)
from chalicelib.services.usage.quota import (
    QuotaState, consume, limit_for, quota_entries, quota_error, refused, state,
)

__all__ = [
    "QuotaState", "add_storage", "check_storage", "consume", "gauge_entries", "limit_for", "quota_entries",
    "quota_error", "refused", "release_storage", "state", "storage_used",
]
