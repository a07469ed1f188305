"""Content-addressed blobs (under ``orgs/<orgId>/blobs/<sha256>``): one object per distinct content per
organization, counted by reference, attached to the runs that use it. The object is the verified
upload itself, left where it was sent (its key is in the blob record and on every attachment). A
second run with the same screenshot adds an attachment and a reference, never a second object nor a
second gauge increase."""
from __future__ import annotations

from typing import Any

from chalicelib import clock
from chalicelib.config import get_settings
from chalicelib.errors import Conflict
from chalicelib.logs import logger
from chalicelib.services import cleanup, storage_accounting
from chalicelib.store import files as file_store
from chalicelib.store import objects, transact


AREA = "blobs"


class BlobMissing(Exception):
    """No blob with that SHA-256 is stored for the organization."""


class BlobRace(Conflict):
    """The blob was created and removed by others while this upload was being recorded (409: retry)."""

    def __init__(self, sha256: str) -> None:
        super().__init__("The stored object changed while this upload completed; complete it again.",
                         code="blob_changed", details={"sha256": sha256})


def blob_object_key(org_id: str, sha256: str) -> str:
    """The blob's prefix; records made before uploads stayed in place name this key itself."""
    return f"orgs/{org_id}/blobs/{sha256}"


def _key_of(org_id: str, record: dict[str, Any]) -> str:
    return str(record.get("key") or blob_object_key(org_id, record["sha256"]))


def get(org_id: str, sha256: str) -> dict[str, Any] | None:
    """The blob record (sha256, size, contentType, refs, key, createdAt) or None."""
    return file_store.get_blob(org_id, sha256.lower())


def _attachment(org_id: str, blob: dict[str, Any], link: dict[str, Any]) -> dict[str, Any]:
    return {
        "orgId": org_id,
        "product": link["product"],
        "runId": link["runId"],
        "sha256": blob["sha256"],
        "size": int(blob["size"]),
        "contentType": blob["contentType"],
        "type": link.get("type", ""),
        "fileName": link.get("fileName", ""),
        "projectId": link.get("projectId") or "",
        "key": _key_of(org_id, blob),
        **({"versionId": blob["versionId"]} if blob.get("versionId") else {}),
        "attachedAt": clock.iso(),
    }


def attach(org_id: str, sha256: str, link: dict[str, Any], extra: list[dict[str, Any]] | None = None) -> bool:
    """Attach an existing blob to a run (``link``: product, runId, type, fileName, projectId), in one
    transaction with ``extra`` entries. True when newly attached, False when it already was (the
    ``extra`` entries are then written on their own). BlobMissing when there is no such blob."""
    blob = get(org_id, sha256)
    if blob is None:
        raise BlobMissing(sha256)
    extra = list(extra or [])
    items = [*extra, file_store.new_attachment_item(org_id, _attachment(org_id, blob, link)),
             file_store.add_ref_item(org_id, blob["sha256"], 1)]
    try:
        transact.write(items)
    except transact.TransactionCancelled as exc:
        if exc.failed(len(extra)):
            if extra:
                transact.write(extra)
            return False
        if exc.failed(len(extra) + 1):
            raise BlobMissing(sha256) from exc
        raise
    return True


def store_new(org_id: str, plan: str, key: str, blob: dict[str, Any], link: dict[str, Any],
              extra: list[dict[str, Any]] | None = None) -> bool:
    """Record the verified object at ``key`` as the blob ``blob`` (sha256, size, contentType), in
    place, and attach it. True when the object became the blob; False when the blob appeared
    meanwhile and the run was attached to it instead (the object at ``key`` is then a duplicate for
    the caller to delete). Raises 429 when the gauge would pass the plan's limit (nothing is recorded;
    the object stays with its open session)."""
    sha256 = blob["sha256"]
    if get(org_id, sha256) is not None:
        try:
            attach(org_id, sha256, link, extra)
            return False
        except BlobMissing:  # removed by retention since the read: this object becomes the blob
            pass
    record = {**blob, "orgId": org_id, "key": key, "createdAt": clock.iso()}
    extra = list(extra or [])
    gauge = storage_accounting.gauge_items(org_id, plan, AREA, blob["contentType"], int(blob["size"]), 1)
    items = [*extra, file_store.new_blob_item(org_id, record),
             file_store.new_attachment_item(org_id, _attachment(org_id, record, link)), *gauge]
    try:
        transact.write(items)
    except transact.TransactionCancelled as exc:
        if exc.failed(len(extra)):
            raise
        if exc.failed(len(extra) + 1):
            try:
                attach(org_id, sha256, link, extra)
            except BlobMissing as missing:  # appeared and vanished again within this call
                raise BlobRace(sha256) from missing
            return False
        if any(exc.failed(i) for i in range(len(extra) + 2, len(items))):
            raise storage_accounting.quota_exceeded(org_id, plan, int(blob["size"])) from exc
        raise
    return True


def list_for_run(org_id: str, product: str, run_id: str) -> list[dict[str, Any]]:
    """The blobs attached to a run, each with a short-lived download URL (≤ 15 minutes)."""
    expires = get_settings().presign_expiry_seconds
    found = []
    for item in file_store.list_attachments(org_id, product, run_id):
        name = item.get("fileName") or item["sha256"]
        found.append({
            "sha256": item["sha256"],
            "type": item.get("type", ""),
            "fileName": item.get("fileName", ""),
            "contentType": item["contentType"],
            "size": int(item["size"]),
            "attachedAt": item.get("attachedAt", ""),
            "url": objects.presigned_get(_key_of(org_id, item), expires, name, item["contentType"],
                                         item.get("versionId")),
            "expiresIn": expires,
        })
    return found


def release_run(org_id: str, product: str, run_id: str) -> int:
    """Detach every blob of a run; a blob no other run references is deleted (record, object,
    gauge down). Returns the bytes freed. Safe to call again (a second call frees nothing)."""
    freed = 0
    for item in file_store.list_attachments(org_id, product, run_id):
        sha256 = item["sha256"]
        try:
            transact.write([file_store.delete_attachment_item(org_id, product, run_id, sha256),
                            file_store.add_ref_item(org_id, sha256, -1)])
        except transact.TransactionCancelled:
            logger.warning("attachment already released", extra={"sha256": sha256, "run_id": run_id})
            continue
        freed += _delete_if_unreferenced(org_id, sha256)
    return freed


def _delete_if_unreferenced(org_id: str, sha256: str) -> int:
    blob = get(org_id, sha256)
    if blob is None or int(blob.get("refs", 0)) > 0:
        return 0
    size = int(blob["size"])
    if not cleanup.release_with_object([file_store.delete_unreferenced_blob_item(org_id, sha256)],
                                        org_id, AREA, blob["contentType"], size, _key_of(org_id, blob)):
        return 0  # referenced again meanwhile, or already gone
    return size


__all__ = ["BlobMissing", "attach", "blob_object_key", "get", "list_for_run",
           "release_run", "store_new"]
