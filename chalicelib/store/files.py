"""The files table: upload sessions, stored files, content-addressed blobs and their attachments
to runs, and one storage-stats item per organization. Everything of an org shares one partition.

  pk=ORG#<org> sk=UPLOAD#<id>                      upload session (open ones also on gsi1 "UPLOAD#OPEN")
  pk=ORG#<org> sk=FILE#<fileId>                    a stored file (files with an expiry on gsi1 "FILE#EXPIRING")
  pk=ORG#<org> sk=BLOB#<sha256>                    a blob: size, content type, refs (attachments pointing at it)
  pk=ORG#<org> sk=ATTACH#<product>#<runId>#<sha>   a blob attached to a run
  pk=ORG#<org> sk=STATS#<area>                     bytes, count, per content type (``ct#<type>#bytes|count``);
                                                   area ``files`` (storage API) or ``blobs``
"""
from __future__ import annotations

from itertools import islice
from typing import Any

from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError

from chalicelib.values import to_plain
from chalicelib.store import pages, transact
from chalicelib.store.tables import table, table_name

OPEN_UPLOADS = "UPLOAD#OPEN"
EXPIRING_FILES = "FILE#EXPIRING"


def _pk(org_id: str) -> str:
    return f"ORG#{org_id}"


def _conditional_failed(exc: ClientError) -> bool:
    return exc.response["Error"]["Code"] == "ConditionalCheckFailedException"


def _strip(item: dict[str, Any] | None) -> dict[str, Any] | None:
    if item is None:
        return None
    return {k: to_plain(v) for k, v in item.items() if k not in {"pk", "sk", "gsi1pk", "gsi1sk", "ttl"}}


# ---- upload sessions ---------------------------------------------------------------------------

def session_key(org_id: str, upload_id: str) -> dict[str, str]:
    return {"pk": _pk(org_id), "sk": f"UPLOAD#{upload_id}"}


def put_session(item: dict[str, Any], ttl: int) -> None:
    """Store a new open session (``item`` holds orgId, uploadId, createdAt, ...)."""
    record = {
        **session_key(item["orgId"], item["uploadId"]),
        "gsi1pk": OPEN_UPLOADS,
        "gsi1sk": f"{item['createdAt']}#{item['orgId']}#{item['uploadId']}",
        "ttl": ttl,
        **item,
    }
    table("files").put_item(Item=record, ConditionExpression="attribute_not_exists(pk)")


def get_session(org_id: str, upload_id: str) -> dict[str, Any] | None:
    return _strip(table("files").get_item(Key=session_key(org_id, upload_id), ConsistentRead=True).get("Item"))


def complete_session_item(org_id: str, upload_id: str, result: dict[str, Any], completed_at: str) -> dict[str, Any]:
    """Transaction entry: mark an open session completed with its answer (fails if not open)."""
    return transact.update(
        table_name("files"), session_key(org_id, upload_id),
        "SET #s = :done, #r = :result, completedAt = :at REMOVE gsi1pk, gsi1sk",
        condition="attribute_exists(pk) AND #s = :open",
        names={"#s": "status", "#r": "result"},
        values={":done": "completed", ":open": "pending", ":result": result, ":at": completed_at},
    )


def complete_session(org_id: str, upload_id: str, result: dict[str, Any], completed_at: str) -> bool:
    """Mark a session completed on its own; False when it was not open any more."""
    try:
        transact.write([complete_session_item(org_id, upload_id, result, completed_at)])
    except transact.TransactionCancelled:
        return False
    return True


def delete_session(org_id: str, upload_id: str) -> None:
    table("files").delete_item(Key=session_key(org_id, upload_id))


def open_sessions_before(cutoff: str, limit: int) -> list[dict[str, Any]]:
    """Open sessions created before ``cutoff`` (ISO), oldest first, across organizations."""
    condition = Key("gsi1pk").eq(OPEN_UPLOADS) & Key("gsi1sk").lt(cutoff)
    found = pages.items(table("files").query, IndexName="gsi1", KeyConditionExpression=condition)
    return [_strip(i) for i in islice(found, limit)]  # type: ignore[misc]


# ---- blobs and attachments ---------------------------------------------------------------------

