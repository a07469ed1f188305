"""Upload sessions of the large/binary door: start (dedup, quota, presign), look at (resume),
abort, and the retention sweep of abandoned ones. One record per session in the files table;
the storage API's uploads are sessions of kind ``file`` and share everything here."""
from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from chalicelib import clock, ids
from chalicelib.errors import InvalidInput, NotFound, UploadIncomplete
from chalicelib.logs import logger
from chalicelib.models.fields import METADATA_MAX_BYTES
from chalicelib.services import blobs, filenames, storage_accounting, upload_types
from chalicelib.services.auth import Principal
from chalicelib.services.uploads import address, presign
from chalicelib.store import files as file_store
from chalicelib.store import objects

SESSION_TTL = timedelta(days=7)
FILE, BLOB, INGEST = "file", upload_types.BLOB, upload_types.INGEST


def staging_key(org_id: str, upload_id: str) -> str:
    return f"orgs/{org_id}/uploads/{upload_id}"


def blob_upload_key(org_id: str, sha256: str, upload_id: str) -> str:
    """Where a binary upload's bytes go: the blob's own place, so a verified upload becomes the blob
    where it lies (no copy). The upload id keeps two concurrent uploads of one content apart."""
    return f"{blobs.blob_object_key(org_id, sha256)}/{upload_id}"


def upload_id_of(key: str) -> tuple[str, str] | None:
    """(orgId, uploadId) of a session's object key, either layout; None for any other key."""
    parts = key.split("/")
    if len(parts) == 4 and parts[0] == "orgs" and parts[2] == "uploads":
        return parts[1], parts[3]
    if len(parts) == 5 and parts[0] == "orgs" and parts[2] == blobs.AREA:
        return parts[1], parts[4]
    return None


def start(org_id: str, plan: str, request: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """Answer ``POST /v1/uploads``: (200, exists) or (201, upload instructions).

    ``request``: product, type, fileName, contentType, size, sha256 (the content address), partSize and
    partSha256 (multipart), projectId, runId, metadata."""
    kind = upload_types.resolve(request["product"], request["type"]).destination(request["contentType"])
    sha256 = request["sha256"].lower()
    digests = address.declared_parts(request["size"], sha256, request.get("partSize"), request.get("partSha256"))
    link = {
        "product": request["product"], "runId": request.get("runId") or "", "type": request["type"],
        "fileName": filenames.sanitize(request["fileName"]), "projectId": request.get("projectId") or "",
    }
    if kind == BLOB:
        if not link["runId"]:
            raise InvalidInput("A binary upload is attached to a run: send runId (or testRunId).",
                               code="validation_failed", details={"field": "runId"})
        existing = blobs.get(org_id, sha256)
        if existing is not None:
            try:
                return 200, _exists(org_id, existing, link, request["size"])
            except blobs.BlobMissing:  # retention removed it meanwhile: the bytes must be sent again
                logger.info("blob vanished before attach; presigning a new upload", extra={"sha256": sha256})
    storage_accounting.check_room(org_id, plan, request["size"])
    upload_id = ids.sortable_id()
    record = {
        "kind": kind, "product": request["product"], "type": request["type"], "fileName": link["fileName"],
        "contentType": request["contentType"], "size": request["size"], "sha256": sha256,
        "projectId": link["projectId"], "runId": link["runId"], "metadataJson": _metadata_json(request.get("metadata")),
    }
    if digests is not None:
        record["partSha256"] = "".join(digests)  # 64 hex characters per part, in part order
    if request.get("build"):
        record["buildJson"] = json.dumps({k: v for k, v in request["build"].items() if v is not None})
    key = blob_upload_key(org_id, sha256, upload_id) if kind == BLOB else staging_key(org_id, upload_id)
    return 201, create(org_id, upload_id, key, record)


MAX_METADATA_BYTES = METADATA_MAX_BYTES  # the request model's bound (one for both doors)


def _metadata_json(metadata: dict[str, Any] | None) -> str:
    """Metadata kept as JSON text (any JSON values, no DynamoDB type limits), at most 16 KiB."""
    text = json.dumps(metadata or {}, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    if len(text.encode()) > MAX_METADATA_BYTES:
        raise InvalidInput(f"metadata may hold at most {MAX_METADATA_BYTES} bytes of JSON.", code="validation_failed",
                           details={"field": "metadata", "limit": MAX_METADATA_BYTES})
    return text


def _exists(org_id: str, blob: dict[str, Any], link: dict[str, Any], size: int) -> dict[str, Any]:
    if int(blob["size"]) != size:
        raise InvalidInput("A stored object with this SHA-256 has a different size.", code="size_mismatch",
                           details={"declared": size, "stored": int(blob["size"])})
    attached = blobs.attach(org_id, blob["sha256"], link)
    return {
        "status": "exists", "sha256": blob["sha256"], "size": int(blob["size"]),
        "contentType": blob["contentType"], "product": link["product"], "runId": link["runId"],
        "attached": attached, "bytesToSend": 0,
    }


def create(org_id: str, upload_id: str, key: str, record: dict[str, Any], expires_in: int | None = None,
           single_post: bool = False) -> dict[str, Any]:
    """Presign the transfer of ``record['size']`` bytes to ``key`` and store the open session.
    ``single_post``: always one presigned POST (the storage API), whatever the size; otherwise above
    the part size ``record['partSha256']`` holds the declared part digests the part URLs sign."""
    size, content_type = int(record["size"]), record["contentType"]
    seconds = presign.expiry(expires_in, presign.STORAGE_MAX_EXPIRY if single_post else None)
    session = {**record, "orgId": org_id, "uploadId": upload_id, "key": key, "status": "pending",
               "createdAt": clock.iso()}
    if presign.is_multipart(size) and not single_post:
        part_size = presign.part_size_for(size)
        count = presign.part_count(size, part_size)
        s3_upload_id = objects.create_multipart(key, content_type)
        session.update(method="MULTIPART", s3UploadId=s3_upload_id, partSize=part_size, partCount=count)
        answer = {"method": "MULTIPART", "partSize": part_size, "partCount": count,
                  "parts": presign.part_urls(key, s3_upload_id, list(range(1, count + 1)), seconds,
                                             part_checksums(session)),
                  "expiresAt": presign.expires_at(seconds)}
    else:
        session.update(method="POST")
        answer = presign.post_form(key, content_type, size, seconds)
    ttl = int((clock.now() + SESSION_TTL).timestamp())
    file_store.put_session(session, ttl)
    return {"status": "upload", "uploadId": upload_id, "size": size, "contentType": content_type,
            "expiresIn": seconds, **answer}


def part_checksums(session: dict[str, Any]) -> list[str]:
    """The declared SHA-256 of every part, base64 as S3 takes it, in part order. A multipart session
    opened before parts were addressed by their digests has none: it cannot be resumed nor completed
    (a 409 saying to start again; it expires with its session)."""
    if not session.get("partSha256"):
        raise UploadIncomplete("This upload was started before part checksums were required: start it again.",
                               code="upload_restart_required", details={"uploadId": session.get("uploadId")})
    hexes = str(session["partSha256"])
    return [address.to_base64(hexes[i:i + 64]) for i in range(0, len(hexes), 64)]


def get(org_id: str, upload_id: str) -> dict[str, Any]:
    """The session record; 404 when unknown or another organization's."""
    session = file_store.get_session(org_id, upload_id)
    if session is None:
        raise NotFound(f"No upload '{upload_id}'.", code="not_found", details={"uploadId": upload_id})
    return session


def authorize(principal: Principal, product: str, kind: str = "") -> None:
    """Who may use an upload session: a product's uploads need ``<product>:write``; a storage file
    seen through this door, ``storage:write``. MissingScope otherwise."""
    if kind == FILE:
        principal.require("storage:write")
    elif product in upload_types.PRODUCTS:
        principal.require(f"{product}:write")


def open_for(principal: Principal, upload_id: str) -> dict[str, Any]:
    """The caller's session, once they may use it (404 for another organization's, 403 without the scope)."""
    session = get(principal.org_id, upload_id)
    authorize(principal, str(session.get("product", "")), str(session.get("kind", "")))
    return session


def describe(session: dict[str, Any]) -> dict[str, Any]:
    """What a resuming client needs: parts S3 already holds and fresh URLs for the rest."""
    upload_id = session["uploadId"]
    view = {
        "uploadId": upload_id, "status": session["status"], "method": session["method"],
        "product": session.get("product", ""), "type": session.get("type", ""), "size": int(session["size"]),
        "contentType": session["contentType"], "createdAt": session["createdAt"],
    }
    if session["status"] == "completed":
        return {**view, "result": session.get("result", {})}
    seconds = presign.expiry()
    if session["method"] == "MULTIPART":
        count = int(session["partCount"])
        try:
            have = objects.list_parts(session["key"], session["s3UploadId"])
        except objects.ObjectMissing:
            have = []
        done = {p["partNumber"] for p in have}
        missing = [n for n in range(1, count + 1) if n not in done]
        return {**view, "partSize": int(session["partSize"]), "partCount": count, "uploadedParts": have,
                "missingParts": missing,
                "parts": presign.part_urls(session["key"], session["s3UploadId"], missing, seconds, part_checksums(session)),
                "expiresAt": presign.expires_at(seconds)}
    present = objects.head(session["key"]) is not None
    view.update(uploaded=present)
    if not present:
        view.update(presign.post_form(session["key"], session["contentType"], int(session["size"]), seconds))
    return view


def abort(session: dict[str, Any]) -> None:
    """Abort an open session: the multipart upload, any staged object, the record; a completed
    session cannot be aborted (409)."""
    upload_id = session["uploadId"]
    if session["status"] == "completed":
        from chalicelib.errors import Conflict

        raise Conflict("This upload is already completed.", code="upload_completed", details={"uploadId": upload_id})
    discard(session)


def discard(session: dict[str, Any]) -> None:
    """Remove everything an open session left behind (S3 first, then the record)."""
    if session.get("method") == "MULTIPART" and session.get("s3UploadId"):
        objects.abort_multipart(session["key"], session["s3UploadId"])
    objects.delete(session["key"])
    file_store.delete_session(session["orgId"], session["uploadId"])


def abort_abandoned(older_than: timedelta, limit: int = 100) -> int:
    """Retention: abort sessions opened more than ``older_than`` ago and still not completed, and any
    multipart upload S3 still holds under ``orgs/`` that old. Returns how many were aborted."""
    cutoff = clock.now() - older_than
    count = 0
    for session in file_store.open_sessions_before(clock.iso(cutoff), limit):
        discard(session)
        count += 1
    for upload in objects.list_multipart_uploads("orgs/"):
        if count >= limit:
            break
        if objects.initiated_before(upload, cutoff) and not _live_session_owns(upload["key"], clock.iso(cutoff)):
            objects.abort_multipart(upload["key"], upload["uploadId"])
            count += 1
    if count:
        logger.info("aborted abandoned uploads", extra={"count": count})
    return count


def _live_session_owns(key: str, cutoff: str) -> bool:
    """Whether a multipart upload belongs to a session still within its time (never trust S3's
    'Initiated' alone: emulators report a fixed date, and clocks drift)."""
    owner = upload_id_of(key)
    if owner is None:
        return False
    session = file_store.get_session(*owner)
    return session is not None and session["status"] == "pending" and session["createdAt"] >= cutoff
