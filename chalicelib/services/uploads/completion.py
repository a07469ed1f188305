"""Completing an upload session: assemble the multipart upload (or find the POSTed object), verify
it, then hand it to its destination — a blob attached to a run, an ingest job, or a stored file.

A failed verification deletes the object and the session and records nothing. Completion is
idempotent: a completed session answers its stored result again."""
from __future__ import annotations

import json
from typing import Any, Callable

from chalicelib import clock
from chalicelib.errors import InvalidInput, UnsupportedContentType, UploadIncomplete
from chalicelib.services import blobs
from chalicelib.services.uploads import sessions
from chalicelib.services.uploads.verify import VerificationFailed, Verified, verify, verify_assembled
from chalicelib.store import files as file_store
from chalicelib.store import objects, transact

# A destination beyond blobs and ingest (the storage API's ``file``), passed by its owner:
# fn(session, plan, verified_sha256) -> (status, body), recording atomically with the session's completion.
Destination = Callable[[dict[str, Any], str, str], tuple[int, dict[str, Any]]]


def complete(session: dict[str, Any], plan: str, parts: list[dict[str, Any]] | None = None,
             destination: Destination | None = None) -> tuple[int, dict[str, Any]]:
    """Finish, verify and record the upload of ``session`` (as its caller loaded it); (status, body).
    Idempotent. Blob and ingest sessions go to their own destinations; any other kind to
    ``destination`` (its owner's)."""
    org_id, upload_id = str(session["orgId"]), str(session["uploadId"])
    if session["status"] == "completed":
        return _stored(session)
    assemble(session, parts)
    verified = check(session)
    # Destinations record the verified version: a presigned POST used again later writes a new
    # version that nothing serves or ingests.
    session = {**session, "versionId": verified.version_id}
    try:
        return _deliver(session, plan, verified.sha256, destination)
    except AlreadyCompleted:
        return _stored(sessions.get(org_id, upload_id))


class AlreadyCompleted(Exception):
    """Another completion of the same session won the race."""


def _stored(session: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    result = dict(session.get("result") or {})
    status = int(result.pop("httpStatus", 200))
    return status, result


def assemble(session: dict[str, Any], parts: list[dict[str, Any]] | None) -> None:
    """Make the object whole: complete the multipart upload, or check the POSTed object is there.
    409 upload_incomplete while parts or the object are missing."""
    key = session["key"]
    if session["method"] != "MULTIPART":
        if objects.head(key) is None:
            raise UploadIncomplete("Nothing was uploaded yet for this session.",
                           details={"uploadId": session["uploadId"]})
        return
    count = int(session["partCount"])
    try:
        listed = objects.list_parts(key, session["s3UploadId"])
    except objects.ObjectMissing:
        if objects.head(key) is not None:
            return  # completed earlier, its recording interrupted: verify again
        raise UploadIncomplete("The multipart upload no longer exists.",
                       details={"uploadId": session["uploadId"]}) from None
    have = {p["partNumber"]: p["etag"] for p in listed}
    missing = [n for n in range(1, count + 1) if n not in have]
    if missing:
        raise UploadIncomplete(f"{len(missing)} of {count} parts are missing.",
                       details={"uploadId": session["uploadId"], "missingParts": missing[:100]})
    chosen = sorted(parts, key=lambda p: p["partNumber"]) if parts else [
        {"partNumber": n, "etag": have[n]} for n in range(1, count + 1)]
    if [p["partNumber"] for p in chosen] != list(range(1, count + 1)):
        raise InvalidInput("The part list must name every part once, 1..partCount.", code="invalid_parts",
                           details={"partCount": count})
    checksums = sessions.part_checksums(session)  # the declared digests, never the client's word again
    chosen = [{**p, "checksumSha256": checksums[p["partNumber"] - 1]} for p in chosen]
    try:
        objects.complete_multipart(key, session["s3UploadId"], chosen)
    except objects.PartsRejected as exc:
        raise InvalidInput(f"S3 refused the part list ({exc.code}).", code="invalid_parts",
                           details={"reason": exc.code}) from exc
    except objects.ObjectMissing:
        if objects.head(key) is None:
            raise UploadIncomplete("The multipart upload no longer exists.",
                           details={"uploadId": session["uploadId"]}) from None


def check(session: dict[str, Any]) -> Verified:
    """Verify size, checksum (when declared) and type; on failure delete object and session, 4xx.
    A multipart upload is checked by S3's composite checksum (0 bytes read back, but the type sniff's
    first bytes); a POSTed object is read back once."""
    try:
        if session["method"] == "MULTIPART":
            verified = verify_assembled(session["key"], int(session["size"]), session["contentType"], session["sha256"])
        else:
            verified = verify(session["key"], int(session["size"]), session["contentType"],
                              session.get("sha256") or None)
    except objects.ObjectMissing:
        raise UploadIncomplete("Nothing was uploaded yet for this session.",
                       details={"uploadId": session["uploadId"]}) from None
    except VerificationFailed as exc:
        sessions.discard(session)
        error = UnsupportedContentType if exc.code == "type_mismatch" else InvalidInput
        raise error(exc.message + " The object was deleted; start a new upload.", code=exc.code,
                    details=exc.details) from exc
    return verified


def _deliver(session: dict[str, Any], plan: str, sha256: str,
             destination: Destination | None) -> tuple[int, dict[str, Any]]:
    kind = session["kind"]
    if kind == sessions.BLOB:
        return _to_blob(session, plan, sha256)
    if kind == sessions.INGEST:
        return _to_ingest(session, plan, sha256)
    if destination is None:
        raise TypeError(f"no destination for {kind} sessions")  # a caller's bug, not the client's
    return destination(session, plan, sha256)


def completion_item(session: dict[str, Any], status: int, body: dict[str, Any]) -> dict[str, Any]:
    """Transaction entry closing the session with its answer (for destinations' transactions)."""
    return file_store.complete_session_item(session["orgId"], session["uploadId"], {**body, "httpStatus": status},
                                            clock.iso())


def _to_blob(session: dict[str, Any], plan: str, sha256: str) -> tuple[int, dict[str, Any]]:
    org_id = session["orgId"]
    link = {k: session.get(k, "") for k in ("product", "runId", "type", "fileName", "projectId")}
    body = {"status": "completed", "uploadId": session["uploadId"], "sha256": sha256, "size": int(session["size"]),
            "contentType": session["contentType"], "product": session["product"], "runId": session["runId"]}
    close = completion_item(session, 200, body)
    blob = {"sha256": sha256, "size": int(session["size"]), "contentType": session["contentType"]}
    if session.get("versionId"):
        blob["versionId"] = session["versionId"]
    try:
        kept = blobs.store_new(org_id, plan, session["key"], blob, link, [close])  # or attaches to the stored one
    except transact.TransactionCancelled as exc:
        if exc.failed(0):
            raise AlreadyCompleted() from exc
        raise
    if not kept:
        objects.delete(session["key"])  # the same content was already stored: this copy is surplus
    return 200, body


def _to_ingest(session: dict[str, Any], plan: str, sha256: str) -> tuple[int, dict[str, Any]]:
    from chalicelib.services import jobs

    job = jobs.enqueue_ingest(
        session["orgId"], plan, product=session["product"], upload_type=session["type"],
        project_id=session.get("projectId") or "", metadata=json.loads(session.get("metadataJson") or "{}"),
        s3_key=session["key"], size=int(session["size"]), sha256=sha256,
        compressed=session["contentType"] == "application/gzip", idempotency_key=f"upload:{session['uploadId']}",
        upload_id=session["uploadId"], s3_version_id=session.get("versionId"),
        build=json.loads(session["buildJson"]) if session.get("buildJson") else None,
    )
    body = {"status": "queued", "uploadId": session["uploadId"], "jobId": job["jobId"], "job": job}
    if not file_store.complete_session(session["orgId"], session["uploadId"], {**body, "httpStatus": 202}, clock.iso()):
        raise AlreadyCompleted()
    return 202, body
