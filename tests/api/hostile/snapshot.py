"""A picture of everything the service stores: every table (full scan), the bucket (objects and
in-progress multipart uploads) and the ingest queues' depths. Two pictures taken around a bad
request must be equal.

What is left out, and why (each changes on every authenticated request by design, not because
the request was accepted; layouts from chalicelib/store/usage.py and api_keys.py):
- api-keys attribute ``lastUsedAt``: authentication records the key's use (at most once a minute).
- usage counter items ``pk=ORG#<org>, sk=PERIOD#<YYYY-MM>#api_calls``: every authenticated call is
  metered, refused or not.
- usage rate-window items ``pk=KEY#<keyId>, sk=RATE#<minute>``: every call spends from its key's window.
- request markers ``pk=ORG#<org>, sk=EVENT#call:<sha256 of the Idempotency-Key>``: the api_calls
  metering of a request with a well-formed idempotency key (its retries count once).
Everything else — other metrics' counters, the storage gauge, other event markers, history, every other
attribute of a key — must stay the same.
"""
from __future__ import annotations

import json
from typing import Any

from chalicelib.config import TABLE_NAMES, get_settings
from chalicelib.store import clients

VOLATILE_KEY_ATTRIBUTES = {"lastUsedAt"}


def _is_volatile_usage(item: dict[str, Any]) -> bool:
    """The api_calls counter and rate-window items (see the module docstring)."""
    pk, sk = item.get("pk", {}).get("S", ""), item.get("sk", {}).get("S", "")
    api_calls_counter = pk.startswith("ORG#") and sk.startswith("PERIOD#") and sk.endswith("#api_calls")
    rate_window = pk.startswith("KEY#") and sk.startswith("RATE#")
    retry_mark = pk.startswith("ORG#") and sk.startswith("EVENT#call:")  # a counted request's idempotency key
    return api_calls_counter or rate_window or retry_mark


def _normalize(logical: str, item: dict[str, Any]) -> dict[str, Any] | None:
    if logical == "api-keys":
        return {k: v for k, v in item.items() if k not in VOLATILE_KEY_ATTRIBUTES}
    if logical == "usage" and _is_volatile_usage(item):
        return None
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
