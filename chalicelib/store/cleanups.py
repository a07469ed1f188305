"""Cleanup markers (files table, ``pk=ORG#<orgId>, sk=CLEANUP#<what>``): written in the same
transaction that deletes a record, removed once the S3 objects and attachments the record owned
are gone. A crash in between leaves the marker, and the retention job finishes the work."""
from __future__ import annotations

from typing import Any

from boto3.dynamodb.conditions import Key

from chalicelib.store import pages, transact
from chalicelib.store.tables import table, table_name

PREFIX = "CLEANUP#"


def _key(org_id: str, ref: str) -> dict[str, str]:
    return {"pk": f"ORG#{org_id}", "sk": PREFIX + ref}


def object_ref(key: str) -> str:
    return f"OBJECT#{key}"


def attachments_ref(product: str, run_id: str) -> str:
    return f"ATTACH#{product}#{run_id}"


def put_entry(org_id: str, ref: str, work: dict[str, Any], created_at: str) -> dict[str, Any]:
    """Transaction entry: remember ``work`` (kind and its arguments) until ``forget`` is called."""
    return transact.put(table_name("files"), {**_key(org_id, ref), "orgId": org_id, **work, "createdAt": created_at})


def forget(org_id: str, refs: list[str]) -> None:
    """Remove the markers of finished work (absent is fine), in one request."""
    if refs:
        transact.write([transact.delete(table_name("files"), _key(org_id, ref)) for ref in refs])


def pending(org_id: str, created_before: str, limit: int) -> list[dict[str, Any]]:
    """Markers of ``org_id`` older than ``created_before`` (unfinished work), up to ``limit``."""
    found: list[dict[str, Any]] = []
    query = {"KeyConditionExpression": Key("pk").eq(f"ORG#{org_id}") & Key("sk").begins_with(PREFIX),
             "ConsistentRead": True}
    for item in pages.items(table("files").query, **query):
        if str(item.get("createdAt", "")) < created_before:
            found.append({**item, "ref": str(item["sk"])[len(PREFIX):]})
            if len(found) >= limit:
                break
    return found
