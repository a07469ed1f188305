"""Items past their ``ttl`` (epoch seconds) that DynamoDB's own TTL sweep has not removed yet
(it may lag by days, and moto never sweeps): found by a scan that goes on where the last call
stopped (a cursor), deleted only if still expired."""
from __future__ import annotations

from typing import Any

from boto3.dynamodb.conditions import Attr
from botocore.exceptions import ClientError

from chalicelib.store.tables import table

MAX_PAGES = 50


def expired_keys(name: str, now_epoch: int, limit: int,
                 start: dict[str, Any] | None = None) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """Keys (pk, sk) of items of logical table ``name`` whose ``ttl`` is before ``now_epoch``, from
    ``start`` on: about ``limit`` of them (pages of ``limit`` items) unless the table ends or MAX_PAGES
    pages were read first. Returns (keys, where to go on; None once the whole table was read)."""
    kwargs: dict[str, Any] = {
        "FilterExpression": Attr("ttl").lt(now_epoch),
        "ProjectionExpression": "pk, sk",
        "Limit": max(limit, 1),
    }
    if start is not None:
        kwargs["ExclusiveStartKey"] = start
    found: list[dict[str, Any]] = []
    for _ in range(MAX_PAGES):
        page = table(name).scan(**kwargs)
        found.extend(page.get("Items", []))
        cursor = page.get("LastEvaluatedKey")
        if cursor is None or len(found) >= limit:
            return found, cursor
        kwargs["ExclusiveStartKey"] = cursor
    return found, cursor


def delete_if_expired(name: str, key: dict[str, Any], now_epoch: int) -> bool:
    """Delete one item if its ``ttl`` is still before ``now_epoch`` (a record renewed meanwhile stays)."""
    try:
        table(name).delete_item(
            Key={"pk": key["pk"], "sk": key["sk"]},
            ConditionExpression=Attr("ttl").lt(now_epoch),
        )
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            return False
        raise
    return True


_CURSOR_KEY = {"pk": "MAINTENANCE", "sk": "CURSOR#"}


def get_cursor(name: str) -> dict[str, Any] | None:
    """Where the sweep ``name`` stopped in its last pass (None: start at the beginning)."""
    item = table("usage").get_item(Key={"pk": _CURSOR_KEY["pk"], "sk": _CURSOR_KEY["sk"] + name}).get("Item")
    return dict(item["cursor"]) if item and item.get("cursor") else None


def put_cursor(name: str, cursor: dict[str, Any] | None) -> None:
    """Remember where the sweep ``name`` goes on next time (None: it read everything; start over)."""
    key = {"pk": _CURSOR_KEY["pk"], "sk": _CURSOR_KEY["sk"] + name}
    if cursor is None:
        table("usage").delete_item(Key=key)
    else:
        table("usage").put_item(Item={**key, "cursor": cursor})
