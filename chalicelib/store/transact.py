"""DynamoDB transactions composed from items built by several store modules
(a run record and its usage counter, a file record and the storage gauge)."""
from __future__ import annotations

from typing import Any

from boto3.dynamodb.types import TypeSerializer
from botocore.exceptions import ClientError

from chalicelib.store import clients

_serializer = TypeSerializer()


class TransactionCancelled(Exception):
    """A condition in the transaction failed; ``reasons[i]`` is the code for item i ('None' when fine)."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__(", ".join(reasons))
        self.reasons = reasons

    def failed(self, index: int) -> bool:
        """Whether item ``index`` is the one whose condition failed."""
        return index < len(self.reasons) and self.reasons[index] == "ConditionalCheckFailed"


def serialize(value: dict[str, Any]) -> dict[str, Any]:
    """Python values (str, int, Decimal, list, dict ...) to DynamoDB's typed form."""
    return {k: _serializer.serialize(v) for k, v in value.items()}


def put(table: str, item: dict[str, Any], condition: str | None = None,
        names: dict[str, str] | None = None, values: dict[str, Any] | None = None) -> dict[str, Any]:
    """A Put entry for ``write``; ``table`` is the physical table name."""
    entry: dict[str, Any] = {"TableName": table, "Item": serialize(item)}
    return {"Put": _conditioned(entry, condition, names, values)}


def update(table: str, key: dict[str, Any], expression: str, condition: str | None = None,
           names: dict[str, str] | None = None, values: dict[str, Any] | None = None) -> dict[str, Any]:
    """An Update entry for ``write``."""
    entry: dict[str, Any] = {"TableName": table, "Key": serialize(key), "UpdateExpression": expression}
    return {"Update": _conditioned(entry, condition, names, values)}


def delete(table: str, key: dict[str, Any], condition: str | None = None,
           names: dict[str, str] | None = None, values: dict[str, Any] | None = None) -> dict[str, Any]:
    """A Delete entry for ``write``."""
    entry: dict[str, Any] = {"TableName": table, "Key": serialize(key)}
    return {"Delete": _conditioned(entry, condition, names, values)}


def condition_check(table: str, key: dict[str, Any], condition: str,
                    names: dict[str, str] | None = None, values: dict[str, Any] | None = None) -> dict[str, Any]:
    """A ConditionCheck entry for ``write``."""
    entry: dict[str, Any] = {"TableName": table, "Key": serialize(key)}
    return {"ConditionCheck": _conditioned(entry, condition, names, values)}


def _conditioned(entry: dict[str, Any], condition: str | None, names: dict[str, str] | None,
                 values: dict[str, Any] | None) -> dict[str, Any]:
    if condition:
        entry["ConditionExpression"] = condition
    if names:
        entry["ExpressionAttributeNames"] = names
    if values:
        entry["ExpressionAttributeValues"] = serialize(values)
    return entry


def write(items: list[dict[str, Any]], token: str | None = None) -> None:
    """All items or none (at most 100). Raises TransactionCancelled when a condition fails."""
    kwargs: dict[str, Any] = {"TransactItems": items}
    if token:
        kwargs["ClientRequestToken"] = token[:36]
    try:
        clients.dynamodb().transact_write_items(**kwargs)
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "TransactionCanceledException":
            reasons = [r.get("Code", "None") for r in exc.response.get("CancellationReasons", [])]
            raise TransactionCancelled(reasons) from exc
        raise
