"""Choosing and signing the way bytes go to S3: one presigned POST up to the part size, an S3
multipart upload with presigned part URLs above it (each signing its part's SHA-256). Every URL expires within the settings' limit."""
from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

from chalicelib import clock
from chalicelib.config import get_settings
from chalicelib.store import objects

MIN_PART = 5 * 1024 * 1024
MAX_PARTS = 10_000


STORAGE_MAX_EXPIRY = 3600


def expiry(requested: int | None = None, maximum: int | None = None) -> int:
    """Seconds a URL lives: the request's choice, never above ``maximum`` (default: the configured
    15-minute limit; the storage API lets a caller choose up to an hour)."""
    limit = maximum or get_settings().presign_expiry_seconds
    return min(requested, limit) if requested else get_settings().presign_expiry_seconds


def part_size_for(size: int) -> int:
    """The configured part size (≥ 5 MiB), grown when needed to stay within 10,000 parts."""
    part = max(get_settings().part_size_bytes, MIN_PART)
    return max(part, math.ceil(size / MAX_PARTS))


def part_count(size: int, part_size: int) -> int:
    return max(1, math.ceil(size / part_size))


def is_multipart(size: int) -> bool:
    return size > get_settings().part_size_bytes


def post_form(key: str, content_type: str, size: int, expires_in: int) -> dict[str, Any]:
    """``{method: POST, url, fields, expiresAt}`` pinning key, content type and exact length."""
    form = objects.presigned_post(key, content_type, size, expires_in)
    return {"method": "POST", "url": form["url"], "fields": form["fields"], "expiresAt": _at(expires_in)}


def part_urls(key: str, s3_upload_id: str, numbers: list[int], expires_in: int,
              checksums: list[str]) -> list[dict[str, Any]]:
    """``[{partNumber, url, headers}]``: each URL signs its part's checksum header (``checksums``: base64
    SHA-256 of every part, in part order), which the PUT sends as given so S3 checks the bytes."""
    return [{"partNumber": n, "url": objects.presign_part(key, s3_upload_id, n, expires_in, checksums[n - 1]),
             "headers": {objects.CHECKSUM_HEADER: checksums[n - 1]}} for n in numbers]


def _at(expires_in: int) -> str:
    return clock.iso(clock.now() + timedelta(seconds=expires_in))


def expires_at(expires_in: int) -> str:
    """ISO moment a URL signed now for ``expires_in`` seconds stops working."""
    return _at(expires_in)
