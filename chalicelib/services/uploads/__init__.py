"""The one upload pipeline behind two doors (``/v1/uploads`` and ``/v1/storage``): sessions,
presigning, verification (size, SHA-256, magic bytes) and completion into a blob, an ingest job
or a stored file."""
from __future__ import annotations

from datetime import timedelta


def abort_abandoned(older_than: timedelta, limit: int = 100) -> int:
    """Retention: abort upload sessions (and S3 multipart uploads) older than ``older_than``
    that never completed; returns how many were aborted."""
    from chalicelib.services.uploads import sessions

    return sessions.abort_abandoned(older_than, limit)


__all__ = ["abort_abandoned"]
