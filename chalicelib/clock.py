"""The one source of 'now', so tests can move time (month ends, retention, key expiry)."""
from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Iterator

_frozen: datetime | None = None


def now() -> datetime:
    """Current UTC time, or the frozen time inside ``frozen``."""
    return _frozen if _frozen is not None else datetime.now(timezone.utc)


def iso(dt: datetime | None = None) -> str:
    """UTC ISO-8601 with a Z suffix and millisecond precision (sorts as text)."""
    dt = (dt or now()).astimezone(timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def parse_iso(value: str) -> datetime:
    """Parse what ``iso`` writes (and any ISO-8601 with an offset)."""
    dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


@contextmanager
def frozen(at: datetime) -> Iterator[datetime]:
    """Freeze ``now()`` at ``at`` for the duration of the block."""
    global _frozen
    previous, _frozen = _frozen, at.astimezone(timezone.utc)
    try:
        yield _frozen
    finally:
        _frozen = previous
