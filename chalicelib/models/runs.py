"""Reading runs back: list query and page, one run with its paged items and attachments, delete."""
from __future__ import annotations

from typing import Any

from pydantic import Field

from chalicelib.models.base import ApiModel, ApiResponse, UtcDateTime


class RunListQuery(ApiModel):
    """Filters of ``GET /v1/runs/{product}``; ``from``/``to`` bound the upload time (ISO-8601)."""

    project_id: str | None = Field(default=None, max_length=128)
    status: str | None = Field(default=None, max_length=40, description="insight: completed; autopilot: succeeded, failed, incomplete; guardian: passed, failed, completed")
    environment: str | None = Field(default=None, max_length=60)
    passed: bool | None = None
    type: str | None = Field(default=None, max_length=80)
    branch: str | None = Field(default=None, max_length=255, description="only runs built from this branch")
    commit: str | None = Field(default=None, pattern=r"^[0-9a-fA-F]{7,64}$", description="only runs of this commit")
    from_: UtcDateTime | None = Field(default=None, alias="from")
    to: UtcDateTime | None = None
    cursor: str | None = Field(default=None, max_length=2000)
    limit: int = Field(default=20, ge=1, le=100)


class RunDetailQuery(ApiModel):
    """Paging of a run's items: ``page``/``pageSize`` or the ``cursor`` of the previous page."""

    page: int = Field(default=1, ge=1, le=1_000_000)
    page_size: int = Field(default=50, ge=1, le=200)
    cursor: str | None = Field(default=None, max_length=200)
    severity: str | None = Field(default=None, max_length=40, description="insight: only issues of this severity")
    file: str | None = Field(default=None, max_length=1024, description="insight: only issues of this file")
    rule: str | None = Field(default=None, max_length=200, description="insight: only issues of this rule (code)")
    status: str | None = Field(default=None, max_length=40, description="guardian: only tests of this status")


class RunView(ApiResponse):
    """A run's summary (never its payload)."""

    run_id: str
    upload_id: str
    product: str
    type: str
    project_id: str
    external_id: str | None = None
    status: str
    environment: str | None = None
    passed: bool | None = None
    created_at: str
    timestamp: str
    summary: dict[str, Any]
    metadata: dict[str, Any]
    payload_bytes: int
    stored_bytes: int
    payload_sha256: str
    url: str
    build: dict[str, Any] | None = Field(default=None, description="commit, branch, ancestor, buildUrl, pr, provider")
    gate: dict[str, Any] | None = Field(default=None, description="the quality gate against the baseline at ingest")


class RunList(ApiResponse):
    items: list[RunView]
    next_cursor: str | None = None
    stats: dict[str, Any] = Field(description="stats of the whole filtered set, not just this page")


class Attachment(ApiResponse):
    sha256: str
    type: str
    file_name: str
    content_type: str
    size: int
    attached_at: str = Field(default="", description="when it was attached to this run")
    url: str = Field(description="short-lived presigned download URL")
    expires_in: int


class ReportLink(ApiResponse):
    """A Guardian report run (Lighthouse, accessibility) sent for this test run."""

    run_id: str
    type: str
    created_at: str
    url: str = Field(description="short-lived presigned download URL of the report's JSON")
    expires_in: int


class RunDetail(ApiResponse):
    run: RunView
    item_kind: str = Field(description="issues, tests, edits, files, recipes, runs, audits, violations or samples")
    items: list[Any]
    page: int
    page_size: int
    total: int
    next_cursor: str | None = None
    attachments: list[Attachment]
    reports: list[ReportLink] = Field(default_factory=list)
    payload_url: str | None = Field(default=None, description="short-lived download URL of the JSON as uploaded "
                                    "(served with Content-Encoding: gzip)")


class DeletedRun(ApiResponse):
    run_id: str
    deleted: bool
    bytes_freed: int
