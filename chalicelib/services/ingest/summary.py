"""What a summarizer extracts from a payload: the few fields the run item keeps for listing,
filtering and stats (so reading a list never opens a payload)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Summary:
    """The run item's summary of one payload."""

    status: str = "completed"
    external_id: str | None = None  # the client's own id (ledger runId, testRunId, snapshotId)
    timestamp: str | None = None
    environment: str | None = None
    passed: bool | None = None
    fields: dict[str, Any] = field(default_factory=dict)


def count_by(values: list[str]) -> dict[str, int]:
    """How often each value occurs."""
    counts: dict[str, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return counts


def first_list(data: Any, *names: str) -> list[Any]:
    """The first of ``names`` that holds a list in ``data`` (an object), else []."""
    if isinstance(data, dict):
        for name in names:
            value = data.get(name)
            if isinstance(value, list):
                return value
    return []
