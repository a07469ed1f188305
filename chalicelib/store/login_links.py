"""One-time dashboard sign-in links, kept in the api-keys table beside the keys they stand for.

Key: pk=LOGIN#<sha256 of the token>, sk=LOGIN (never the token itself), with the key id, organization,
where to go after sign-in, the expiry (epoch seconds) and ``ttl`` so DynamoDB drops stale ones. Taking a
link deletes it in the same call (a conditional delete that returns the old item), so a link works once
even when two requests race for it."""
from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from chalicelib.store.tables import table


def _key(token_hash: str) -> dict[str, str]:
    return {"pk": f"LOGIN#{token_hash}", "sk": "LOGIN"}


def put_link(token_hash: str, key_id: str, org_id: str, next_path: str, expires_at: int) -> None:
    """Store a new link (the token hash is fresh randomness: a clash is refused, never overwritten)."""
    item = {**_key(token_hash), "keyId": key_id, "orgId": org_id, "next": next_path, "expiresAt": expires_at,
            "ttl": expires_at + 3600}
    table("api-keys").put_item(Item=item, ConditionExpression="attribute_not_exists(pk)")


def take_link(token_hash: str) -> dict[str, Any] | None:
    """Delete the link and return what it held; None when there is no such link (or it was taken)."""
    try:
        out = table("api-keys").delete_item(Key=_key(token_hash), ConditionExpression="attribute_exists(pk)",
                                            ReturnValues="ALL_OLD")
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return None
        raise
    return out.get("Attributes")