def blob_key(org_id: str, sha256: str) -> dict[str, str]:
    return {"pk": _pk(org_id), "sk": f"BLOB#{sha256}"}


def attachment_key(org_id: str, product: str, run_id: str, sha256: str) -> dict[str, str]:
    return {"pk": _pk(org_id), "sk": f"ATTACH#{product}#{run_id}#{sha256}"}


def get_blob(org_id: str, sha256: str) -> dict[str, Any] | None:
    return _strip(table("files").get_item(Key=blob_key(org_id, sha256), ConsistentRead=True).get("Item"))


def new_blob_item(org_id: str, blob: dict[str, Any]) -> dict[str, Any]:
    """Transaction entry: create a blob record with refs=1 (fails if it exists)."""
    return transact.put(table_name("files"), {**blob_key(org_id, blob["sha256"]), **blob, "refs": 1},
                        condition="attribute_not_exists(pk)")


def add_ref_item(org_id: str, sha256: str, delta: int) -> dict[str, Any]:
    """Transaction entry: refs += delta on an existing blob."""
    return transact.update(table_name("files"), blob_key(org_id, sha256), "ADD refs :d",
                           condition="attribute_exists(pk)", values={":d": delta})


def delete_unreferenced_blob_item(org_id: str, sha256: str) -> dict[str, Any]:
    """Transaction entry: delete a blob record only while nothing references it."""
    return transact.delete(table_name("files"), blob_key(org_id, sha256),
                           condition="attribute_exists(pk) AND refs <= :zero", values={":zero": 0})


def new_attachment_item(org_id: str, attachment: dict[str, Any]) -> dict[str, Any]:
    """Transaction entry: attach a blob to a run (fails if already attached)."""
    key = attachment_key(org_id, attachment["product"], attachment["runId"], attachment["sha256"])
    return transact.put(table_name("files"), {**key, **attachment}, condition="attribute_not_exists(pk)")


def delete_attachment_item(org_id: str, product: str, run_id: str, sha256: str) -> dict[str, Any]:
    return transact.delete(table_name("files"), attachment_key(org_id, product, run_id, sha256),
                           condition="attribute_exists(pk)")


def list_attachments(org_id: str, product: str, run_id: str) -> list[dict[str, Any]]:
    """Every blob attached to a run."""
    prefix = f"ATTACH#{product}#{run_id}#"
    return _query_all(Key("pk").eq(_pk(org_id)) & Key("sk").begins_with(prefix))


# ---- report links: a Guardian report run listed on its test run --------------------------------

def report_link_key(org_id: str, test_run_ref: str, run_id: str) -> dict[str, str]:
    return {"pk": _pk(org_id), "sk": f"REPORT#guardian#{test_run_ref}#{run_id}"}


def new_report_link_item(org_id: str, test_run_ref: str, link: dict[str, Any]) -> dict[str, Any]:
    """Transaction entry: list the report run ``link['runId']`` on the test run ``test_run_ref``."""
    return transact.put(table_name("files"), {**report_link_key(org_id, test_run_ref, link["runId"]), **link})


def delete_report_link_item(org_id: str, test_run_ref: str, run_id: str) -> dict[str, Any]:
    return transact.delete(table_name("files"), report_link_key(org_id, test_run_ref, run_id))


def list_report_links(org_id: str, test_run_ref: str) -> list[dict[str, Any]]:
    """The report runs linked to a test run (by the client's test run id)."""
    prefix = f"REPORT#guardian#{test_run_ref}#"
    return _query_all(Key("pk").eq(_pk(org_id)) & Key("sk").begins_with(prefix))


# ---- files -------------------------------------------------------------------------------------

def file_key(org_id: str, file_id: str) -> dict[str, str]:
    return {"pk": _pk(org_id), "sk": f"FILE#{file_id}"}


def new_file_item(org_id: str, record: dict[str, Any]) -> dict[str, Any]:
    """Transaction entry: a stored file record (fails if it exists)."""
    item = {**file_key(org_id, record["fileId"]), **record}
    if record.get("expiresAt"):
        item["gsi1pk"] = EXPIRING_FILES
        item["gsi1sk"] = f"{record['expiresAt']}#{org_id}#{record['fileId']}"
    return transact.put(table_name("files"), item, condition="attribute_not_exists(pk)")


