"""API key records. Only the SHA-256 of the secret is stored.

Key: pk=KEY#<keyId>, sk=KEY; gsi1pk=ORG#<orgId>, gsi1sk=<createdAt>#<keyId> lists an org's keys.
"""
from __future__ import annotations

from typing import Any

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from chalicelib.store import pages
from chalicelib.store.tables import table


def _key(key_id: str) -> dict[str, str]:
    return {"pk": f"KEY#{key_id}", "sk": "KEY"}


def put_key(item: dict[str, Any]) -> None:
    """Store a new key record (``item`` holds keyId, orgId, secretHash, scopes, createdAt, ...)."""
    record = {
        **_key(item["keyId"]),
        "gsi1pk": f"ORG#{item['orgId']}",
        "gsi1sk": f"{item['createdAt']}#{item['keyId']}",
        **item,
    }
    table("api-keys").put_item(Item=record, ConditionExpression="attribute_not_exists(pk)")


def get_key(key_id: str) -> dict[str, Any] | None:
    """The key record, or None."""
    return table("api-keys").get_item(Key=_key(key_id), ConsistentRead=True).get("Item")


def list_keys(org_id: str) -> list[dict[str, Any]]:
    """An organization's keys, newest first."""
    tbl = table("api-keys")
    kwargs: dict[str, Any] = {
        "IndexName": "gsi1",
        "KeyConditionExpression": Key("gsi1pk").eq(f"ORG#{org_id}"),
        "ScanIndexForward": False,
    }
    return list(pages.items(tbl.query, **kwargs))


def revoke_key(key_id: str, org_id: str, revoked_at: str) -> bool:
    """Mark a key revoked; False when it does not exist in that organization."""
    try:
        table("api-keys").update_item(
            Key=_key(key_id),
            UpdateExpression="SET revokedAt = if_not_exists(revokedAt, :now)",
            ConditionExpression="attribute_exists(pk) AND orgId = :org",
            ExpressionAttributeValues={":now": revoked_at, ":org": org_id},
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return False
        raise
    return True


def touch_last_used(key_id: str, now: str, stale_before: str) -> None:
    """Record use of a key, at most once per window: only when lastUsedAt is older than ``stale_before``."""
    try:
        table("api-keys").update_item(
            Key=_key(key_id),
            UpdateExpression="SET lastUsedAt = :now",
            ConditionExpression="attribute_exists(pk) AND (attribute_not_exists(lastUsedAt) OR lastUsedAt < :stale)",
            ExpressionAttributeValues={":now": now, ":stale": stale_before},
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise
