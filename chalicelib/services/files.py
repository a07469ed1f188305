"""Generic file storage (``/v1/storage``), the second door of the upload pipeline: a presigned POST
to a server-chosen key ``orgs/<orgId>/files/<fileId>.<ext>``, completion through the same
verification, then a file record counted in the storage gauge. Names are metadata only."""
from __future__ import annotations

import re
import secrets
from datetime import datetime, timezone
from typing import Any

from chalicelib import clock
from chalicelib.errors import InvalidCursor, InvalidInput, NotFound, UnsupportedContentType
from chalicelib.services import cleanup, filenames, storage_accounting
from chalicelib.services.uploads import completion, presign, sessions
from chalicelib.services.uploads.verify import EXTENSIONS
from chalicelib.store import files as file_store
from chalicelib.store import objects, transact

AREA = "files"
MAX_FILE_BYTES = 100 * 1000 * 1000
ALLOWED_TYPES = ("image/png", "image/jpeg", "image/webp", "application/pdf", "application/json", "text/csv",
                 "text/plain", "application/gzip")
FILE_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def new_file_id() -> str:
    """A UUID-shaped id whose first 48 bits are milliseconds since the epoch (sorts by creation)."""
    ms = int(clock.now().timestamp() * 1000)
    h = f"{ms:012x}{secrets.token_hex(10)}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


def object_key(org_id: str, file_id: str, content_type: str) -> str:
    ext = EXTENSIONS.get(content_type, "")
    return f"orgs/{org_id}/files/{file_id}" + (f".{ext}" if ext else "")


def create_upload_url(org_id: str, plan: str, request: dict[str, Any]) -> dict[str, Any]:
    """A fileId and a presigned POST pinning key, content type and exact length; quota checked first."""
    content_type = request["contentType"]
    if content_type not in ALLOWED_TYPES:
        raise UnsupportedContentType(f"Files of type {content_type} are not accepted.", code="unsupported_content_type",
                                   details={"contentType": content_type, "allowed": list(ALLOWED_TYPES)})
    file_expires_at = request.get("fileExpiresAt")
    if file_expires_at is not None and file_expires_at.tzinfo is None:
        file_expires_at = file_expires_at.replace(tzinfo=timezone.utc)
    if file_expires_at is not None and file_expires_at <= clock.now():
        raise InvalidInput("fileExpiresAt must be in the future.", code="validation_failed",
                           details={"field": "fileExpiresAt"})
    storage_accounting.check_room(org_id, plan, request["size"])
    file_id = new_file_id()
    name = filenames.sanitize(request["fileName"])
    record = {
        "kind": sessions.FILE, "product": request.get("product") or "", "type": "file", "fileName": name,
        "contentType": content_type, "size": request["size"], "sha256": (request.get("sha256") or "").lower(),
        "fileExpiresAt": clock.iso(file_expires_at) if file_expires_at else "",
    }
    answer = sessions.create(org_id, file_id, object_key(org_id, file_id, content_type), record,
                             expires_in=request.get("expiresIn"), single_post=True)
    transfer = {k: answer[k] for k in ("method", "url", "fields", "expiresIn", "expiresAt") if k in answer}
    return {"fileId": file_id, "fileName": name, **transfer}


def complete(org_id: str, plan: str, file_id: str) -> tuple[int, dict[str, Any]]:
    """Verify the POSTed object and record the file (idempotent)."""
    return complete_session(sessions.get(org_id, _checked(file_id)), plan)


def complete_session(session: dict[str, Any], plan: str) -> tuple[int, dict[str, Any]]:
    """Verify and record the file of a loaded ``file`` session (404 for any other kind)."""
    if session.get("kind") != sessions.FILE:
        raise _not_found(str(session["uploadId"]))
    return completion.complete(session, plan, destination=_record)


def _record(session: dict[str, Any], plan: str, sha256: str) -> tuple[int, dict[str, Any]]:
    """Completion destination for ``file`` sessions: file record + gauges + closed session, one transaction."""
    org_id = session["orgId"]
    record = {
        "orgId": org_id, "fileId": session["uploadId"], "key": session["key"], "fileName": session["fileName"],
        "contentType": session["contentType"], "size": int(session["size"]), "sha256": sha256,
        "product": session.get("product", ""), "createdAt": clock.iso(), "downloadCount": 0,
    }
    if session.get("fileExpiresAt"):
        record["expiresAt"] = session["fileExpiresAt"]
    if session.get("versionId"):
        record["versionId"] = session["versionId"]  # downloads serve exactly the verified bytes
    body = {"status": "completed", **view(record)}
    close = completion.completion_item(session, 200, body)
    gauge = storage_accounting.gauge_items(org_id, plan, AREA, record["contentType"], record["size"], 1)
    items = [close, file_store.new_file_item(org_id, record), *gauge]
    try:
        transact.write(items)
    except transact.TransactionCancelled as exc:
        if exc.failed(0) or exc.failed(1):
            raise completion.AlreadyCompleted() from exc
        if any(exc.failed(i) for i in range(2, len(items))):
            sessions.discard(session)
            raise storage_accounting.quota_exceeded(org_id, plan, record["size"]) from exc
        raise
    return 200, body



