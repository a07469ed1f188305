"""Background job bodies: the job as clients see it, its list page and the jobs query filters."""
from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from chalicelib.models.base import ApiModel, ApiResponse

JobStatus = Literal["queued", "running", "succeeded", "failed", "cancelled"]
JobType = Literal["ingest"]


class JobError(ApiResponse):
    code: str
    message: str
    details: dict[str, Any] = Field(default_factory=dict)


class JobView(ApiResponse):
    job_id: str
    type: JobType
    status: JobStatus
    attempts: int = Field(description="processing attempts started so far")
    product: str | None = None
    upload_type: str | None = None
    project_id: str | None = None
    upload_id: str | None = None
    size: int | None = None
    error: JobError | None = Field(default=None, description="the last failure, kept after the job ends")
    result: dict[str, Any] | None = Field(default=None, description="runId|testId, uploadId and url once succeeded")
    created_at: str
    updated_at: str
    started_at: str | None = None
    finished_at: str | None = None


class JobList(ApiResponse):
    items: list[JobView]
    next_cursor: str | None = Field(default=None, description="pass as ?cursor= for the next page; null on the last")


class JobListQuery(ApiModel):
    status: JobStatus | None = None
    type: JobType | None = None
    limit: int = Field(default=20, ge=1, le=100)
    cursor: str | None = Field(default=None, max_length=512)


class DeleteJobsQuery(ApiModel):
    older_than_days: int = Field(ge=0, le=3650, description="delete finished jobs that ended more than N days ago")


class DeletedJobs(ApiResponse):
    deleted: int
