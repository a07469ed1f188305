"""Background ingest jobs: queue a large JSON upload, process it off the request path, and let
the client follow, retry or cancel it.

States: queued -> running -> succeeded | failed; queued/running -> cancelled; failed -> queued (retry).
A job item is written before its SQS message is sent, so the message always finds its job; a send
that fails turns the job ``failed`` at once. Processing (``process_message``) is the one function
behind both the SQS Lambda handler and the local worker:

- a client-data error (an DomainError below 500, a missing or oversized staging object) fails the job
  for good and keeps the error;
- anything else is an infrastructure error: the error is kept and the exception propagates, so SQS
  delivers the message again; on the ``MAX_RECEIVES``-th failed delivery the job turns ``failed``
  and the queue's redrive policy moves the message to the dead-letter queue.
"""
from __future__ import annotations

import dataclasses
import json
import re
from datetime import datetime
from typing import Any

from chalicelib import clock, errors, ids
from chalicelib.config import get_settings
from chalicelib.errors import Conflict, DomainError, NotFound, Unavailable
from chalicelib.logs import logger
from chalicelib.services import cursors
from chalicelib.values import to_plain
from chalicelib.store import jobs as store
from chalicelib.store import queue, staging

QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED = "queued", "running", "succeeded", "failed", "cancelled"
FINISHED = (SUCCEEDED, FAILED, CANCELLED)
INGEST = "ingest"
# Must equal maxReceiveCount of IngestQueue's RedrivePolicy in infra/resources.json (a test checks).
MAX_RECEIVES = 3
# Back-off before a failed message is delivered again, times its receive count.
RETRY_SECONDS = 30

_JOB_ID = re.compile(r"^[0-9a-f]{26}$")


# ---------------------------------------------------------------- creating


