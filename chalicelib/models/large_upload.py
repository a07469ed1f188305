"""Bodies of the large/binary upload door ``/v1/uploads``."""
from __future__ import annotations

from typing import Annotated, Any

from pydantic import AliasChoices, Field, StringConstraints

from chalicelib.models.base import ApiModel, ApiResponse
from chalicelib.models.build import BuildContext
from chalicelib.models.jobs import JobView
from chalicelib.models.fields import Metadata, ProjectId, UploadTypeName

MAX_UPLOAD_BYTES = 5 * 1024 * 1024 * 1024
SHA256_PATTERN = r"^[0-9a-fA-F]{64}$"
RUN_ID_PATTERN = r"^[A-Za-z0-9._:-]{1,128}$"
PartDigest = Annotated[str, StringConstraints(pattern=SHA256_PATTERN)]


class CreateUploadRequest(ApiModel):
    product: str = Field(min_length=1, max_length=32, description="insight | autopilot | guardian")
    type: UploadTypeName = Field(description="upload type of the product (see the design)")
    file_name: str = Field(min_length=1, max_length=255, description="kept as metadata only, sanitized")
    content_type: str = Field(min_length=1, max_length=100)
    size: int = Field(gt=0, le=MAX_UPLOAD_BYTES, description="exact size in bytes")
    sha256: str = Field(pattern=SHA256_PATTERN, description=(
        "the content address, hex: the SHA-256 of the bytes when size ≤ the part size (one POST); above it the "
        "tree hash, SHA-256 over the concatenated raw SHA-256 digests of each partSize part"))
    part_size: int | None = Field(default=None, ge=5 * 1024 * 1024, description=(
        "the part size partSha256 was hashed at; it must be the server's (8 MiB by default; a "
        "400 part_digests_required names it)"))
    part_sha256: list[PartDigest] | None = Field(default=None, max_length=10_000, description=(
        "above one part: hex SHA-256 of each part, in part order; every part URL signs its digest "
        "(x-amz-checksum-sha256) so storage refuses other bytes"))
    project_id: ProjectId | None = None
    run_id: str | None = Field(default=None, pattern=RUN_ID_PATTERN,
                               validation_alias=AliasChoices("runId", "testRunId", "run_id"),
                               description="the run a screenshot or report belongs to (alias testRunId)")
    metadata: Metadata | None = None
    build: BuildContext | None = Field(default=None, description="the commit, branch and CI run (ingested types)")


class PartRef(ApiModel):
    part_number: int = Field(ge=1, le=10_000)
    etag: str = Field(min_length=1, max_length=200)


class CompleteUploadRequest(ApiModel):
    parts: list[PartRef] | None = Field(default=None, max_length=10_000,
                                        description="for multipart: every part's number and ETag (optional)")


class PartUrl(ApiResponse):
    part_number: int
    url: str
    headers: dict[str, str] = Field(default_factory=dict, description=(
        "headers the PUT must send as given (x-amz-checksum-sha256: the part's declared digest, base64)"))


class UploadInstructions(ApiResponse):
    """``status`` is ``exists`` (nothing to send), ``upload`` (send the bytes as ``method`` says),
    ``pending`` / ``completed`` when looked at again."""

    status: str
    upload_id: str | None = None
    method: str | None = Field(default=None, description="POST (one form) or MULTIPART (parts PUT in parallel)")
    url: str | None = None
    fields: dict[str, str] | None = None
    part_size: int | None = None
    part_count: int | None = None
    parts: list[PartUrl] | None = None
    uploaded_parts: list[dict[str, Any]] | None = None
    missing_parts: list[int] | None = None
    sha256: str | None = None
    size: int | None = None
    content_type: str | None = None
    expires_in: int | None = Field(default=None, description="seconds the URLs are valid")
    expires_at: str | None = None
    result: dict[str, Any] | None = None
    type: str | None = None
    created_at: str | None = Field(default=None, description="when the session started (looked at again)")
    uploaded: bool | None = Field(default=None, description="a single POST's object is in S3 already")
    # ``exists``: the stored object was attached to this run; nothing is sent.
    product: str | None = None
    run_id: str | None = None
    attached: bool | None = None
    bytes_to_send: int | None = None


class UploadCompleted(ApiResponse):
    status: str = Field(description="completed (recorded) or queued (an ingest job; 202)")
    upload_id: str
    job_id: str | None = None
    job: JobView | None = Field(default=None, description="the queued ingest job (202)")
    sha256: str | None = None
    size: int | None = None
    content_type: str | None = None
    product: str | None = None
    run_id: str | None = Field(default=None, description="the run a binary upload is attached to")
