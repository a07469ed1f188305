"""Follow DynamoDB's LastEvaluatedKey so callers see one stream, not pages.

Query and Scan answer at most 1 MB a call; every reader that wants "all of them" needs the same
loop, and a reader that forgets it silently misses items past the first page.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any


def pages(call: Callable[..., dict[str, Any]], **kwargs: Any) -> Iterator[dict[str, Any]]:
    """Every page of ``call(**kwargs)`` (a Query or Scan), following ``LastEvaluatedKey``; lazy."""
    while True:
        page = call(**kwargs)
        yield page
        if "LastEvaluatedKey" not in page:
            return
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def items(call: Callable[..., dict[str, Any]], **kwargs: Any) -> Iterator[dict[str, Any]]:
    """Every item over every page of ``call(**kwargs)``; stops reading when the caller stops."""
    for page in pages(call, **kwargs):
        yield from page.get("Items", [])
