"""Count the AWS requests the service makes (botocore event hooks on the service's own clients) and price them at AWS list prices (us-east-1, on-demand)."""
from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

# USD, AWS list prices (us-east-1): DynamoDB on-demand, S3 Standard requests.
PRICE_WRU = 1.25 / 1_000_000
PRICE_RRU = 0.25 / 1_000_000
PRICE_S3_PUT = 0.005 / 1000     # PUT, COPY, POST, LIST
PRICE_S3_GET = 0.0004 / 1000    # GET, HEAD and the rest
PRICES_TEXT = ("DynamoDB on-demand $1.25 per million write request units, $0.25 per million read request units; "
               "S3 Standard $0.005 per 1,000 PUT/COPY/POST/LIST, $0.0004 per 1,000 GET/HEAD (DELETE free)")

S3_PUT_CLASS = {"PutObject", "CopyObject", "PostObject", "CreateMultipartUpload", "UploadPart", "UploadPartCopy",
                "CompleteMultipartUpload", "ListObjects", "ListObjectsV2", "ListParts", "ListMultipartUploads"}
S3_FREE = {"DeleteObject", "DeleteObjects", "AbortMultipartUpload"}


def attribute_size(value: dict[str, Any]) -> int:
    """Approximate DynamoDB size of one attribute value (DynamoDB JSON)."""
    (kind, inner), = value.items()
    if kind in ("S", "B"):
        return len(inner.encode() if isinstance(inner, str) else inner)
    if kind == "N":
        return len(str(inner).lstrip("-").replace(".", "")) // 2 + 1
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "M":
        return 3 + sum(len(k.encode()) + attribute_size(v) + 1 for k, v in inner.items())
    if kind == "L":
        return 3 + sum(attribute_size(v) + 1 for v in inner)
    if kind in ("SS", "NS", "BS"):
        return sum(attribute_size({kind[0]: v}) for v in inner)
    return 1


def item_size(item: dict[str, Any]) -> int:
    return sum(len(k.encode()) + attribute_size(v) for k, v in item.items())


def _python_to_dynamo(item: dict[str, Any]) -> dict[str, Any]:
    from boto3.dynamodb.types import TypeSerializer

    ser = TypeSerializer()
    return {k: ser.serialize(v) for k, v in item.items()}


def _as_dynamo(item: dict[str, Any]) -> dict[str, Any]:
    """Items arrive as DynamoDB JSON (client) or Python values (resource, before serialization)."""
    try:
        return item if all(isinstance(v, dict) and len(v) == 1 and next(iter(v)) in
                           {"S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS"} for v in item.values()) \
            else _python_to_dynamo(item)
    except Exception:
        return {}


@dataclass
class Tally:
    """Requests by 'service.Operation', with DynamoDB request units and S3 request classes."""

    requests: Counter[str] = field(default_factory=Counter)
    wru: float = 0.0
    rru: float = 0.0
    s3_put: int = 0
    s3_get: int = 0
    ddb_items_written: int = 0

    def add(self, service: str, operation: str, params: dict[str, Any]) -> None:
        self.requests[f"{service}.{operation}"] += 1
        if service == "dynamodb":
            self._dynamodb(operation, params)
        elif service == "s3":
            if operation in S3_PUT_CLASS:
                self.s3_put += 1
            elif operation not in S3_FREE:
                self.s3_get += 1

    def _dynamodb(self, operation: str, params: dict[str, Any]) -> None:
        def units(item: dict[str, Any] | None, per: int) -> int:
            return max(1, math.ceil(item_size(_as_dynamo(item)) / per)) if item else 1

        consistent = bool(params.get("ConsistentRead"))
        if operation == "PutItem":
            self.wru += units(params.get("Item"), 1024)
            self.ddb_items_written += 1
        elif operation in ("UpdateItem", "DeleteItem"):
            self.wru += 1
            self.ddb_items_written += 1
        elif operation == "BatchWriteItem":
            for requests in params.get("RequestItems", {}).values():
                for req in requests:
                    self.wru += units((req.get("PutRequest") or {}).get("Item"), 1024)
                    self.ddb_items_written += 1
        elif operation == "TransactWriteItems":
            for entry in params.get("TransactItems", []):
                (kind, body), = entry.items()
                self.wru += 2 * (units(body.get("Item"), 1024) if kind == "Put" else 1)
                if kind != "ConditionCheck":
                    self.ddb_items_written += 1
        elif operation == "GetItem":
            self.rru += 1 if consistent else 0.5
        elif operation == "BatchGetItem":
            for spec in params.get("RequestItems", {}).values():
                self.rru += len(spec.get("Keys", [])) * (1 if spec.get("ConsistentRead") else 0.5)
        elif operation == "TransactGetItems":
            self.rru += 2 * len(params.get("TransactItems", []))
        elif operation in ("Query", "Scan"):
            self.rru += 1 if consistent else 0.5

    def cost(self) -> float:
        """USD for one occurrence of what was counted."""
        return self.wru * PRICE_WRU + self.rru * PRICE_RRU + self.s3_put * PRICE_S3_PUT + self.s3_get * PRICE_S3_GET

    def summary(self) -> str:
        ops = ", ".join(f"{k}×{v}" for k, v in sorted(self.requests.items()))
        return (f"{sum(self.requests.values())} requests ({ops}); DynamoDB {self.wru:g} WRU, {self.rru:g} RRU, "
                f"{self.ddb_items_written} item writes; S3 {self.s3_put} PUT-class, {self.s3_get} GET-class")


@contextmanager
def counting(clients_list: list[Any]) -> Iterator[Tally]:
    """Count every call made through ``clients_list`` while the block runs ('before-parameter-build'
    fires once per API call with the caller's parameters, before retries)."""
    tally = Tally()
    uid = f"bench-count-{id(tally)}"

    def before(event_name: str, params: dict[str, Any] | None = None, **_: Any) -> None:
        # event: before-parameter-build.<service>.<Operation>
        _, service, operation = event_name.split(".", 2)
        tally.add(service, operation, params or {})

    emitters = {id(c.meta.events): c.meta.events for c in clients_list}
    for events in emitters.values():
        events.register("before-parameter-build", before, unique_id=uid)
    try:
        yield tally
    finally:
        for events in emitters.values():
            events.unregister("before-parameter-build", unique_id=uid)
