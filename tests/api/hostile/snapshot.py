"""A picture of everything the service stores: every table (full scan), the bucket (objects and
in-progress multipart uploads) and the ingest queues' depths. Two pictures taken around a bad
request must be equal.

What is left out, and why (each changes on every authenticated request by design, not because
the request was accepted):
- api-keys ``lastUsedAt``: authentication records the key's use (at most once a minute).
- usage items of the ``api_calls`` metric: every authenticated call is metered, rejected or not.
- rate-limit items (usage items whose key names a rate window): every call spends a token.
Everything else — other usage metrics, every other attribute of a key — must stay the same.
"""
from __future__ import annotations

import json
from typing import Any

from chalicelib.config import TABLE_NAMES, get_settings
from chalicelib.store import clients

VOLATILE_KEY_ATTRIBUTES = {"lastUsedAt"}
RATE_MARKERS = ("RATE#", "RATE", "ratelimit", "rate-limit", "rl#")
API_CALLS = "api_calls"


def _is_volatile_usage(item: dict[str, Any]) -> bool:
    """Usage items for api_calls metering or rate limiting (see module docstring)."""
    text = " ".join(str(item.get(k, {}).get("S", "")) for k in ("pk", "sk", "metric", "kind"))
    return API_CALLS in text or any(marker.lower() in text.lower() for marker in RATE_MARKERS)


def _normalize(logical: str, item: dict[str, Any]) -> dict[str, Any] | None:
    if logical == "api-keys":
        return {k: v for k, v in item.items() if k not in VOLATILE_KEY_ATTRIBUTES}
    if logical == "usage":
        if _is_volatile_usage(item):
            return None
        # A per-period item holding several metric counters: drop only the api_calls counter.
        return {k: v for k, v in item.items() if API_CALLS not in k}
    return item


def _scan(physical: str) -> list[dict[str, Any]]:
    """Every item of a table, in DynamoDB JSON. Read from in-process moto's own store when it is
    there (a few hundred corpus rows times seven scans through botocore would dominate the suite's
    time), else with paginated Scans."""
    try:
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.dynamodb.models import dynamodb_backends

        table = dynamodb_backends[DEFAULT_ACCOUNT_ID][get_settings().region].tables[physical]
        return [item.to_json()["Attributes"] for item in table.all_items()]
    except (ImportError, KeyError, AttributeError):
        items: list[dict[str, Any]] = []
        for page in clients.dynamodb().get_paginator("scan").paginate(TableName=physical, ConsistentRead=True):
            items += page.get("Items", [])
        return items


def tables() -> dict[str, list[str]]:
    """Every table's items (normalized, as sorted canonical JSON)."""
    out: dict[str, list[str]] = {}
    for logical in TABLE_NAMES:
        rows = [json.dumps(kept, sort_keys=True, default=str)
                for kept in (_normalize(logical, item) for item in _scan(get_settings().table(logical)))
                if kept is not None]
        out[logical] = sorted(rows)
    return out


def bucket() -> dict[str, list[str]]:
    """Objects (key, size, etag) and multipart uploads in progress (key, upload id)."""
    s3 = clients.s3()
    name = get_settings().bucket
    objects: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=name):
        objects += [f"{o['Key']} {o['Size']} {o['ETag']}" for o in page.get("Contents", [])]
    uploads: list[str] = []
    for page in s3.get_paginator("list_multipart_uploads").paginate(Bucket=name):
        uploads += [f"{u['Key']} {u['UploadId']}" for u in page.get("Uploads", [])]
    return {"objects": sorted(objects), "multipart": sorted(uploads)}


def queues() -> dict[str, str]:
    """Messages waiting in the ingest queue and its dead-letter queue."""
    sqs = clients.sqs()
    out = {}
    for name in (get_settings().ingest_queue, get_settings().ingest_dlq):
        try:
            url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
        except Exception:  # the queue is not part of this stack
            continue
        attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages",
                                                                        "ApproximateNumberOfMessagesNotVisible"])
        out[name] = json.dumps(attrs.get("Attributes", {}), sort_keys=True)
    return out


def take() -> dict[str, Any]:
    """The whole picture."""
    return {"tables": tables(), "bucket": bucket(), "queues": queues()}


def diff(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """Human-readable differences (empty when nothing changed)."""
    problems: list[str] = []
    for section in ("tables", "bucket"):
        for name in sorted(set(before[section]) | set(after[section])):
            old, new = set(before[section].get(name, [])), set(after[section].get(name, []))
            problems += [f"{section}/{name} added: {row[:300]}" for row in sorted(new - old)]
            problems += [f"{section}/{name} removed: {row[:300]}" for row in sorted(old - new)]
    for name in sorted(set(before["queues"]) | set(after["queues"])):
        if before["queues"].get(name) != after["queues"].get(name):
            problems.append(f"queue {name}: {before['queues'].get(name)} -> {after['queues'].get(name)}")
    return problems