def view(record: dict[str, Any]) -> dict[str, Any]:
    """A file as the API shows it (never its key)."""
    return {
        "fileId": record["fileId"], "fileName": record["fileName"], "contentType": record["contentType"],
        "size": int(record["size"]), "sha256": record.get("sha256", ""), "product": record.get("product") or None,
        "createdAt": record["createdAt"], "expiresAt": record.get("expiresAt"),
        "downloadCount": int(record.get("downloadCount", 0)),
    }


def _live(record: dict[str, Any], now: str) -> bool:
    return not record.get("expiresAt") or record["expiresAt"] > now


def list_files(org_id: str, *, product: str | None = None, content_type: str | None = None,
               prefix: str | None = None, limit: int = 20, cursor: str | None = None) -> tuple[list[dict[str, Any]], str | None]:
    """A page of live files, newest first, filtered; returns (views, next cursor or None)."""
    if cursor is not None and not FILE_ID.match(cursor):
        raise InvalidCursor("Invalid cursor.", details={"cursor": cursor[:64]})
    now, found, before = clock.iso(), [], cursor
    while True:
        items, more = file_store.list_files(org_id, before, max(limit * 2, 25))
        for item in items:
            before = item["fileId"]
            if _live(item, now) and _wanted(item, product, content_type, prefix):
                found.append(view(item))
                if len(found) == limit:
                    return found, item["fileId"]
        if not more or not items:
            return found, None


def _wanted(item: dict[str, Any], product: str | None, content_type: str | None, prefix: str | None) -> bool:
    return ((not product or item.get("product") == product)
            and (not content_type or item["contentType"] == content_type)
            and (not prefix or item["fileName"].startswith(prefix)))


def get_file(org_id: str, file_id: str) -> dict[str, Any]:
    """A live file's record; 404 when unknown, expired or another organization's."""
    record = file_store.get_file(org_id, _checked(file_id))
    if record is None or not _live(record, clock.iso()):
        raise _not_found(file_id)
    return record


def download_url(org_id: str, file_id: str, expires_in: int | None = None) -> dict[str, Any]:
    """A presigned GET answering Content-Disposition with the file's (sanitized) name; counts the download."""
    record = file_store.count_download(org_id, _checked(file_id), clock.iso())
    if record is None:
        raise _not_found(file_id)
    seconds = presign.expiry(expires_in, presign.STORAGE_MAX_EXPIRY)
    url = objects.presigned_get(record["key"], seconds, record["fileName"], record["contentType"],
                                record.get("versionId"))
    return {"fileId": file_id, "url": url, "expiresIn": seconds, "expiresAt": presign.expires_at(seconds),
            "fileName": record["fileName"], "downloadCount": int(record.get("downloadCount", 0))}


def delete_file(org_id: str, file_id: str) -> None:
    """Delete the record (gauge down, once) and the object; 404 when unknown or already deleted."""
    record = file_store.get_file(org_id, _checked(file_id))
    if record is None or not _remove(record):
        raise _not_found(file_id)


def _remove(record: dict[str, Any]) -> bool:
    org_id = record["orgId"]
    return cleanup.release_with_object([file_store.delete_file_item(org_id, record["fileId"])], org_id, AREA,
                                        record["contentType"], int(record["size"]), record["key"])


def stats(org_id: str, plan: str) -> dict[str, Any]:
    """Stored files in total and by content type, and the plan's storage limit and share used."""
    files_area = file_store.get_stats(org_id, AREA)
    blobs_area = file_store.get_stats(org_id, "blobs")
    limit = storage_accounting.storage_limit(plan)
    used = storage_accounting.used_bytes(org_id)
    return {
        "totalBytes": files_area["bytes"], "fileCount": files_area["count"],
        "byContentType": files_area["byContentType"],
        "attachments": {"bytes": blobs_area["bytes"], "count": blobs_area["count"]},
        "usedBytes": used, "planLimitBytes": limit,
        "percentUsed": round(100.0 * used / limit, 6) if limit else None,
    }


def delete_expired(now: datetime | None = None, limit: int = 100) -> tuple[int, int]:
    """Retention: delete files whose expiry passed (object, record, gauge down); returns (count, bytes)."""
    cutoff = clock.iso(now or clock.now())
    count = freed = 0
    for record in file_store.expiring_before(cutoff, limit):
        if _remove(record):
            count += 1
            freed += int(record["size"])
    return count, freed


def _checked(file_id: str) -> str:
    if not FILE_ID.match(file_id or ""):
        raise _not_found(file_id)
    return file_id


def _not_found(file_id: str) -> NotFound:
    return NotFound(f"No file '{file_id[:64]}'.", code="not_found", details={"fileId": file_id[:64]})


__all__ = ["create_upload_url", "complete", "delete_expired", "delete_file", "download_url", "get_file",
           "list_files", "stats"]