def delete_file_item(org_id: str, file_id: str) -> dict[str, Any]:
    return transact.delete(table_name("files"), file_key(org_id, file_id), condition="attribute_exists(pk)")


def get_file(org_id: str, file_id: str) -> dict[str, Any] | None:
    return _strip(table("files").get_item(Key=file_key(org_id, file_id), ConsistentRead=True).get("Item"))


def count_download(org_id: str, file_id: str, now: str) -> dict[str, Any] | None:
    """downloadCount += 1 on a live (unexpired) file; the updated record, or None."""
    try:
        out = table("files").update_item(
            Key=file_key(org_id, file_id),
            UpdateExpression="ADD downloadCount :one SET lastDownloadedAt = :now",
            ConditionExpression=Attr("pk").exists() & (Attr("expiresAt").not_exists() | Attr("expiresAt").gt(now)),
            ExpressionAttributeValues={":one": 1, ":now": now},
            ReturnValues="ALL_NEW",
        )
    except ClientError as exc:
        if _conditional_failed(exc):
            return None
        raise
    return _strip(out["Attributes"])


def list_files(org_id: str, before_id: str | None, page_size: int) -> tuple[list[dict[str, Any]], bool]:
    """One page of file records, newest first (ids sort by time), starting after ``before_id``.
    Returns the items and whether more may follow."""
    condition = Key("pk").eq(_pk(org_id))
    condition &= Key("sk").between("FILE#", f"FILE#{before_id}") if before_id else Key("sk").begins_with("FILE#")
    page = table("files").query(KeyConditionExpression=condition, ScanIndexForward=False, Limit=page_size)
    items = [_strip(i) for i in page.get("Items", []) if not before_id or i["sk"] != f"FILE#{before_id}"]
    return items, "LastEvaluatedKey" in page  # type: ignore[return-value]


def expiring_before(cutoff: str, limit: int) -> list[dict[str, Any]]:
    """Files whose expiry is at or before ``cutoff``, across organizations, oldest expiry first."""
    kwargs: dict[str, Any] = {
        "IndexName": "gsi1",
        "KeyConditionExpression": Key("gsi1pk").eq(EXPIRING_FILES) & Key("gsi1sk").lte(f"{cutoff}#\uffff"),
        "Limit": limit,
    }
    items = table("files").query(**kwargs).get("Items", [])
    return [i for i in (_strip(x) for x in items) if i and i["expiresAt"] <= cutoff]


# ---- storage stats -----------------------------------------------------------------------------

def stats_key(org_id: str, area: str) -> dict[str, str]:
    return {"pk": _pk(org_id), "sk": f"STATS#{area}"}


def stats_item(org_id: str, area: str, content_type: str, delta_bytes: int, delta_count: int) -> dict[str, Any]:
    """Transaction entry: move the bytes/count an area (``files`` or ``blobs``) of an org stores,
    in total and per content type."""
    return transact.update(
        table_name("files"), stats_key(org_id, area), "ADD #b :b, #n :n, #cb :b, #cn :n",
        names={"#b": "bytes", "#n": "count", "#cb": f"ct#{content_type}#bytes", "#cn": f"ct#{content_type}#count"},
        values={":b": delta_bytes, ":n": delta_count},
    )


def get_stats(org_id: str, area: str) -> dict[str, Any]:
    """``{bytes, count, byContentType: {type: {bytes, count}}}`` (zeros when nothing is stored)."""
    item = table("files").get_item(Key=stats_key(org_id, area), ConsistentRead=True).get("Item") or {}
    by_type: dict[str, dict[str, int]] = {}
    for name, value in item.items():
        if name.startswith("ct#"):
            content_type, _, field = name[3:].rpartition("#")
            by_type.setdefault(content_type, {"bytes": 0, "count": 0})[field] = int(value)
    by_type = {k: v for k, v in sorted(by_type.items()) if v["count"] > 0 or v["bytes"] > 0}
    return {"bytes": int(item.get("bytes", 0)), "count": int(item.get("count", 0)), "byContentType": by_type}


def _query_all(condition: Any) -> list[dict[str, Any]]:
    found = pages.items(table("files").query, KeyConditionExpression=condition, ConsistentRead=True)
    return [_strip(i) for i in found]  # type: ignore[misc]
