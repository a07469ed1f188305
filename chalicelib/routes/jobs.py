"""Background jobs: follow, retry, cancel and clean up ingest jobs; and the SQS handler that runs them."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from chalice import Blueprint
from chalice.app import SQSEvent

from chalicelib import clock
from chalicelib.config import get_settings
from chalicelib.lazy import lazy_module
from chalicelib.web import RequestContext, route

jobs = lazy_module("chalicelib.services.jobs")
models = lazy_module("chalicelib.models.jobs")

bp = Blueprint(__name__)

# Read at import: `chalice package` wires the event source mapping to this stage's queue.
INGEST_QUEUE = get_settings().ingest_queue
DELETE_BATCH = 1000


@route(bp, "/v1/jobs", summary="List background jobs, newest first (filters: status, type; cursor pages)",
       scope="jobs:read", tags=("jobs",), errors=(400,))
def list_jobs(ctx: RequestContext, query: models.JobListQuery) -> models.JobList:
    items, cursor = jobs.list_jobs(ctx.org_id, status=query.status, job_type=query.type, limit=query.limit,
                                   cursor=query.cursor)
    return models.JobList(items=[models.JobView.model_validate(i) for i in items], next_cursor=cursor)


@route(bp, "/v1/jobs/{jobId}", summary="A job: status, attempts, error, result and timestamps",
       scope="jobs:read", tags=("jobs",), errors=(404,), metered=False)
def get_job(ctx: RequestContext, jobId: str) -> models.JobView:
    return models.JobView.model_validate(jobs.get_job(ctx.org_id, jobId))


@route(bp, "/v1/jobs/{jobId}/retry", "POST", summary="Queue a failed job again (409 unless failed)",
       scope="jobs:write", status=202, tags=("jobs",), errors=(404, 409, 503))
def retry_job(ctx: RequestContext, jobId: str) -> models.JobView:
    return models.JobView.model_validate(jobs.retry_job(ctx.org_id, jobId))


@route(bp, "/v1/jobs/{jobId}/cancel", "POST", summary="Cancel a queued or running job (409 once finished)",
       scope="jobs:write", tags=("jobs",), errors=(404, 409))
def cancel_job(ctx: RequestContext, jobId: str) -> models.JobView:
    return models.JobView.model_validate(jobs.cancel_job(ctx.org_id, jobId))


@route(bp, "/v1/jobs", "DELETE", summary="Delete finished jobs that ended more than olderThanDays days ago",
       scope="jobs:write", tags=("jobs",), errors=(400,))
def delete_jobs(ctx: RequestContext, query: models.DeleteJobsQuery) -> models.DeletedJobs:
    before = clock.now() - timedelta(days=query.older_than_days)
    return models.DeletedJobs(deleted=jobs.delete_finished_before(ctx.org_id, before, DELETE_BATCH))


@bp.on_sqs_message(queue=INGEST_QUEUE, batch_size=1, name="ingest_worker")
def handle_ingest(event: SQSEvent) -> None:
    """Process ingest messages; raising makes SQS deliver the message again (batch size 1),
    after a back-off shorter than the queue's visibility timeout."""
    for record in event:
        count = receive_count(record.to_dict())
        try:
            jobs.process_message(record.body, count)
        except Exception:
            jobs.back_off(record.receipt_handle, count)
            raise


def receive_count(record: dict[str, Any]) -> int:
    """ApproximateReceiveCount of an SQS record (Lambda event record or ReceiveMessage message)."""
    attributes = record.get("attributes") or record.get("Attributes") or {}
    try:
        return int(attributes.get("ApproximateReceiveCount", 1))
    except (TypeError, ValueError):
        return 1

