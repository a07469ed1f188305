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


# Bounds of what a summary may put into the run item (DynamoDB items stop at 400 KB). Longer text
# is cut to TEXT_MAX characters ending in TRUNCATION_MARK; a map of counts keeps its largest
# entries (ties by name) and sums the rest under OTHER_KEY, any other map keeps its first
# MAP_MAX_KEYS entries; lists keep LIST_MAX. Documented in DESIGN.md ("Run summaries").
TEXT_MAX = 2048
ID_MAX = 200
KEY_MAX = 64
MAP_MAX_KEYS = 32
LIST_MAX = 32
OTHER_KEY = "(other)"
TRUNCATION_MARK = "…"


def bounded_text(value: Any, limit: int = TEXT_MAX) -> Any:
    """A string cut to ``limit`` characters (ending in the truncation mark); anything else as it is."""
    if isinstance(value, str) and len(value) > limit:
        return value[: limit - 1] + TRUNCATION_MARK
    return value


def bounded(value: Any) -> Any:
    """A summary value within the item bounds above, recursively."""
    if isinstance(value, str):
        return bounded_text(value)
    if isinstance(value, dict):
        return _bounded_map(value)
    if isinstance(value, (list, tuple)):
        return [bounded(v) for v in value[:LIST_MAX]]
    return value


def _bounded_map(values: dict[Any, Any]) -> dict[str, Any]:
    entries = [(bounded_text(str(k), KEY_MAX), bounded(v)) for k, v in values.items()]
    if len(entries) <= MAP_MAX_KEYS:
        return dict(entries)
    counts = all(isinstance(v, int) and not isinstance(v, bool) for _, v in entries)
    if not counts:  # scores and other values: the first ones, in the order sent
        return dict(entries[:MAP_MAX_KEYS])
    ranked = sorted(entries, key=lambda kv: (-kv[1], kv[0]))
    kept = dict(ranked[: MAP_MAX_KEYS - 1])
    kept[OTHER_KEY] = kept.get(OTHER_KEY, 0) + sum(v for _, v in ranked[MAP_MAX_KEYS - 1:])
    return kept


def bound_summary(summary: Summary) -> Summary:
    """The summary with every field the run item keeps inside the bounds (see ``bounded``)."""
    return Summary(
        status=bounded_text(summary.status, KEY_MAX),
        external_id=bounded_text(summary.external_id, ID_MAX),
        timestamp=bounded_text(summary.timestamp, KEY_MAX),
        environment=bounded_text(summary.environment, ID_MAX),
        passed=summary.passed,
        fields={bounded_text(str(k), KEY_MAX): bounded(v) for k, v in summary.fields.items()},
    )
