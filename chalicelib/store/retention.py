"""Items past their ``ttl`` (epoch seconds) that DynamoDB's own TTL sweep has not removed yet
(it may lag by days, and moto never sweeps): found by a bounded scan, deleted only if still expired."""
from __future__ import annotations

from typing import Any

from boto3.dynamodb.conditions import Attr
from botocore.exceptions import ClientError

from chalicelib.store.tables import table

MAX_PAGES = 50


def expired_keys(name: str, now_epoch: int, limit: int) -> list[dict[str, Any]]:
    """Keys (pk, sk) of up to ``limit`` items of logical table ``name`` whose ``ttl`` is before ``now_epoch``."""
    kwargs: dict[str, Any] = {
        "FilterExpression": Attr("ttl").lt(now_epoch),
        "ProjectionExpression": "pk, sk",
        "Limit": max(limit, 25),
    }
    found: list[dict[str, Any]] = []
    for _ in range(MAX_PAGES):
        page = table(name).scan(**kwargs)
        found.extend(page.get("Items", []))
        if len(found) >= limit or "LastEvaluatedKey" not in page:
            break
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    return found[:limit]


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