def enqueue_ingest(
    org_id: str,
    plan: str,
    *,
    product: str,
    upload_type: str,
    project_id: str,
    metadata: dict[str, Any],
    s3_key: str,
    size: int,
    sha256: str,
    compressed: bool,
    idempotency_key: str | None,
    upload_id: str,
    s3_version_id: str | None = None,
    build: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Queue the ingest of the staged object at ``s3_key``; returns the job view (status ``queued``).

    Raises Unavailable (503) when the queue refuses the message; the job is then ``failed``."""
    now = clock.iso()
    job_id = ids.sortable_id()
    item: dict[str, Any] = {
        "orgId": org_id,
        "jobId": job_id,
        "type": INGEST,
        "status": QUEUED,
        "attempts": 0,
        "plan": plan,
        "product": product,
        "uploadType": upload_type,
        "projectId": project_id,
        "metadataJson": json.dumps(to_plain(metadata or {}), separators=(",", ":")),
        "s3Key": s3_key,
        "size": int(size),
        "sha256": sha256,
        "compressed": bool(compressed),
        "uploadId": upload_id,
        "createdAt": now,
        "updatedAt": now,
    }
    if idempotency_key:
        item["idempotencyKey"] = idempotency_key
    if s3_version_id:
        item["s3VersionId"] = s3_version_id  # the verified bytes; a later write to the key is not ingested
    if build:
        item["buildJson"] = json.dumps(build)
    store.put_job(item)
    _send(org_id, job_id)
    return view(item)


def _send(org_id: str, job_id: str) -> None:
    """Send the job's message; on failure mark the job failed and answer 503."""
    try:
        queue.send_ingest({"orgId": org_id, "jobId": job_id})
    except Exception as exc:  # any failure to queue: the job must not claim to be queued
        logger.exception("ingest queue send failed", extra={"job_id": job_id})
        error = {"code": "queue_unavailable", "message": "The job could not be queued.", "details": {}}
        store.transition(org_id, job_id, (QUEUED,), _finished(FAILED, error))
        raise Unavailable(
            "The ingest queue is unavailable; retry the job later.",
            code="queue_unavailable",
            details={"jobId": job_id},
            headers={"Retry-After": "30"},
        ) from exc


# ---------------------------------------------------------------- reading


def get_job(org_id: str, job_id: str) -> dict[str, Any]:
    """The job view; 404 for an unknown id or another organization's job."""
    return view(_load(org_id, job_id))


def list_jobs(
    org_id: str, *, status: str | None = None, job_type: str | None = None, limit: int = 20, cursor: str | None = None
) -> tuple[list[dict[str, Any]], str | None]:
    """A page of the organization's jobs, newest first; returns (views, next cursor or None)."""
    start_after = _decode_cursor(cursor) if cursor else None
    items, last = store.list_jobs(org_id, status=status, job_type=job_type, limit=limit, start_after=start_after)
    return [view(i) for i in items], (_encode_cursor(last) if last else None)


# ---------------------------------------------------------------- client actions


def retry_job(org_id: str, job_id: str) -> dict[str, Any]:
    """Queue a failed job again (409 for any other state)."""
    current = _load(org_id, job_id)
    updated = store.transition(
        org_id, job_id, (FAILED,), {"status": QUEUED, "updatedAt": clock.iso()}, remove=("finishedAt",)
    )
    if updated is None:
        raise Conflict(
            f"Only a failed job can be retried; this one is {current['status']}.",
            code="job_not_retryable",
            details={"status": current["status"]},
        )
    _send(org_id, job_id)
    return view(updated)


def cancel_job(org_id: str, job_id: str) -> dict[str, Any]:
    """Cancel a queued or running job (409 once it has finished). Its staging object is removed."""
    current = _load(org_id, job_id)
    updated = store.transition(org_id, job_id, (QUEUED, RUNNING), _finished(CANCELLED))
    if updated is None:
        raise Conflict(
            f"The job has already finished ({current['status']}).",
            code="job_finished",
            details={"status": current["status"]},
        )
    _discard_staging(updated)
    return view(updated)


def delete_finished_before(org_id: str | None, before: datetime, limit: int) -> int:
    """Delete up to ``limit`` finished jobs (succeeded, failed, cancelled) that ended before ``before``
    (one organization, or all when ``org_id`` is None) with any staging object they left; returns the count."""
    deleted = 0
    for item in store.finished_before(org_id, clock.iso(before), FINISHED, limit):
        if store.delete_if_status(item["orgId"], item["jobId"], FINISHED):
            deleted += 1
            if item["status"] != SUCCEEDED:
                _discard_staging(item)
    return deleted


# ---------------------------------------------------------------- processing


def process_message(body: str, receive_count: int) -> None:
    """Process one ingest message (SQS Lambda and local worker alike).

    Returns normally when the message is done with (processed, skipped, or failed for good);
    raises when SQS should deliver it again."""
    try:
        message = json.loads(body)
        org_id, job_id = str(message["orgId"]), str(message["jobId"])
    except (ValueError, TypeError, KeyError):
        # Kept for an operator to look at, not dropped: straight to the dead-letter queue.
        logger.error("malformed ingest message moved to the dead-letter queue", extra={"body": body[:200]})
        queue.send_dead_letter(body)
        return
    job = store.get_job(org_id, job_id)
    if job is None or job["status"] not in (QUEUED, RUNNING):
        logger.info("skipping ingest message", extra={"job_id": job_id, "status": job and job["status"]})
        return
    now = clock.iso()
    fields: dict[str, Any] = {"status": RUNNING, "updatedAt": now}
    if not job.get("startedAt"):
        fields["startedAt"] = now
    job = store.transition(org_id, job_id, (QUEUED, RUNNING), fields, add_attempt=True)
    if job is None:  # cancelled in between
        return
    try:
        result = _run(job)
    except DomainError as exc:
        if errors.is_transient(exc):
            _infrastructure_failure(job, exc, _error_of(exc), receive_count)
            raise
        _fail(job, _error_of(exc))
        return
    except staging.StagingMissing:
        _fail(job, {"code": "staging_missing", "message": "The uploaded object is no longer available.",
                    "details": {"uploadId": job.get("uploadId")}})
        return
    except staging.StagingTooLarge as exc:
        _fail(job, {"code": "payload_too_large", "message": "The uploaded object exceeds the ingest limit.",
                    "details": {"size": exc.size, "limit": exc.limit}})
        return
    except Exception as exc:
        # Internals (exception text, AWS error codes) stay in the log; the job says what a client can act on.
        logger.exception("ingest attempt raised", extra={"job_id": job_id})
        error = {"code": "ingest_error", "message": "The ingest failed on the service's side; it is retried "
                 f"up to {MAX_RECEIVES} times.", "details": {"attempt": receive_count}}
        _infrastructure_failure(job, exc, error, receive_count)
        raise
    done = store.transition(
        org_id, job_id, (RUNNING,), {**_finished(SUCCEEDED), "resultJson": json.dumps(result)}, remove=("errorJson",)
    )
    if done is None:
        logger.warning("job changed state while running; result kept out", extra={"job_id": job_id})
        return
    _discard_staging(job)


def back_off(receipt_handle: str, receive_count: int) -> None:
    """Deliver a failed message again after RETRY_SECONDS x receive count (not the queue's 15 minutes).
    Best effort: without it SQS still redelivers once the visibility timeout ends."""
    try:
        queue.delay_ingest(receipt_handle, min(RETRY_SECONDS * max(receive_count, 1), 900))
    except Exception:
        logger.warning("could not shorten the failed message's visibility", exc_info=True)


def _run(job: dict[str, Any]) -> dict[str, Any]:
    """Read the staged object, decode it and ingest it; the ingest reply as a JSON-ready dict."""
    staged = staging.read(job["s3Key"], get_settings().decompressed_max_bytes, job.get("s3VersionId"))
    if job.get("compressed"):
        return _plain(_ingest_json(job, _gunzip(staged), gzipped=staged))
    return _plain(_ingest_json(job, staged))


def _ingest_json(job: dict[str, Any], data: bytes, gzipped: bytes | None = None) -> Any:
    """Hand the decoded JSON to the inline door's ingest pipeline (validation, S3 payload, run item, usage).

    The idempotency key (the upload's, else one per job) makes a redelivered message return the
    run the first delivery stored instead of a second run."""
    from chalicelib.services import ingest

    extra: dict[str, Any] = {"gzipped": gzipped} if gzipped is not None else {}
    if job.get("buildJson"):
        extra["build"] = json.loads(job["buildJson"])
    return ingest.ingest_json(
        job["orgId"],
        job["plan"],
        job["product"],
        job["uploadType"],
        job.get("projectId"),
        json.loads(job.get("metadataJson") or "{}"),
        data,
        job.get("idempotencyKey") or f"job-{job['jobId']}",
        **extra,
    )


def _gunzip(data: bytes) -> bytes:
    """Bounded gunzip (decompression-bomb caps of the inline door)."""
    from chalicelib.services import decoding

    settings = get_settings()
    return decoding.gunzip_bounded(data, settings.decompressed_max_bytes, settings.decompression_max_ratio)


def _plain(result: Any) -> dict[str, Any]:
    """IngestResult (its documented reply: uploadId, runId|testId, url) as a JSON-ready dict."""
    if hasattr(result, "reply"):
        data = result.reply()
    elif hasattr(result, "model_dump"):
        data = result.model_dump(mode="json", by_alias=True, exclude_none=True)
    elif dataclasses.is_dataclass(result):
        data = dataclasses.asdict(result)  # type: ignore[arg-type]
    else:
        data = dict(result)
    return json.loads(json.dumps(data, default=str))


def _infrastructure_failure(job: dict[str, Any], exc: BaseException, error: dict[str, Any], receive_count: int) -> None:
    """Keep the error; on the last delivery the job fails (the message goes on to the dead-letter queue)."""
    logger.warning("ingest attempt failed", extra={"job_id": job["jobId"], "receive_count": receive_count,
                                                   "error": error["code"]})
    error_json = json.dumps(error, default=str)
    if receive_count >= MAX_RECEIVES:
        store.transition(job["orgId"], job["jobId"], (RUNNING,), {**_finished(FAILED, error)})
    else:
        store.transition(job["orgId"], job["jobId"], (RUNNING,),
                         {"status": QUEUED, "updatedAt": clock.iso(), "errorJson": error_json})


def _fail(job: dict[str, Any], error: dict[str, Any]) -> None:
    logger.info("ingest job failed", extra={"job_id": job["jobId"], "error": error["code"]})
    store.transition(job["orgId"], job["jobId"], (RUNNING,), _finished(FAILED, error))


def _error_of(exc: DomainError) -> dict[str, Any]:
    return {"code": exc.code, "message": exc.message, "details": exc.details}


def _finished(status: str, error: dict[str, Any] | None = None) -> dict[str, Any]:
    now = clock.iso()
    fields: dict[str, Any] = {"status": status, "updatedAt": now, "finishedAt": now}
    if error is not None:
        fields["errorJson"] = json.dumps(error, default=str)
    return fields


def _discard_staging(job: dict[str, Any]) -> None:
    """Best effort: the staging object is no longer needed (a leftover is removed by retention)."""
    try:
        staging.delete(job["s3Key"])
    except Exception:
        logger.warning("could not delete staging object", extra={"job_id": job["jobId"]})


# ---------------------------------------------------------------- helpers


def _load(org_id: str, job_id: str) -> dict[str, Any]:
    item = store.get_job(org_id, job_id) if _JOB_ID.match(job_id) else None
    if item is None:
        raise NotFound(f"No job '{job_id}'.", details={"jobId": job_id})
    return item


def view(item: dict[str, Any]) -> dict[str, Any]:
    """The job as clients see it (camelCase, internal fields left out)."""
    error = json.loads(item["errorJson"]) if item.get("errorJson") else None
    if error is not None:
        error = {"code": error.get("code", "error"), "message": error.get("message", ""),
                 "details": error.get("details") or {}}
    out: dict[str, Any] = {
        "jobId": item["jobId"],
        "type": item.get("type", INGEST),
        "status": item["status"],
        "attempts": int(item.get("attempts", 0)),
        "product": item.get("product"),
        "uploadType": item.get("uploadType"),
        "projectId": item.get("projectId"),
        "uploadId": item.get("uploadId"),
        "size": int(item["size"]) if item.get("size") is not None else None,
        "error": error,
        "result": json.loads(item["resultJson"]) if item.get("resultJson") else None,
        "createdAt": item["createdAt"],
        "updatedAt": item.get("updatedAt", item["createdAt"]),
        "startedAt": item.get("startedAt"),
        "finishedAt": item.get("finishedAt"),
    }
    return out


def _encode_cursor(job_id: str) -> str:
    return cursors.encode({"after": job_id})


def _decode_cursor(cursor: str) -> str:
    position = cursors.decode(cursor, lambda p: set(p) == {"after"} and isinstance(p["after"], str)
                              and bool(_JOB_ID.match(p["after"])))
    return str(position["after"])
