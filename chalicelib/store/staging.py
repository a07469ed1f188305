"""Upload staging objects (``orgs/<orgId>/uploads/<uploadId>``) as the ingest job reads them:
bounded reads, so a job never holds more than the decompression cap in memory."""
from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from chalicelib.config import get_settings
from chalicelib.store import clients, objects


class StagingMissing(Exception):
    """The staging object is not (or no longer) there."""


class StagingTooLarge(Exception):
    """The staging object is larger than a job may read."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"staging object of {size} bytes exceeds {limit}")
        self.size, self.limit = size, limit


def staging_key(org_id: str, upload_id: str) -> str:
    return f"orgs/{org_id}/uploads/{upload_id}"


def read(key: str, max_bytes: int, version_id: str | None = None) -> bytes:
    """The object's bytes (of ``version_id``, the verified version, when given); StagingMissing if
    absent, StagingTooLarge past ``max_bytes``."""
    kwargs: dict[str, Any] = {"Bucket": get_settings().bucket, "Key": key}
    if version_id:
        kwargs["VersionId"] = version_id
    try:
        response = clients.s3().get_object(**kwargs)
    except ClientError as exc:
        if exc.response["Error"]["Code"] in ("NoSuchKey", "404", "NotFound", "NoSuchVersion"):
            raise StagingMissing(key) from exc
        raise
    size = int(response.get("ContentLength") or 0)
    if size > max_bytes:
        response["Body"].close()
        raise StagingTooLarge(size, max_bytes)
    data = response["Body"].read(max_bytes + 1)
    if len(data) > max_bytes:
        raise StagingTooLarge(len(data), max_bytes)
    return bytes(data)


def delete(key: str) -> None:
    """Remove the object, every version of it (no error when it is already gone)."""
    objects.delete(key)
