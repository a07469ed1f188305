"""Bodies of the file storage API ``/v1/storage``."""
from __future__ import annotations

from typing import Literal

from pydantic import Field

from chalicelib.models.base import ApiModel, ApiResponse, UtcDateTime

MAX_FILE_BYTES = 100 * 1000 * 1000


class UploadUrlRequest(ApiModel):
    file_name: str = Field(min_length=1, max_length=255, description="kept as metadata only, sanitized")
    content_type: str = Field(min_length=1, max_length=100,
                              description="image/png, image/jpeg, image/webp, application/pdf, application/json, "
                                          "text/csv, text/plain or application/gzip")
    size: int = Field(ge=1, le=MAX_FILE_BYTES, description="exact size in bytes (1 B – 100 MB)")
    product: Literal["insight", "autopilot", "guardian"] | None = None
    expires_in: int = Field(default=900, ge=60, le=3600, description="seconds the upload URL is valid")
    file_expires_at: UtcDateTime | None = Field(default=None, description="the file is deleted after this moment")
    sha256: str | None = Field(default=None, pattern=r"^[0-9a-fA-F]{64}$", description="verified at completion")


class UploadUrl(ApiResponse):
    file_id: str
    file_name: str
    method: str = "POST"
    url: str
    fields: dict[str, str]
    expires_in: int
    expires_at: str


class FileView(ApiResponse):
    file_id: str
    file_name: str
    content_type: str
    size: int
    sha256: str = ""
    product: str | None = None
    created_at: str
    expires_at: str | None = None
    download_count: int = 0


class CompletedFile(FileView):
    """A recorded file, as its completion answers."""

    status: str = Field(description="completed")


class FileList(ApiResponse):
    items: list[FileView]
    next_cursor: str | None = None


class ListFilesQuery(ApiModel):
    product: str | None = Field(default=None, max_length=32)
    content_type: str | None = Field(default=None, max_length=100)
    prefix: str | None = Field(default=None, max_length=255, description="prefix of the (sanitized) file name")
    limit: int = Field(default=20, ge=1, le=100)
    cursor: str | None = Field(default=None, max_length=64)


class DownloadQuery(ApiModel):
    expires_in: int = Field(default=900, ge=60, le=3600)


class DownloadUrl(ApiResponse):
    file_id: str
    file_name: str
    url: str
    expires_in: int
    expires_at: str
    download_count: int


class TypeStats(ApiResponse):
    bytes: int
    count: int


class StorageStats(ApiResponse):
    total_bytes: int
    file_count: int
    by_content_type: dict[str, TypeStats]
    attachments: TypeStats = Field(description="screenshots and reports attached to runs")
    used_bytes: int = Field(description="bytes counted against the plan's storage limit")
    plan_limit_bytes: int | None
    percent_used: float | None
