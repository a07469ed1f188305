"""Run payloads in S3: the full JSON, gzip'd, one object per run at
``orgs/<orgId>/runs/<product>/<runId>.json.gz``; beside it the objects derived from it at ingest
(comparison data, run pages), read whole or by byte ranges."""
from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from botocore.exceptions import ClientError

from chalicelib.config import get_settings
from chalicelib.store import clients, objects


def payload_key(org_id: str, product: str, run_id: str) -> str:
    """The object key of a run's payload."""
    return f"orgs/{org_id}/runs/{product}/{run_id}.json.gz"


def put(key: str, gzipped: bytes, sha256: str) -> None:
    """Store a gzip'd JSON payload."""
    clients.s3().put_object(
        Bucket=get_settings().bucket, Key=key, Body=gzipped, ContentType="application/json",
        ContentEncoding="gzip", Metadata={"sha256": sha256},
    )


def get(key: str) -> bytes | None:
    """The gzip'd bytes of a payload, or None when it is gone."""
    try:
        out = clients.s3().get_object(Bucket=get_settings().bucket, Key=key)
    except ClientError as exc:
        if exc.response["Error"]["Code"] in ("NoSuchKey", "404", "NotFound"):
            return None
        raise
    return out["Body"].read()


def put_binary(key: str, body: bytes) -> None:
    """Store an object the service reads back by byte ranges (never served to clients as is)."""
    clients.s3().put_object(Bucket=get_settings().bucket, Key=key, Body=body, ContentType="application/octet-stream")


# Ranged reads of one request run side by side, at most this many at once (S3 serves each at its
# own latency; a filtered page may need a few scattered ranges).
RANGE_WORKERS = 8


def get_range(key: str, start: int, end: int) -> bytes | None:
    """Bytes ``start`` up to (not including) ``end`` of an object, or None when it is gone."""
    try:
        out = clients.s3().get_object(Bucket=get_settings().bucket, Key=key, Range=f"bytes={start}-{end - 1}")
    except ClientError as exc:
        if exc.response["Error"]["Code"] in ("NoSuchKey", "404", "NotFound"):
            return None
        raise
    return out["Body"].read()


def get_ranges(key: str, ranges: Sequence[tuple[int, int]]) -> list[bytes | None]:
    """Several byte ranges of one object, in the order asked (fetched concurrently when more than one)."""
    if len(ranges) <= 1:
        return [get_range(key, start, end) for start, end in ranges]
    clients.s3()  # made once, before the threads share it
    with ThreadPoolExecutor(max_workers=min(RANGE_WORKERS, len(ranges))) as pool:
        return list(pool.map(lambda r: get_range(key, r[0], r[1]), ranges))


def delete(key: str) -> None:
    """Remove a payload, every version of it (no error when already gone)."""
    objects.delete(key)
